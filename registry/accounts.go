package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Role is what a user may do.
type Role string

// Roles.
const (
	// RoleOperator manages bodies and accounts and reads the audit log.
	RoleOperator Role = "operator"
	// RolePublisher publishes the certificates of exactly one body.
	RolePublisher Role = "publisher"
)

// Name returns the role's name in lang.
func (r Role) Name(lang string) string {
	switch {
	case r == RoleOperator && lang == "en":
		return "registry operator"
	case r == RoleOperator:
		return "登记库管理员"
	case lang == "en":
		return "publisher"
	}
	return "发布人员"
}

// User is an account of a person who signs in.
type User struct {
	ID              int64
	Name            string
	Role            Role
	BodyID          int64 // the publisher's body; 0 for an operator
	BodyApproval    string
	TOTP            bool // a second factor is required
	Disabled        bool
	Created         time.Time
	PasswordChanged time.Time
}

// Actor returns the actor for writes the user makes through source from
// addr. A publisher's writes are restricted to the publisher's body.
func (u *User) Actor(source, addr string) Actor {
	return Actor{Name: u.Name, BodyID: u.BodyID, Source: source, RemoteAddr: addr}
}

// Session timeouts: a session ends after SessionIdle without a request, and
// SessionMax after sign-in whatever happens.
const (
	SessionIdle = 30 * time.Minute
	SessionMax  = 12 * time.Hour
)

// Login throttling: after MaxFailuresPerUser failed logins for one account,
// or MaxFailuresPerAddr from one address, within FailureWindow, further
// attempts are refused until the window has passed.
const (
	MaxFailuresPerUser = 5
	MaxFailuresPerAddr = 20
	FailureWindow      = 15 * time.Minute
)

// ThrottledError is returned by Login when too many attempts failed.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-in attempts: try again in %s", e.RetryAfter.Round(time.Minute))
}

// Message is the message shown to the person signing in.
func (e *ThrottledError) Message(lang string) string {
	min := int(e.RetryAfter.Minutes()) + 1
	if lang == "en" {
		return fmt.Sprintf("Too many failed sign-in attempts. Try again in %d minutes.", min)
	}
	return fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试。", min)
}

// ErrTOTPRequired is returned by Login when the password is right and the
// account needs a second factor that was not given.
var ErrTOTPRequired = Errorf(EUNAUTHORIZED, "totp", "请输入验证器应用显示的 6 位动态码", "enter the 6-digit code shown by your authenticator app")

var errBadLogin = Errorf(EUNAUTHORIZED, "", "用户名或密码不正确", "wrong user name or password")

var userNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)

// NewUser is an account to create.
type NewUser struct {
	Name         string
	Role         Role
	BodyApproval string // a publisher's body
	Password     string
}

const userColumns = `SELECT u.id, u.name, u.role, coalesce(u.body_id, 0), coalesce(b.approval, ''), u.totp_secret <> '', u.disabled, u.created, u.password_changed
	FROM users u LEFT JOIN bodies b ON b.id = u.body_id `

func scanUser(r scanner) (*User, error) {
	var u User
	var role, created, changed string
	if err := r.Scan(&u.ID, &u.Name, &role, &u.BodyID, &u.BodyApproval, &u.TOTP, &u.Disabled, &created, &changed); err != nil {
		return nil, err
	}
	u.Role = Role(role)
	u.Created, u.PasswordChanged = parseTime(created), parseTime(changed)
	return &u, nil
}

