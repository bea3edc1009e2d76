package accounts

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// accountsStore opens a registry with two bodies and a movable clock.
func accountsStore(t *testing.T) (*registry.Store, *Accounts, *time.Time) {
	t.Helper()
	s, err := registry.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	ctx := context.Background()
	for _, b := range []registry.Body{{Approval: "CNCA-R-2002-001", NameZH: "甲认证中心"}, {Approval: "CNCA-R-2003-002", NameZH: "乙认证公司"}} {
		if _, err := s.AddBody(ctx, registry.Actor{Name: "setup", Source: "cli"}, b); err != nil {
			t.Fatal(err)
		}
	}
	return s, New(s), &now
}

var opActor = registry.Actor{Name: "root", Source: "cli", RemoteAddr: "local"}

func TestTOTPVectors(t *testing.T) {
	// RFC 6238 appendix B, SHA-1 key "12345678901234567890", truncated to
	// the 6 digits authenticator apps show.
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		got, err := TOTPCode(secret, time.Unix(v.unix, 0))
		if err != nil || got != v.code {
			t.Errorf("TOTP at %d = %s %v, want %s", v.unix, got, err, v.code)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an OWASP Argon2id PHC string", h)
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "correct horse batterY") || CheckPassword(h, "") {
		t.Fatal("CheckPassword is wrong")
	}
	h2, _ := HashPassword("correct horse battery")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA", "plain"} {
		if CheckPassword(bad, "x") {
			t.Errorf("CheckPassword(%q) accepted", bad)
		}
	}
}

func TestUsersSessionsAndAudit(t *testing.T) {
	s, a, now := accountsStore(t)
	ctx := context.Background()
	const pw = "秘密-Secret-Pass-9731"
	if _, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "root", Role: registry.RoleOperator}, "short"); registry.ErrorCode(err) != registry.EINVALID {
		t.Fatalf("short password: %v", err)
	}
	if _, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "pub", Role: registry.RolePublisher}, pw); registry.ErrorCode(err) != registry.EINVALID {
		t.Fatalf("publisher without body: %v", err)
	}
	op, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "root", Role: registry.RoleOperator}, pw)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := a.AddUser(ctx, op.Actor("cli", "local"), registry.NewUser{Name: "alice", Role: registry.RolePublisher, BodyApproval: "cnca-r-2002-001"}, pw)
	if err != nil {
		t.Fatal(err)
	}
	if pub.BodyApproval != "CNCA-R-2002-001" || pub.Role != registry.RolePublisher {
		t.Fatalf("publisher: %+v", pub)
	}
	if _, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "ALICE", Role: registry.RoleOperator}, pw); registry.ErrorCode(err) != registry.ECONFLICT {
		t.Fatalf("duplicate name (other case): %v", err)
	}

	token, u, err := a.Login(ctx, "alice", pw, "", "10.0.0.1")
	if err != nil || u.ID != pub.ID || len(token) < 43 {
		t.Fatalf("login: %v %+v %q", err, u, token)
	}
	if got, err := a.SessionUser(ctx, token); err != nil || got.ID != pub.ID {
		t.Fatalf("session: %v", err)
	}
	if _, err := a.SessionUser(ctx, token+"x"); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("forged token: %v", err)
	}
	// Idle timeout.
	*now = now.Add(SessionIdle + time.Second)
	if _, err := a.SessionUser(ctx, token); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("idle session still live: %v", err)
	}
	// Absolute timeout, with activity every 20 minutes.
	token, _, _ = a.Login(ctx, "alice", pw, "", "10.0.0.1")
	for i := 0; i < int(SessionMax/(20*time.Minute)); i++ {
		*now = now.Add(20 * time.Minute)
		if _, err := a.SessionUser(ctx, token); err != nil {
			t.Fatalf("active session ended early after %d steps: %v", i, err)
		}
	}
	*now = now.Add(20 * time.Minute)
	if _, err := a.SessionUser(ctx, token); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("session outlived SessionMax: %v", err)
	}
	// A password change ends every session; so does disabling.
	t1, _, _ := a.Login(ctx, "alice", pw, "", "10.0.0.1")
	t2, _, _ := a.Login(ctx, "alice", pw, "", "10.0.0.2")
	if err := a.SetPassword(ctx, op.Actor("cli", "local"), "alice", pw+"-new"); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{t1, t2} {
		if _, err := a.SessionUser(ctx, tk); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
			t.Fatalf("session survived a password change: %v", err)
		}
	}
	if _, _, err := a.Login(ctx, "alice", pw, "", "10.0.0.1"); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("old password still works: %v", err)
	}
	t3, _, err := a.Login(ctx, "alice", pw+"-new", "", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DisableUser(ctx, op.Actor("cli", "local"), "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SessionUser(ctx, t3); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("disabled user's session still live: %v", err)
	}
	if _, _, err := a.Login(ctx, "alice", pw+"-new", "", "10.0.0.1"); registry.ErrorCode(err) != registry.EFORBIDDEN {
		t.Fatalf("disabled user logs in: %v", err)
	}

	// The password is nowhere in the database file, in any encoding we
	// write, and the audit log says who did what.
	registrytest.RawDB(t, s).Exec(`PRAGMA wal_checkpoint(FULL)`)
	for _, f := range []string{s.Path(), s.Path() + "-wal"} {
		b, _ := os.ReadFile(f)
		for _, p := range []string{pw, pw + "-new"} {
			if bytes.Contains(b, []byte(p)) {
				t.Fatalf("%s holds a password in the clear", f)
			}
		}
	}
	evs, err := s.AuditEvents(ctx, registry.AuditFilter{Kind: "user."})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
		if e.At.IsZero() || e.Actor == "" || e.Source == "" {
			t.Errorf("event without who/when: %+v", e)
		}
	}
	if kinds["user.created"] != 2 || kinds["user.password"] != 1 || kinds["user.disabled"] != 1 || kinds["user.login"] < 4 {
		t.Fatalf("audit kinds: %v", kinds)
	}
	body, _ := s.Body(ctx, "CNCA-R-2002-001")
	evs, _ = s.AuditEvents(ctx, registry.AuditFilter{BodyID: body.ID, Kind: "user.disabled", Actor: "root"})
	if len(evs) != 1 || evs[0].RemoteAddr != "local" || evs[0].Changes[1].After != "true" {
		t.Fatalf("filtered audit: %+v", evs)
	}
	if _, err := registrytest.RawDB(t, s).Exec(`UPDATE events SET actor = 'nobody'`); err == nil {
		t.Fatal("the audit log can be rewritten")
	}
}

