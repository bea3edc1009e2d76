// Package accounts signs people and programs in: Argon2id password hashes,
// TOTP second factors, sessions, API keys, and the throttling of failed
// sign-ins. The accounts themselves are rows of the registry's store; the
// secrets are handled here and only their hashes reach the store.
package accounts

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/certreg/certreg/registry"
)

// Session timeouts: a session ends after SessionIdle without a request, and
// SessionMax after sign-in whatever happens.
const (
	SessionIdle = 30 * time.Minute
	SessionMax  = 12 * time.Hour
)

// Sign-in throttling, within FailureWindow: MaxFailuresPerUserAddr failed
// attempts at one account from one address, or MaxFailuresPerAddr at any
// accounts from one address, hold that address back until the window has
// passed. A stranger who guesses at an account from a few addresses
// therefore holds back only those addresses, never the account's owner.
// MaxFailuresPerUser failures at one account from everywhere (a guess
// spread over many addresses) hold back every attempt at the account but
// one that brings a TOTP code for an account that has a second factor: the
// owner's password and code still work, from any address, while guessing
// both is hopeless.
const (
	MaxFailuresPerUserAddr = 5
	MaxFailuresPerAddr     = 20
	MaxFailuresPerUser     = 50
	FailureWindow          = 15 * time.Minute
)

// APIKeyPrefix starts every API key, so that a leaked key is recognisable
// (secret scanners, logs).
const APIKeyPrefix = "crk_"

// Accounts signs in against the users, sessions and API keys of a store.
type Accounts struct {
	store *registry.Store

	// reserving lets one sign-in attempt at a time count its failure, so
	// that a flood of attempts waits here, not on the database's write
	// lock holding every pooled connection (which /healthz and every
	// page need too).
	reserving chan struct{}
	// throttled remembers, per set of limits, until when attempts are
	// refused: a flood from a throttled client is answered without the
	// database. Failures only leave the window with time (a success, which
	// gives its own back, cannot happen while throttled), so the time the
	// database gave stays true.
	mu        sync.Mutex
	throttled map[string]time.Time
}

// New returns the accounts of store.
func New(store *registry.Store) *Accounts {
	return &Accounts{store: store, reserving: make(chan struct{}, 1), throttled: map[string]time.Time{}}
}

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

// ConfirmPassword reports whether password is the current password of u,
// who is signed in and asks from addr to change something that needs it.
// It is throttled and audited like a sign-in, so that a stolen session
// cannot be used to guess the password: a *ThrottledError says to wait.
func (a *Accounts) ConfirmPassword(ctx context.Context, u *registry.User, password, addr string) (bool, error) {
	ids, err := a.reserve(ctx, u.Name, addr, true)
	if err != nil {
		return false, err
	}
	hash, err := a.store.PasswordHash(ctx, u.ID)
	if err != nil {
		return false, err
	}
	if len(password) > 4*MaxPassword || !CheckPassword(hash, password) {
		return false, a.audit(ctx, u.Name, u.BodyID, addr, "user.confirm_failed", "wrong current password", nil)
	}
	return true, a.store.ForgetFailures(ctx, ids)
}

// errNeedProof is the error of turning the second factor off without the
// password or a code.
var errNeedProof = registry.ValidationErrors{{Field: "confirm", Message: registry.Message{Key: "account.totp_off_needs_proof"}}}

// DisableTOTP turns u's second factor off, if proof is u's current
// password or a current code from u's app: a session left open on a shared
// computer is not enough to take the second factor away. Wrong proofs are
// throttled and audited like sign-ins.
func (a *Accounts) DisableTOTP(ctx context.Context, actor registry.Actor, u *registry.User, proof, addr string) error {
	proof = strings.TrimSpace(proof)
	if proof == "" {
		return errNeedProof
	}
	if len(proof) == totpDigits && strings.Trim(proof, "0123456789") == "" {
		// Six digits are a code: no password is that short.
		ids, err := a.reserve(ctx, u.Name, addr, true)
		if err != nil {
			return err
		}
		cr, err := a.store.Credentials(ctx, u.Name)
		if err != nil {
			return err
		}
		if cr.TOTPSecret == "" || totpMatch(cr.TOTPSecret, proof, a.store.Now().UTC(), cr.TOTPLastStep) == 0 {
			if err := a.audit(ctx, u.Name, u.BodyID, addr, "user.confirm_failed", "wrong code", nil); err != nil {
				return err
			}
			return errNeedProof
		}
		if err := a.store.ForgetFailures(ctx, ids); err != nil {
			return err
		}
	} else {
		ok, err := a.ConfirmPassword(ctx, u, proof, addr)
		if err != nil {
			return err
		}
		if !ok {
			return errNeedProof
		}
	}
	return a.store.SetTOTPSecret(ctx, actor, u.ID, "", 0)
}