// AddUser creates an account. The first operator is created this way from
// the command line; there is no default account or password.
func (s *Store) AddUser(ctx context.Context, actor Actor, nu NewUser) (*User, error) {
	var errs ValidationErrors
	nu.Name = strings.TrimSpace(nu.Name)
	if !userNamePattern.MatchString(nu.Name) {
		errs = append(errs, fieldErr("name", "用户名应为 2–64 个字母、数字或 . _ @ -，以字母或数字开头", "a user name is 2–64 letters, digits or . _ @ -, starting with a letter or digit"))
	}
	if nu.Role != RoleOperator && nu.Role != RolePublisher {
		errs = append(errs, fieldErr("role", "角色应为 operator 或 publisher", "role must be operator or publisher"))
	}
	if nu.Role == RolePublisher && strings.TrimSpace(nu.BodyApproval) == "" {
		errs = append(errs, fieldErr("body", "发布人员必须属于一个认证机构", "a publisher must belong to one certification body"))
	}
	if nu.Role == RoleOperator && nu.BodyApproval != "" {
		errs = append(errs, fieldErr("body", "登记库管理员不属于任何认证机构", "a registry operator belongs to no certification body"))
	}
	if fe := checkPasswordRules(nu.Password); fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var bodyID any
	var bid int64
	if nu.Role == RolePublisher {
		b, err := s.Body(ctx, nu.BodyApproval)
		if err != nil {
			return nil, err
		}
		if b.Disabled {
			return nil, Errorf(ECONFLICT, "body", "认证机构 %s 已停用", "certification body %s is disabled", b.Approval)
		}
		bodyID, bid = b.ID, b.ID
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE name = ?`, nu.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return Errorf(ECONFLICT, "name", "用户名 %s 已被使用", "the user name %s is taken", nu.Name)
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO users(name, role, body_id, password, created, password_changed) VALUES (?,?,?,?,?,?)`,
			nu.Name, string(nu.Role), bodyID, hash, fmtTime(now), fmtTime(now))
		if err != nil {
			return fmt.Errorf("add user %s: %w", nu.Name, err)
		}
		id, _ = r.LastInsertId()
		return s.AppendEvent(ctx, tx, now, actor, bid, "user.created", "", []Change{
			{Field: "user", After: nu.Name}, {Field: "role", After: string(nu.Role)}, {Field: "body", After: nu.BodyApproval}})
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, id)
}

// UserByID returns the user with id.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, userColumns+`WHERE u.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "user", "没有该用户", "no such user")
	}
	return u, err
}

// UserByName returns the user with name (case-insensitive).
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, userColumns+`WHERE u.name = ?`, strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "user", "没有用户 %s", "no user named %s", name)
	}
	return u, err
}