func TestLoginThrottling(t *testing.T) {
	_, a, now := accountsStore(t)
	ctx := context.Background()
	const pw = "a-long-enough-password"
	if _, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "bob", Role: registry.RoleOperator}, pw); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < MaxFailuresPerUserAddr; i++ {
		if _, _, err := a.Login(ctx, "bob", "wrong password", "", "10.0.0.9"); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	var te *ThrottledError
	if _, _, err := a.Login(ctx, "BOB", pw, "", "10.0.0.9"); !errors.As(err, &te) {
		t.Fatalf("right password from the guessing address after %d failures: %v, want throttled", MaxFailuresPerUserAddr, err)
	}
	*now = now.Add(FailureWindow + time.Second)
	if _, _, err := a.Login(ctx, "bob", pw, "", "10.0.0.9"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Per address: many names from one address.
	for i := 0; i < MaxFailuresPerAddr; i++ {
		a.Login(ctx, "user"+string(rune('a'+i)), "x", "", "192.0.2.7")
	}
	if _, _, err := a.Login(ctx, "bob", pw, "", "192.0.2.7"); !errors.As(err, &te) {
		t.Fatalf("address not throttled: %v", err)
	}
	if _, _, err := a.Login(ctx, "bob", pw, "", "192.0.2.8"); err != nil {
		t.Fatalf("another address is throttled too: %v", err)
	}
}

// TestStrangerCannotLockOwnerOut: a stranger who knows an account's name
// and guesses from an address holds back only that address; a guess spread
// over many addresses holds the account back, but its owner's password and
// TOTP code still sign in, from an address never seen before.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	_, a, now := accountsStore(t)
	ctx := context.Background()
	const pw = "a-long-enough-password"
	u, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "dora", Role: registry.RolePublisher, BodyApproval: "CNCA-R-2002-001"}, pw)
	if err != nil {
		t.Fatal(err)
	}
	var te *ThrottledError
	for i := 0; i < 3*MaxFailuresPerUserAddr; i++ {
		a.Login(ctx, "dora", "guess", "", "198.51.100.1")
	}
	if _, _, err := a.Login(ctx, "dora", pw, "", "198.51.100.1"); !errors.As(err, &te) {
		t.Fatalf("the stranger's address is not held back: %v", err)
	}
	if _, _, err := a.Login(ctx, "dora", pw, "", "203.0.113.5"); err != nil {
		t.Fatalf("the owner is locked out by a stranger at one address: %v", err)
	}

	// Guessing from many addresses reaches the account-wide limit.
	secret, _ := NewTOTPSecret()
	code, _ := TOTPCode(secret, *now)
	if err := a.SetTOTP(ctx, opActor, u.ID, secret, code); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(FailureWindow + time.Second)
	for i := 0; i < MaxFailuresPerUser; i++ {
		addr := "198.51.100." + string(rune('0'+i/MaxFailuresPerUserAddr)) + "0"
		if _, _, err := a.Login(ctx, "dora", "guess", "", addr); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
			t.Fatalf("guess %d from %s: %v", i, addr, err)
		}
	}
	if _, _, err := a.Login(ctx, "dora", "guess", "", "198.51.100.200"); !errors.As(err, &te) {
		t.Fatalf("guesses from many addresses: %v, want the account held back", err)
	}
	if _, _, err := a.Login(ctx, "dora", pw, "", "203.0.113.77"); !errors.As(err, &te) {
		t.Fatalf("the password alone passed the account-wide limit: %v", err)
	}
	*now = now.Add(time.Minute) // a fresh code
	code, _ = TOTPCode(secret, *now)
	if _, _, err := a.Login(ctx, "dora", "guess", code, "203.0.113.78"); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("a wrong password with the right code: %v", err)
	}
	if _, got, err := a.Login(ctx, "dora", pw, code, "203.0.113.79"); err != nil || got.Name != "dora" {
		t.Fatalf("the owner's password and code from a new address: %v", err)
	}
}

