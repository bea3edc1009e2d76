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

// roleKeys are the message keys of the roles' names.
var roleKeys = map[Role]string{RoleOperator: "role.operator", RolePublisher: "role.publisher"}

// MessageKey is the message key of the role's name.
func (r Role) MessageKey() string { return roleKeys[r] }

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

var userNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)

// NewUser is an account to create; its password is hashed by package
// accounts before it reaches the store.
type NewUser struct {
	Name         string
	Role         Role
	BodyApproval string // a publisher's body
}

// Validate checks the account's name, role and body.
func (nu *NewUser) Validate() ValidationErrors {
	var errs ValidationErrors
	nu.Name = strings.TrimSpace(nu.Name)
	if !userNamePattern.MatchString(nu.Name) {
		errs = append(errs, fieldErr("name", "registry.user_name_malformed"))
	}
	if nu.Role != RoleOperator && nu.Role != RolePublisher {
		errs = append(errs, fieldErr("role", "registry.role_must_operator_publisher"))
	}
	if nu.Role == RolePublisher && strings.TrimSpace(nu.BodyApproval) == "" {
		errs = append(errs, fieldErr("body", "registry.publisher_must_belong_one"))
	}
	if nu.Role == RoleOperator && nu.BodyApproval != "" {
		errs = append(errs, fieldErr("body", "registry.registry_operator_belongs_no"))
	}
	return errs
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

// AddUser creates an account with the Argon2id hash of its password (see
// package accounts). The first operator is created this way from the
// command line; there is no default account or password.
func (s *Store) AddUser(ctx context.Context, actor Actor, nu NewUser, passwordHash string) (*User, error) {
	if errs := nu.Validate(); len(errs) > 0 {
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
			return nil, Errorf(ECONFLICT, "body", "registry.certification_body_disabled", b.Approval)
		}
		bodyID, bid = b.ID, b.ID
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE name = ?`, nu.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return Errorf(ECONFLICT, "name", "registry.user_name_taken", nu.Name)
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO users(name, role, body_id, password, created, password_changed) VALUES (?,?,?,?,?,?)`,
			nu.Name, string(nu.Role), bodyID, passwordHash, fmtTime(now), fmtTime(now))
		if err != nil {
			return fmt.Errorf("add user %s: %w", nu.Name, err)
		}
		id, _ = r.LastInsertId()
		return s.auditEvent(ctx, tx, now, actor, bid, "user.created", []Change{
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
		return nil, Errorf(ENOTFOUND, "user", "registry.no_such_user")
	}
	return u, err
}

// UserByName returns the user with name (case-insensitive).
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, userColumns+`WHERE u.name = ?`, strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "user", "registry.no_user_named", name)
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
		return Errorf(ECONFLICT, "user", "registry.user_already_disabled", u.Name)
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE id = ?`, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return err
		}
		return s.auditEvent(ctx, tx, now, actor, u.BodyID, "user.disabled", []Change{{Field: "user", Before: u.Name, After: u.Name}, {Field: "disabled", Before: "false", After: "true"}})
	})
}

// SetPasswordHash replaces a user's password hash and ends every session
// of the user. The audit log records that the password changed, never the
// password or its hash.
func (s *Store) SetPasswordHash(ctx context.Context, actor Actor, name, hash string) error {
	u, err := s.UserByName(ctx, name)
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
		return s.auditEvent(ctx, tx, now, actor, u.BodyID, "user.password", []Change{{Field: "user", Before: u.Name, After: u.Name}, {Field: "password", Before: "…", After: "(changed)"}})
	})
}

// SetTOTPSecret turns a user's second factor on with secret, confirmed by
// the code of time step step (so that the code cannot sign in again), or
// off with an empty secret.
func (s *Store) SetTOTPSecret(ctx context.Context, actor Actor, userID int64, secret string, step int64) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = ? WHERE id = ?`, secret, step, u.ID); err != nil {
			return err
		}
		return s.auditEvent(ctx, tx, now, actor, u.BodyID, "user.totp", []Change{{Field: "user", Before: u.Name, After: u.Name}, {Field: "totp", Before: fmt.Sprint(u.TOTP), After: fmt.Sprint(secret != "")}})
	})
}

// Credentials are what signing in checks a user against.
type Credentials struct {
	UserID       int64
	PasswordHash string
	TOTPSecret   string // "" when the user has no second factor
	TOTPLastStep int64  // the time step of the last code accepted
	Disabled     bool   // the user, or the user's body, is disabled
}

// Credentials returns the credentials of the user named name; ENOTFOUND
// when there is none.
func (s *Store) Credentials(ctx context.Context, name string) (*Credentials, error) {
	var c Credentials
	var disabled, bodyDisabled bool
	err := s.db.QueryRowContext(ctx, `SELECT u.id, u.password, u.totp_secret, u.totp_last_step, u.disabled, coalesce(b.disabled, 0)
		FROM users u LEFT JOIN bodies b ON b.id = u.body_id WHERE u.name = ?`, strings.TrimSpace(name)).
		Scan(&c.UserID, &c.PasswordHash, &c.TOTPSecret, &c.TOTPLastStep, &disabled, &bodyDisabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "user", "registry.no_user_named", name)
	}
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	c.Disabled = disabled || bodyDisabled
	return &c, nil
}