// Users returns every user (of one body when bodyID > 0), by name.
func (s *Store) Users(ctx context.Context, bodyID int64) ([]*User, error) {
	q, args := userColumns+`ORDER BY u.name`, []any{}
	if bodyID > 0 {
		q, args = userColumns+`WHERE u.body_id = ? ORDER BY u.name`, []any{bodyID}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DisableUser disables an account and ends its sessions at once.
func (s *Store) DisableUser(ctx context.Context, actor Actor, name string) error {
	u, err := s.UserByName(ctx, name)
	if err != nil {
		return err
	}
	if u.Disabled {
		return Errorf(ECONFLICT, "user", "用户 %s 已停用", "user %s is already disabled", u.Name)
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE id = ?`, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		return s.AppendEvent(ctx, tx, now, actor, u.BodyID, "user.disabled", "", []Change{{Field: "user", Before: u.Name, After: u.Name}, {Field: "disabled", Before: "false", After: "true"}})
	})
}

// SetPassword changes a user's password and ends every session of the user.
// The audit log records that the password changed, never the password or
// its hash.
func (s *Store) SetPassword(ctx context.Context, actor Actor, name, password string) error {
	if fe := checkPasswordRules(password); fe != nil {
		return ValidationErrors{*fe}
	}
	u, err := s.UserByName(ctx, name)
	if err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password = ?, password_changed = ? WHERE id = ?`, hash, fmtTime(now), u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		return s.AppendEvent(ctx, tx, now, actor, u.BodyID, "user.password", "", []Change{{Field: "user", Before: u.Name, After: u.Name}, {Field: "password", Before: "…", After: "(changed)"}})
	})
}

// SetTOTP turns the second factor on with secret, after checking that code
// (from the person's authenticator app) matches it; an empty secret turns it
// off.
func (s *Store) SetTOTP(ctx context.Context, actor Actor, userID int64, secret, code string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var step int64
		if secret != "" {
			if step = totpMatch(secret, strings.TrimSpace(code), now, 0); step == 0 {
				return ValidationErrors{fieldErr("totp", "动态码不正确：请核对手机时间并重新输入", "the code is wrong: check your phone's clock and try again")}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = ? WHERE id = ?`, secret, step, u.ID); err != nil {
			return err
		}
		return s.AppendEvent(ctx, tx, now, actor, u.BodyID, "user.totp", "", []Change{{Field: "user", Before: u.Name, After: u.Name}, {Field: "totp", Before: fmt.Sprint(u.TOTP), After: fmt.Sprint(secret != "")}})
	})
}

// Login checks a user's name, password and (when the account has one) TOTP
// code, from addr, and starts a session. It returns the session's token,
// which only the browser keeps: the database has its hash. Failed attempts
// count against the account and the address; a *ThrottledError says to wait.
func (s *Store) Login(ctx context.Context, name, password, code, addr string) (token string, u *User, err error) {
	name = strings.TrimSpace(name)
	now := s.Now().UTC()
	if wait, err := s.throttled(ctx, name, addr, now); err != nil {
		return "", nil, err
	} else if wait > 0 {
		return "", nil, &ThrottledError{RetryAfter: wait}
	}
	var hash, secret string
	var lastStep int64
	var disabled, bodyDisabled bool
	var id int64
	err = s.db.QueryRowContext(ctx, `SELECT u.id, u.password, u.totp_secret, u.totp_last_step, u.disabled, coalesce(b.disabled, 0)
		FROM users u LEFT JOIN bodies b ON b.id = u.body_id WHERE u.name = ?`, name).Scan(&id, &hash, &secret, &lastStep, &disabled, &bodyDisabled)
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(dummyHash, password)
		return "", nil, s.loginFailed(ctx, name, addr, errBadLogin)
	}
	if err != nil {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if len(password) > 4*MaxPassword || !CheckPassword(hash, password) {
		return "", nil, s.loginFailed(ctx, name, addr, errBadLogin)
	}
	if disabled || bodyDisabled {
		return "", nil, s.loginFailed(ctx, name, addr, Errorf(EFORBIDDEN, "", "此账户已停用", "this account is disabled"))
	}
	var step int64
	if secret != "" {
		if strings.TrimSpace(code) == "" {
			return "", nil, ErrTOTPRequired
		}
		if step = totpMatch(secret, strings.TrimSpace(code), now, lastStep); step == 0 {
			return "", nil, s.loginFailed(ctx, name, addr, Errorf(EUNAUTHORIZED, "totp", "动态码不正确或已使用过", "the code is wrong or was already used"))
		}
	}
	token, err = randomToken(32)
	if err != nil {
		return "", nil, err
	}
	u, err = s.UserByID(ctx, id)
	if err != nil {
		return "", nil, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if step > 0 {
			// Conditional, so that two logins racing with one code cannot both win.
			r, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, id, step)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return Errorf(EUNAUTHORIZED, "totp", "动态码已使用过", "the code was already used")
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions(token_hash, user_id, created, last_seen, remote_addr) VALUES (?,?,?,?,?)`,
			tokenHash(token), id, fmtTime(now), fmtTime(now), addr); err != nil {
			return err
		}
		return s.AppendEvent(ctx, tx, now, u.Actor("console", addr), u.BodyID, "user.login", "", nil)
	})
	if err != nil {
		return "", nil, err
	}
	return token, u, nil
}