// TestParallelWrongLoginsBounded sends 100 wrong sign-ins at once, from one
// address and then from 100: each is counted before its hash, so that only
// as many as the limits allow are hashed at all, and no more than
// MaxConcurrentHashes hashes (19 MiB each) run at once.
func TestParallelWrongLoginsBounded(t *testing.T) {
	s, a, _ := accountsStore(t)
	ctx := context.Background()
	if _, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "erin", Role: registry.RoleOperator}, "a-long-enough-password"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		addr  func(i int) string
		wrong int // at most this many may be checked (and fail), the rest throttled
	}{
		{"one address", func(int) string { return "192.0.2.1" }, MaxFailuresPerUserAddr},
		{"100 addresses", func(i int) string { return "10.1." + itoa(i/250) + "." + itoa(i%250) }, MaxFailuresPerUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hashPeak.Store(0)
			var wg sync.WaitGroup
			var wrong, throttled atomic.Int64
			for i := range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, err := a.Login(ctx, "erin", "wrong password", "", tc.addr(i))
					var te *ThrottledError
					switch {
					case errors.As(err, &te):
						throttled.Add(1)
					case registry.ErrorCode(err) == registry.EUNAUTHORIZED:
						wrong.Add(1)
					default:
						t.Errorf("login: %v", err)
					}
				}()
			}
			wg.Wait()
			if int(wrong.Load()) > tc.wrong || wrong.Load()+throttled.Load() != 100 {
				t.Errorf("%d checked and wrong, %d throttled: at most %d may be checked", wrong.Load(), throttled.Load(), tc.wrong)
			}
			if p := hashPeak.Load(); p > MaxConcurrentHashes || p < 1 {
				t.Errorf("peak concurrent Argon2id hashes: %d, want 1..%d", p, MaxConcurrentHashes)
			}
			t.Logf("%d checked, %d throttled, peak %d hashes at once", wrong.Load(), throttled.Load(), hashPeak.Load())
		})
	}
	// Every checked failure is in the audit log, with its address.
	evs, err := s.AuditEvents(ctx, registry.AuditFilter{Kind: "user.login_failed", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < MaxFailuresPerUserAddr+1 {
		t.Errorf("%d failed sign-ins audited", len(evs))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestFailedSignInsAudited: every failed sign-in is in the audit log with
// the name tried, the address and the reason, never the password.
func TestFailedSignInsAudited(t *testing.T) {
	s, a, _ := accountsStore(t)
	ctx := context.Background()
	if _, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "fred", Role: registry.RolePublisher, BodyApproval: "CNCA-R-2003-002"}, "a-long-enough-password"); err != nil {
		t.Fatal(err)
	}
	a.Login(ctx, "fred", "secret-guess-1", "", "192.0.2.44")
	a.Login(ctx, "nobody\x00here", "secret-guess-2", "", "192.0.2.45")
	evs, err := s.AuditEvents(ctx, registry.AuditFilter{Kind: "user.", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if e.Kind != "user.login_failed" {
			continue
		}
		got = append(got, e.Actor+" "+e.RemoteAddr+" "+e.Changes[0].After)
		for _, c := range e.Changes {
			if strings.Contains(c.After+c.Before, "secret-guess") {
				t.Errorf("the password is in the audit log: %+v", e)
			}
		}
	}
	want := []string{"nobodyhere 192.0.2.45 unknown account", "fred 192.0.2.44 wrong password"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audited failures:\n%q\nwant\n%q", got, want)
	}
	body, _ := s.Body(ctx, "CNCA-R-2003-002")
	if evs, _ := s.AuditEvents(ctx, registry.AuditFilter{BodyID: body.ID, Kind: "user.login_failed"}); len(evs) != 1 {
		t.Errorf("the failure at a publisher's account is not filed under its body: %d", len(evs))
	}
}

// TestConfirmPasswordThrottled: the current-password check of a signed-in
// user is throttled and audited like a sign-in.
func TestConfirmPasswordThrottled(t *testing.T) {
	s, a, _ := accountsStore(t)
	ctx := context.Background()
	const pw = "a-long-enough-password"
	u, _ := a.AddUser(ctx, opActor, registry.NewUser{Name: "gina", Role: registry.RoleOperator}, pw)
	if ok, err := a.ConfirmPassword(ctx, u, pw, "192.0.2.9"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	for i := 0; i < MaxFailuresPerUserAddr; i++ {
		if ok, err := a.ConfirmPassword(ctx, u, "guess", "192.0.2.9"); ok || err != nil {
			t.Fatalf("guess %d: %v %v", i, ok, err)
		}
	}
	var te *ThrottledError
	if _, err := a.ConfirmPassword(ctx, u, pw, "192.0.2.9"); !errors.As(err, &te) {
		t.Fatalf("after %d wrong current passwords: %v, want throttled", MaxFailuresPerUserAddr, err)
	}
	if evs, _ := s.AuditEvents(ctx, registry.AuditFilter{Kind: "user.confirm_failed"}); len(evs) != MaxFailuresPerUserAddr {
		t.Errorf("%d failed checks audited, want %d", len(evs), MaxFailuresPerUserAddr)
	}
}

// TestDisableTOTPNeedsProof: the second factor goes off only with the
// current password or a current code.
func TestDisableTOTPNeedsProof(t *testing.T) {
	_, a, now := accountsStore(t)
	ctx := context.Background()
	const pw = "a-long-enough-password"
	u, _ := a.AddUser(ctx, opActor, registry.NewUser{Name: "hank", Role: registry.RoleOperator}, pw)
	enable := func() {
		t.Helper()
		*now = now.Add(time.Minute)
		secret, _ := NewTOTPSecret()
		code, _ := TOTPCode(secret, *now)
		if err := a.SetTOTP(ctx, opActor, u.ID, secret, code); err != nil {
			t.Fatal(err)
		}
	}
	on := func() bool {
		t.Helper()
		got, err := a.store.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.TOTP
	}
	enable()
	for _, proof := range []string{"", "   ", "000000", "wrong-password-guess"} {
		if err := a.DisableTOTP(ctx, opActor, u, proof, "192.0.2.10"); registry.ErrorCode(err) != registry.EINVALID || !on() {
			t.Fatalf("proof %q: %v, on=%v; want refused and still on", proof, err, on())
		}
	}
	if err := a.DisableTOTP(ctx, opActor, u, pw, "192.0.2.10"); err != nil || on() {
		t.Fatalf("with the password: %v, on=%v", err, on())
	}
	enable()
	cr, _ := a.store.Credentials(ctx, "hank")
	*now = now.Add(time.Minute)
	code, _ := TOTPCode(cr.TOTPSecret, *now)
	if err := a.DisableTOTP(ctx, opActor, u, code, "192.0.2.11"); err != nil || on() {
		t.Fatalf("with a code: %v, on=%v", err, on())
	}
}

func TestTOTPLogin(t *testing.T) {
	_, a, now := accountsStore(t)
	ctx := context.Background()
	const pw = "a-long-enough-password"
	u, _ := a.AddUser(ctx, opActor, registry.NewUser{Name: "carol", Role: registry.RoleOperator}, pw)
	secret, _ := NewTOTPSecret()
	if err := a.SetTOTP(ctx, opActor, u.ID, secret, "000000"); registry.ErrorCode(err) != registry.EINVALID {
		t.Fatalf("wrong confirmation code: %v", err)
	}
	code, _ := TOTPCode(secret, *now)
	if err := a.SetTOTP(ctx, opActor, u.ID, secret, code); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Login(ctx, "carol", pw, "", "10.0.0.1"); err != ErrTOTPRequired {
		t.Fatalf("no code: %v", err)
	}
	if _, _, err := a.Login(ctx, "carol", pw, code, "10.0.0.1"); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("replayed code accepted: %v", err)
	}
	*now = now.Add(30 * time.Second)
	code, _ = TOTPCode(secret, *now)
	if _, _, err := a.Login(ctx, "carol", pw, code, "10.0.0.1"); err != nil {
		t.Fatalf("fresh code: %v", err)
	}
}

func TestAPIKeys(t *testing.T) {
	s, a, now := accountsStore(t)
	ctx := context.Background()
	key, k, err := a.CreateAPIKey(ctx, opActor, "CNCA-R-2002-001", "ERP", now.Add(90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, APIKeyPrefix) || len(key) < len(APIKeyPrefix)+43 {
		t.Fatalf("key %q is not 256 random bits", key)
	}
	got, err := a.APIKey(ctx, key)
	if err != nil || got.ID != k.ID || got.LastUsed.IsZero() {
		t.Fatalf("auth: %v %+v", err, got)
	}
	altered := key[:len(key)-1] + "A"
	if key[len(key)-1] == 'A' {
		altered = key[:len(key)-1] + "B"
	}
	if _, err := a.APIKey(ctx, altered); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("altered key: %v", err)
	}
	var n int
	registrytest.RawDB(t, s).QueryRow(`SELECT count(*) FROM api_keys WHERE key_hash = ? OR prefix = ?`, key, key).Scan(&n)
	if n != 0 {
		t.Fatal("the key is stored in the clear")
	}
	// Another body's publisher cannot revoke it; the operator can.
	if err := s.RevokeAPIKey(ctx, registry.Actor{Name: "eve", BodyID: k.BodyID + 1, Source: "console"}, k.ID); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatalf("other body revokes: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, opActor, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.APIKey(ctx, key); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("revoked key works: %v", err)
	}
	key2, _, _ := a.CreateAPIKey(ctx, opActor, "CNCA-R-2002-001", "short", now.Add(time.Hour))
	*now = now.Add(time.Hour)
	if _, err := a.APIKey(ctx, key2); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatalf("expired key works: %v", err)
	}
	if _, _, err := a.CreateAPIKey(ctx, opActor, "CNCA-R-2002-001", "forever", now.Add(5*366*24*time.Hour)); registry.ErrorCode(err) != registry.EINVALID {
		t.Fatalf("five-year key: %v", err)
	}
	evs, _ := s.AuditEvents(ctx, registry.AuditFilter{Kind: "apikey."})
	if len(evs) != 3 {
		t.Fatalf("apikey events: %d", len(evs))
	}
}

// TestIPv6SubnetIsOneClient: addresses of one IPv6 /64 (one subscriber's)
// count as one client; another /64 is another client.
func TestIPv6SubnetIsOneClient(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::ffff":   "2001:db8:1:2::/64",
		"::ffff:192.0.2.7":     "::ffff:192.0.2.7",
		"not an address":       "not an address",
		"2001:db8:1:3:aaaa::1": "2001:db8:1:3::/64",
	} {
		if got := AddressGroup(in); got != want {
			t.Errorf("AddressGroup(%q) = %q, want %q", in, got, want)
		}
	}
	_, a, _ := accountsStore(t)
	ctx := context.Background()
	const pw = "a-long-enough-password"
	if _, err := a.AddUser(ctx, opActor, registry.NewUser{Name: "ivan", Role: registry.RoleOperator}, pw); err != nil {
		t.Fatal(err)
	}
	for i := range MaxFailuresPerUserAddr {
		a.Login(ctx, "ivan", "guess", "", "2001:db8:1:2::"+strconv.Itoa(i+1))
	}
	var te *ThrottledError
	if _, _, err := a.Login(ctx, "ivan", pw, "", "2001:db8:1:2::99"); !errors.As(err, &te) {
		t.Fatalf("a fresh address in the guessing /64: %v, want throttled", err)
	}
	if _, _, err := a.Login(ctx, "ivan", pw, "", "2001:db8:1:3::1"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}
