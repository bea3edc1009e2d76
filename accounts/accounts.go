// Package accounts signs people and programs in: Argon2id password hashes,
// TOTP second factors, sessions, API keys, and the throttling of failed
// sign-ins. The accounts themselves are rows of the registry's store; the
// secrets are handled here and only their hashes reach the store.
package accounts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/certreg/certreg/registry"
)

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

// APIKeyPrefix starts every API key, so that a leaked key is recognisable
// (secret scanners, logs).
const APIKeyPrefix = "crk_"

// Accounts signs in against the users, sessions and API keys of a store.
type Accounts struct {
	store *registry.Store
}

// New returns the accounts of store.
func New(store *registry.Store) *Accounts { return &Accounts{store: store} }

// ThrottledError is returned by Login when too many attempts failed.
type ThrottledError struct {
	RetryAfter time.Duration
}

// Error says how long to wait, for logs.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-in attempts: try again in %s", e.RetryAfter.Round(time.Minute))
}

// MessageKey and MessageArgs make the error the message shown to the
// person signing in (see registry.Message).
func (e *ThrottledError) MessageKey() string { return "account.throttled" }

// MessageArgs is how many minutes to wait.
func (e *ThrottledError) MessageArgs() []any { return []any{int(e.RetryAfter.Minutes()) + 1} }

// ErrTOTPRequired is returned by Login when the password is right and the
// account needs a second factor that was not given.
var ErrTOTPRequired = registry.Errorf(registry.EUNAUTHORIZED, "totp", "account.enter_6_digit_code")

var errBadLogin = registry.Errorf(registry.EUNAUTHORIZED, "", "account.wrong_user_name_password")

// AddUser creates an account whose password is password. Every problem
// with the name, role, body or password comes back together.
func (a *Accounts) AddUser(ctx context.Context, actor registry.Actor, nu registry.NewUser, password string) (*registry.User, error) {
	errs := nu.Validate()
	if fe := checkPasswordRules(password); fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	return a.store.AddUser(ctx, actor, nu, hash)
}

// SetPassword changes a user's password and ends every session of the user.
func (a *Accounts) SetPassword(ctx context.Context, actor registry.Actor, name, password string) error {
	if fe := checkPasswordRules(password); fe != nil {
		return registry.ValidationErrors{*fe}
	}
	if _, err := a.store.UserByName(ctx, name); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return a.store.SetPasswordHash(ctx, actor, name, hash)
}

// CheckPassword reports whether password is the current password of the
// user with id userID, for confirming a change.
func (a *Accounts) CheckPassword(ctx context.Context, userID int64, password string) (bool, error) {
	hash, err := a.store.PasswordHash(ctx, userID)
	if err != nil {
		return false, err
	}
	return len(password) <= 4*MaxPassword && CheckPassword(hash, password), nil
}

// SetTOTP turns the second factor on with secret, after checking that code
// (from the person's authenticator app) matches it; an empty secret turns it
// off.
func (a *Accounts) SetTOTP(ctx context.Context, actor registry.Actor, userID int64, secret, code string) error {
	var step int64
	if secret != "" {
		if step = totpMatch(secret, strings.TrimSpace(code), a.store.Now().UTC(), 0); step == 0 {
			return registry.ValidationErrors{{Field: "totp", Message: registry.Message{Key: "account.totp_wrong"}}}
		}
	}
	return a.store.SetTOTPSecret(ctx, actor, userID, secret, step)
}