// throttled says how long name and addr must wait before trying again.
func (s *Store) throttled(ctx context.Context, name, addr string, now time.Time) (time.Duration, error) {
	since := fmtTime(now.Add(-FailureWindow))
	var wait time.Duration
	for _, k := range []struct {
		key string
		max int
	}{{"user:" + strings.ToLower(name), MaxFailuresPerUser}, {"addr:" + addr, MaxFailuresPerAddr}} {
		var n int
		var first sql.NullString
		err := s.db.QueryRowContext(ctx, `SELECT count(*), min(at) FROM (SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?)`,
			k.key, since, k.max).Scan(&n, &first)
		if err != nil {
			return 0, fmt.Errorf("login throttle: %w", err)
		}
		if n >= k.max {
			// The oldest of the last max failures leaves the window first.
			if w := parseTime(first.String).Add(FailureWindow).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait, nil
}

// loginFailed records a failed attempt and returns cause.
func (s *Store) loginFailed(ctx context.Context, name, addr string, cause error) error {
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		at := fmtTime(now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures(key, at) VALUES (?, ?), (?, ?)`, "user:"+strings.ToLower(name), at, "addr:"+addr, at); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, fmtTime(now.Add(-24*time.Hour)))
		return err
	})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return cause
}

// errNoSession is the error of a missing, expired or ended session.
var errNoSession = Errorf(EUNAUTHORIZED, "", "请先登录（会话已过期或已结束）", "please sign in (the session expired or ended)")

// SessionUser returns the user of the session with token, if the session is
// live: not idle longer than SessionIdle, not older than SessionMax, the
// user and the user's body not disabled. It records the request as the
// session's last activity.
func (s *Store) SessionUser(ctx context.Context, token string) (*User, error) {
	if token == "" {
		return nil, errNoSession
	}
	h := tokenHash(token)
	var uid int64
	var created, seen string
	var disabled, bodyDisabled bool
	err := s.db.QueryRowContext(ctx, `SELECT s.user_id, s.created, s.last_seen, u.disabled, coalesce(b.disabled, 0)
		FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN bodies b ON b.id = u.body_id WHERE s.token_hash = ?`, h).
		Scan(&uid, &created, &seen, &disabled, &bodyDisabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	now := s.Now().UTC()
	if disabled || bodyDisabled || now.Sub(parseTime(seen)) > SessionIdle || now.Sub(parseTime(created)) > SessionMax {
		s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, h)
		return nil, errNoSession
	}
	// Touch at most once a minute: a page view need not be a write.
	if now.Sub(parseTime(seen)) > time.Minute {
		if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, fmtTime(now), h); err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
	}
	return s.UserByID(ctx, uid)
}

// Logout ends the session with token.
func (s *Store) Logout(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(token))
	return err
}

// SetBodyDisabled disables (or enables again) a body: its publishers can no
// longer sign in, its API keys stop working and it cannot publish.
func (s *Store) SetBodyDisabled(ctx context.Context, actor Actor, approval string, disabled bool) error {
	b, err := s.Body(ctx, approval)
	if err != nil {
		return err
	}
	if b.Disabled == disabled {
		return Errorf(ECONFLICT, "body", "认证机构 %s 已是该状态", "certification body %s is already in that state", b.Approval)
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE bodies SET disabled = ? WHERE id = ?`, disabled, b.ID); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE body_id = ?)`, b.ID); err != nil {
				return err
			}
		}
		kind := "body.enabled"
		if disabled {
			kind = "body.disabled"
		}
		if err := s.AppendEvent(ctx, tx, now, actor, b.ID, kind, "", []Change{{Field: "disabled", Before: fmt.Sprint(b.Disabled), After: fmt.Sprint(disabled)}}); err != nil {
			return err
		}
		return bumpGeneration(tx)
	})
}

// PasswordHash returns the stored hash of a user's password, for checking
// the current password before a change.
func (s *Store) PasswordHash(ctx context.Context, userID int64) (string, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT password FROM users WHERE id = ?`, userID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", Errorf(ENOTFOUND, "user", "没有该用户", "no such user")
	}
	return h, err
}