// FailureLimit is one count of the sign-in throttle: the failures recorded
// under Key ("addr:IP", "user:NAME", …) and the most it may hold within the
// window.
type FailureLimit struct {
	Key string
	Max int
}

// ReserveFailure records one failed sign-in under every key before the
// password is checked, in one transaction that takes the write lock, so
// that a hundred attempts sent at once are counted one after another and
// only as many as the limits allow get as far as the (costly) password
// hash. When a key already holds its Max failures within window, nothing
// is recorded and wait says how long until its oldest failure leaves the
// window. An attempt that succeeds gives its reservation back
// (ForgetFailures); one that fails keeps it as its failure. Failures older
// than a day are forgotten.
func (s *Store) ReserveFailure(ctx context.Context, limits []FailureLimit, window time.Duration) (ids []int64, wait time.Duration, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		for _, l := range limits {
			var n int
			var first sql.NullString
			if err := tx.QueryRowContext(ctx, `SELECT count(*), min(at) FROM (SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?)`,
				l.Key, fmtTime(now.Add(-window)), l.Max).Scan(&n, &first); err != nil {
				return fmt.Errorf("login throttle: %w", err)
			}
			if n >= l.Max {
				// The oldest of the last Max failures leaves the window first.
				if w := parseTime(first.String).Add(window).Sub(now); w > wait {
					wait = max(w, time.Second)
				}
			}
		}
		if wait > 0 {
			return nil
		}
		for _, l := range limits {
			r, err := tx.ExecContext(ctx, `INSERT INTO login_failures(key, at) VALUES (?, ?)`, l.Key, fmtTime(now))
			if err != nil {
				return fmt.Errorf("login throttle: %w", err)
			}
			id, _ := r.LastInsertId()
			ids = append(ids, id)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, fmtTime(now.Add(-24*time.Hour)))
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return ids, wait, nil
}

// ForgetFailures gives back the failures ReserveFailure recorded for an
// attempt that succeeded.
func (s *Store) ForgetFailures(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM login_failures WHERE id = ?`, id); err != nil {
			return fmt.Errorf("login throttle: %w", err)
		}
	}
	return nil
}

// AuditFailedSignIn records a failed sign-in (or a failed check of a
// signed-in user's password or code) in the audit log: who it claimed to
// be, from where, and why it failed (kind "user.login_failed" or
// "user.confirm_failed"). Never the password or the code.
func (s *Store) AuditFailedSignIn(ctx context.Context, actor Actor, bodyID int64, kind, reason string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		return s.auditEvent(ctx, tx, now, actor, bodyID, kind, []Change{{Field: "reason", After: reason}})
	})
}

// StartSession stores a new session of the user, under the hash of its
// token, and records the sign-in. A step above 0 is the time step of the
// TOTP code used: it is accepted only if no later code was, so that two
// sign-ins racing with one code cannot both win.
func (s *Store) StartSession(ctx context.Context, u *User, tokenHash string, step int64, addr string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if step > 0 {
			r, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, u.ID, step)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return Errorf(EUNAUTHORIZED, "totp", "registry.code_was_already_used")
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions(token_hash, user_id, created, last_seen, remote_addr) VALUES (?,?,?,?,?)`,
			tokenHash, u.ID, fmtTime(now), fmtTime(now), addr); err != nil {
			return err
		}
		return s.auditEvent(ctx, tx, now, u.Actor("console", addr), u.BodyID, "user.login", nil)
	})
}

// Session is a signed-in session as stored.
type Session struct {
	UserID   int64
	Created  time.Time
	LastSeen time.Time
	Disabled bool // the user, or the user's body, is disabled
}

// errNoSession is the error of a missing, expired or ended session.
var errNoSession = Errorf(EUNAUTHORIZED, "", "account.please_sign_session_expired")

// Session returns the session stored under the hash of its token;
// EUNAUTHORIZED when there is none.
func (s *Store) Session(ctx context.Context, tokenHash string) (*Session, error) {
	var ss Session
	var created, seen string
	var disabled, bodyDisabled bool
	err := s.db.QueryRowContext(ctx, `SELECT s.user_id, s.created, s.last_seen, u.disabled, coalesce(b.disabled, 0)
		FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN bodies b ON b.id = u.body_id WHERE s.token_hash = ?`, tokenHash).
		Scan(&ss.UserID, &created, &seen, &disabled, &bodyDisabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	ss.Created, ss.LastSeen, ss.Disabled = parseTime(created), parseTime(seen), disabled || bodyDisabled
	return &ss, nil
}

// TouchSession records now as the session's last activity.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, fmtTime(now), tokenHash); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// EndSession deletes the session stored under the hash of its token.
func (s *Store) EndSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
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
		return Errorf(ECONFLICT, "body", "registry.certification_body_already_state", b.Approval)
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
		if err := s.auditEvent(ctx, tx, now, actor, b.ID, kind, []Change{{Field: "disabled", Before: fmt.Sprint(b.Disabled), After: fmt.Sprint(disabled)}}); err != nil {
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
		return "", Errorf(ENOTFOUND, "user", "registry.no_such_user")
	}
	return h, err
}