// Login checks a user's name, password and (when the account has one) TOTP
// code, from addr, and starts a session. It returns the session's token,
// which only the browser keeps: the database has its hash. Failed attempts
// count against the account and the address; a *ThrottledError says to wait.
func (a *Accounts) Login(ctx context.Context, name, password, code, addr string) (token string, u *registry.User, err error) {
	name = strings.TrimSpace(name)
	now := a.store.Now().UTC()
	if wait, err := a.throttled(ctx, name, addr, now); err != nil {
		return "", nil, err
	} else if wait > 0 {
		return "", nil, &ThrottledError{RetryAfter: wait}
	}
	cr, err := a.store.Credentials(ctx, name)
	if registry.ErrorCode(err) == registry.ENOTFOUND {
		CheckPassword(dummyHash, password)
		return "", nil, a.failed(ctx, name, addr, errBadLogin)
	}
	if err != nil {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if len(password) > 4*MaxPassword || !CheckPassword(cr.PasswordHash, password) {
		return "", nil, a.failed(ctx, name, addr, errBadLogin)
	}
	if cr.Disabled {
		return "", nil, a.failed(ctx, name, addr, registry.Errorf(registry.EFORBIDDEN, "", "account.account_disabled"))
	}
	var step int64
	if cr.TOTPSecret != "" {
		if strings.TrimSpace(code) == "" {
			return "", nil, ErrTOTPRequired
		}
		if step = totpMatch(cr.TOTPSecret, strings.TrimSpace(code), now, cr.TOTPLastStep); step == 0 {
			return "", nil, a.failed(ctx, name, addr, registry.Errorf(registry.EUNAUTHORIZED, "totp", "account.code_wrong_was_already"))
		}
	}
	token, err = randomToken(32)
	if err != nil {
		return "", nil, err
	}
	u, err = a.store.UserByID(ctx, cr.UserID)
	if err != nil {
		return "", nil, err
	}
	if err := a.store.StartSession(ctx, u, tokenHash(token), step, addr); err != nil {
		return "", nil, err
	}
	return token, u, nil
}

// throttleKeys are the keys a failed sign-in of name from addr counts
// under, with the most failures each may have.
func throttleKeys(name, addr string) []struct {
	key string
	max int
} {
	return []struct {
		key string
		max int
	}{{"user:" + strings.ToLower(name), MaxFailuresPerUser}, {"addr:" + addr, MaxFailuresPerAddr}}
}

// throttled says how long name and addr must wait before trying again.
func (a *Accounts) throttled(ctx context.Context, name, addr string, now time.Time) (time.Duration, error) {
	var wait time.Duration
	for _, k := range throttleKeys(name, addr) {
		n, oldest, err := a.store.RecentFailures(ctx, k.key, now.Add(-FailureWindow), k.max)
		if err != nil {
			return 0, err
		}
		if n >= k.max {
			// The oldest of the last max failures leaves the window first.
			if w := oldest.Add(FailureWindow).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait, nil
}

// failed records a failed attempt and returns cause.
func (a *Accounts) failed(ctx context.Context, name, addr string, cause error) error {
	var keys []string
	for _, k := range throttleKeys(name, addr) {
		keys = append(keys, k.key)
	}
	if err := a.store.RecordFailure(ctx, keys...); err != nil {
		return err
	}
	return cause
}

var errNoSession = registry.Errorf(registry.EUNAUTHORIZED, "", "account.please_sign_session_expired")

// SessionUser returns the user of the session with token, if the session is
// live: not idle longer than SessionIdle, not older than SessionMax, the
// user and the user's body not disabled. It records the request as the
// session's last activity.
func (a *Accounts) SessionUser(ctx context.Context, token string) (*registry.User, error) {
	if token == "" {
		return nil, errNoSession
	}
	h := tokenHash(token)
	ss, err := a.store.Session(ctx, h)
	if err != nil {
		return nil, err
	}
	now := a.store.Now().UTC()
	if ss.Disabled || now.Sub(ss.LastSeen) > SessionIdle || now.Sub(ss.Created) > SessionMax {
		a.store.EndSession(ctx, h)
		return nil, errNoSession
	}
	// Touch at most once a minute: a page view need not be a write.
	if now.Sub(ss.LastSeen) > time.Minute {
		if err := a.store.TouchSession(ctx, h, now); err != nil {
			return nil, err
		}
	}
	return a.store.UserByID(ctx, ss.UserID)
}

// Logout ends the session with token.
func (a *Accounts) Logout(ctx context.Context, token string) error {
	return a.store.EndSession(ctx, tokenHash(token))
}

// CreateAPIKey creates a key for the body with the approval number, living
// until expires. It returns the key itself, which is shown once and never
// again: the database keeps only its SHA-256 hash.
func (a *Accounts) CreateAPIKey(ctx context.Context, actor registry.Actor, approval, name string, expires time.Time) (string, *registry.APIKey, error) {
	secret, err := randomToken(32) // 256 bits
	if err != nil {
		return "", nil, err
	}
	key := APIKeyPrefix + secret
	k, err := a.store.AddAPIKey(ctx, actor, approval, name, expires, tokenHash(key), key[:len(APIKeyPrefix)+6])
	if err != nil {
		return "", nil, err
	}
	return key, k, nil
}

var errBadKey = registry.Errorf(registry.EUNAUTHORIZED, "", "account.api_key_invalid_expired")

// APIKey authenticates an API key: it returns the key if it is known, live
// and its body not disabled, and records its use.
func (a *Accounts) APIKey(ctx context.Context, token string) (*registry.APIKey, error) {
	if !strings.HasPrefix(token, APIKeyPrefix) || len(token) > 100 {
		return nil, errBadKey
	}
	k, err := a.store.APIKeyByHash(ctx, tokenHash(token))
	if registry.ErrorCode(err) == registry.ENOTFOUND {
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	now := a.store.Now().UTC()
	if !k.Live(now) {
		return nil, errBadKey
	}
	if now.Sub(k.LastUsed) > time.Minute {
		if err := a.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			return nil, err
		}
		k.LastUsed = now
	}
	return k, nil
}