// SetTOTP turns the second factor on with secret, after checking that code
// (from the person's authenticator app) matches it. An empty secret turns it
// off: the command line's way, for an operator helping someone who lost
// the app; the console turns it off with DisableTOTP.
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
// which only the browser keeps: the database has its hash. Every attempt is
// counted as a failure before the password is hashed, and given back when
// it succeeds, so that parallel attempts cannot outrun the throttle (see
// MaxFailuresPerUserAddr); a *ThrottledError says to wait. Failures are
// written to the audit log.
func (a *Accounts) Login(ctx context.Context, name, password, code, addr string) (token string, u *registry.User, err error) {
	name = strings.TrimSpace(name)
	code = strings.TrimSpace(code)
	now := a.store.Now().UTC()
	cr, err := a.store.Credentials(ctx, name)
	known := err == nil
	if err != nil && registry.ErrorCode(err) != registry.ENOTFOUND {
		return "", nil, fmt.Errorf("login: %w", err)
	}
	var bodyID int64
	// A code for an account with a second factor passes the account-wide
	// limit: the owner gets in while a guesser spread over many addresses
	// is held back.
	accountWide := !known || cr.TOTPSecret == "" || code == ""
	ids, err := a.reserve(ctx, name, addr, accountWide)
	if err != nil {
		return "", nil, err
	}
	if !known {
		CheckPassword(dummyHash, password) // as slow as a wrong password
		return "", nil, a.audit(ctx, name, 0, addr, "user.login_failed", "unknown account", errBadLogin)
	}
	if u, err := a.store.UserByID(ctx, cr.UserID); err == nil {
		bodyID = u.BodyID
	}
	if len(password) > 4*MaxPassword || !CheckPassword(cr.PasswordHash, password) {
		return "", nil, a.audit(ctx, name, bodyID, addr, "user.login_failed", "wrong password", errBadLogin)
	}
	if cr.Disabled {
		return "", nil, a.audit(ctx, name, bodyID, addr, "user.login_failed", "account disabled", registry.Errorf(registry.EFORBIDDEN, "", "account.account_disabled"))
	}
	var step int64
	if cr.TOTPSecret != "" {
		if code == "" {
			// The password was right: not a failure, only half a sign-in.
			if err := a.store.ForgetFailures(ctx, ids); err != nil {
				return "", nil, err
			}
			return "", nil, ErrTOTPRequired
		}
		if step = totpMatch(cr.TOTPSecret, code, now, cr.TOTPLastStep); step == 0 {
			return "", nil, a.audit(ctx, name, bodyID, addr, "user.login_failed", "wrong or used code", registry.Errorf(registry.EUNAUTHORIZED, "totp", "account.code_wrong_was_already"))
		}
	}
	if err := a.store.ForgetFailures(ctx, ids); err != nil {
		return "", nil, err
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

// reserve counts an attempt at name from addr as a failure before it is
// checked (see Store.ReserveFailure), or returns a *ThrottledError. The
// account-wide count is left out when accountWide is false.
func (a *Accounts) reserve(ctx context.Context, name, addr string, accountWide bool) ([]int64, error) {
	user := strings.ToLower(name)
	group := AddressGroup(addr)
	limits := []registry.FailureLimit{
		{Key: "addr:" + group, Max: MaxFailuresPerAddr},
		{Key: "user:" + user + " addr:" + group, Max: MaxFailuresPerUserAddr},
	}
	if accountWide {
		limits = append(limits, registry.FailureLimit{Key: "user:" + user, Max: MaxFailuresPerUser})
	}
	memo := fmt.Sprint(limits)
	a.mu.Lock()
	until, ok := a.throttled[memo]
	a.mu.Unlock()
	if now := a.store.Now(); ok && now.Before(until) {
		return nil, &ThrottledError{RetryAfter: max(until.Sub(now), time.Second)}
	}
	select {
	case a.reserving <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ids, wait, err := a.store.ReserveFailure(ctx, limits, FailureWindow)
	<-a.reserving
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		a.mu.Lock()
		now := a.store.Now()
		for k, t := range a.throttled { // keep the memo as small as the throttle
			if !now.Before(t) {
				delete(a.throttled, k)
			}
		}
		a.throttled[memo] = now.Add(wait)
		a.mu.Unlock()
		return nil, &ThrottledError{RetryAfter: wait}
	}
	return ids, nil
}

// AddressGroup is what per-client limits count a client address under:
// the address itself for IPv4, its /64 for IPv6, since one subscriber
// usually holds a whole /64 and could otherwise take a fresh address for
// every attempt. Both the sign-in throttle and the site's rate limits use
// it; the audit and request logs keep the exact address.
func AddressGroup(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Is4In6() {
		return addr
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// audit writes a failed attempt at the account name from addr to the audit
// log, and returns cause. The name is kept short and printable: it is
// whatever a stranger typed.
func (a *Accounts) audit(ctx context.Context, name string, bodyID int64, addr, kind, reason string, cause error) error {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 64 {
		name = string(r[:64]) + "…"
	}
	if name == "" {
		name = "(none)"
	}
	if err := a.store.AuditFailedSignIn(ctx, registry.Actor{Name: name, BodyID: bodyID, Source: "console", RemoteAddr: addr}, bodyID, kind, reason); err != nil {
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
