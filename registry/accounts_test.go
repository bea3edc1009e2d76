package registry

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// accountsStore opens a registry with two bodies and a movable clock.
func accountsStore(t *testing.T) (*Store, *time.Time) {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	ctx := context.Background()
	for _, b := range []Body{{Approval: "CNCA-R-2002-001", NameZH: "甲认证中心"}, {Approval: "CNCA-R-2003-002", NameZH: "乙认证公司"}} {
		if _, err := s.AddBody(ctx, Actor{Name: "setup", Source: "cli"}, b); err != nil {
			t.Fatal(err)
		}
	}
	return s, &now
}

var opActor = Actor{Name: "root", Source: "cli", RemoteAddr: "local"}

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
	s, now := accountsStore(t)
	ctx := context.Background()
	const pw = "秘密-Secret-Pass-9731"
	if _, err := s.AddUser(ctx, opActor, NewUser{Name: "root", Role: RoleOperator, Password: "short"}); ErrorCode(err) != EINVALID {
		t.Fatalf("short password: %v", err)
	}
	if _, err := s.AddUser(ctx, opActor, NewUser{Name: "pub", Role: RolePublisher, Password: pw}); ErrorCode(err) != EINVALID {
		t.Fatalf("publisher without body: %v", err)
	}
	op, err := s.AddUser(ctx, opActor, NewUser{Name: "root", Role: RoleOperator, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.AddUser(ctx, op.Actor("cli", "local"), NewUser{Name: "alice", Role: RolePublisher, BodyApproval: "cnca-r-2002-001", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if pub.BodyApproval != "CNCA-R-2002-001" || pub.Role != RolePublisher {
		t.Fatalf("publisher: %+v", pub)
	}
	if _, err := s.AddUser(ctx, opActor, NewUser{Name: "ALICE", Role: RoleOperator, Password: pw}); ErrorCode(err) != ECONFLICT {
		t.Fatalf("duplicate name (other case): %v", err)
	}

	token, u, err := s.Login(ctx, "alice", pw, "", "10.0.0.1")
	if err != nil || u.ID != pub.ID || len(token) < 43 {
		t.Fatalf("login: %v %+v %q", err, u, token)
	}
	if got, err := s.SessionUser(ctx, token); err != nil || got.ID != pub.ID {
		t.Fatalf("session: %v", err)
	}
	if _, err := s.SessionUser(ctx, token+"x"); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("forged token: %v", err)
	}
	// Idle timeout.
	*now = now.Add(SessionIdle + time.Second)
	if _, err := s.SessionUser(ctx, token); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("idle session still live: %v", err)
	}
	// Absolute timeout, with activity every 20 minutes.
	token, _, _ = s.Login(ctx, "alice", pw, "", "10.0.0.1")
	for i := 0; i < int(SessionMax/(20*time.Minute)); i++ {
		*now = now.Add(20 * time.Minute)
		if _, err := s.SessionUser(ctx, token); err != nil {
			t.Fatalf("active session ended early after %d steps: %v", i, err)
		}
	}
	*now = now.Add(20 * time.Minute)
	if _, err := s.SessionUser(ctx, token); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("session outlived SessionMax: %v", err)
	}
	// A password change ends every session; so does disabling.
	t1, _, _ := s.Login(ctx, "alice", pw, "", "10.0.0.1")
	t2, _, _ := s.Login(ctx, "alice", pw, "", "10.0.0.2")
	if err := s.SetPassword(ctx, op.Actor("cli", "local"), "alice", pw+"-new"); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{t1, t2} {
		if _, err := s.SessionUser(ctx, tk); ErrorCode(err) != EUNAUTHORIZED {
			t.Fatalf("session survived a password change: %v", err)
		}
	}
	if _, _, err := s.Login(ctx, "alice", pw, "", "10.0.0.1"); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("old password still works: %v", err)
	}
	t3, _, err := s.Login(ctx, "alice", pw+"-new", "", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DisableUser(ctx, op.Actor("cli", "local"), "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, t3); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("disabled user's session still live: %v", err)
	}
	if _, _, err := s.Login(ctx, "alice", pw+"-new", "", "10.0.0.1"); ErrorCode(err) != EFORBIDDEN {
		t.Fatalf("disabled user logs in: %v", err)
	}

	// The password is nowhere in the database file, in any encoding we
	// write, and the audit log says who did what.
	s.db.Exec(`PRAGMA wal_checkpoint(FULL)`)
	for _, f := range []string{s.Path(), s.Path() + "-wal"} {
		b, _ := os.ReadFile(f)
		for _, p := range []string{pw, pw + "-new"} {
			if bytes.Contains(b, []byte(p)) {
				t.Fatalf("%s holds a password in the clear", f)
			}
		}
	}
	evs, err := s.AuditEvents(ctx, AuditFilter{Kind: "user."})
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
	evs, _ = s.AuditEvents(ctx, AuditFilter{BodyID: body.ID, Kind: "user.disabled", Actor: "root"})
	if len(evs) != 1 || evs[0].RemoteAddr != "local" || evs[0].Changes[1].After != "true" {
		t.Fatalf("filtered audit: %+v", evs)
	}
	if _, err := s.db.Exec(`UPDATE events SET actor = 'nobody'`); err == nil {
		t.Fatal("the audit log can be rewritten")
	}
}

func TestLoginThrottling(t *testing.T) {
	s, now := accountsStore(t)
	ctx := context.Background()
	const pw = "a-long-enough-password"
	if _, err := s.AddUser(ctx, opActor, NewUser{Name: "bob", Role: RoleOperator, Password: pw}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < MaxFailuresPerUser; i++ {
		if _, _, err := s.Login(ctx, "bob", "wrong password", "", "10.0.0.9"); ErrorCode(err) != EUNAUTHORIZED {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	var te *ThrottledError
	if _, _, err := s.Login(ctx, "bob", pw, "", "10.0.0.10"); !errors.As(err, &te) {
		t.Fatalf("right password after %d failures from anywhere: %v, want throttled", MaxFailuresPerUser, err)
	}
	*now = now.Add(FailureWindow + time.Second)
	if _, _, err := s.Login(ctx, "bob", pw, "", "10.0.0.10"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Per address: many names from one address.
	for i := 0; i < MaxFailuresPerAddr; i++ {
		s.Login(ctx, "user"+string(rune('a'+i)), "x", "", "192.0.2.7")
	}
	if _, _, err := s.Login(ctx, "bob", pw, "", "192.0.2.7"); !errors.As(err, &te) {
		t.Fatalf("address not throttled: %v", err)
	}
	if _, _, err := s.Login(ctx, "bob", pw, "", "192.0.2.8"); err != nil {
		t.Fatalf("another address is throttled too: %v", err)
	}
}

func TestTOTPLogin(t *testing.T) {
	s, now := accountsStore(t)
	ctx := context.Background()
	const pw = "a-long-enough-password"
	u, _ := s.AddUser(ctx, opActor, NewUser{Name: "carol", Role: RoleOperator, Password: pw})
	secret, _ := NewTOTPSecret()
	if err := s.SetTOTP(ctx, opActor, u.ID, secret, "000000"); ErrorCode(err) != EINVALID {
		t.Fatalf("wrong confirmation code: %v", err)
	}
	code, _ := TOTPCode(secret, *now)
	if err := s.SetTOTP(ctx, opActor, u.ID, secret, code); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, "carol", pw, "", "10.0.0.1"); err != ErrTOTPRequired {
		t.Fatalf("no code: %v", err)
	}
	if _, _, err := s.Login(ctx, "carol", pw, code, "10.0.0.1"); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("replayed code accepted: %v", err)
	}
	*now = now.Add(30 * time.Second)
	code, _ = TOTPCode(secret, *now)
	if _, _, err := s.Login(ctx, "carol", pw, code, "10.0.0.1"); err != nil {
		t.Fatalf("fresh code: %v", err)
	}
}

func TestAPIKeys(t *testing.T) {
	s, now := accountsStore(t)
	ctx := context.Background()
	key, k, err := s.CreateAPIKey(ctx, opActor, "CNCA-R-2002-001", "ERP", now.Add(90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, APIKeyPrefix) || len(key) < len(APIKeyPrefix)+43 {
		t.Fatalf("key %q is not 256 random bits", key)
	}
	got, err := s.APIKeyByToken(ctx, key)
	if err != nil || got.ID != k.ID || got.LastUsed.IsZero() {
		t.Fatalf("auth: %v %+v", err, got)
	}
	altered := key[:len(key)-1] + "A"
	if key[len(key)-1] == 'A' {
		altered = key[:len(key)-1] + "B"
	}
	if _, err := s.APIKeyByToken(ctx, altered); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("altered key: %v", err)
	}
	var n int
	s.db.QueryRow(`SELECT count(*) FROM api_keys WHERE key_hash = ? OR prefix = ?`, key, key).Scan(&n)
	if n != 0 {
		t.Fatal("the key is stored in the clear")
	}
	// Another body's publisher cannot revoke it; the operator can.
	if err := s.RevokeAPIKey(ctx, Actor{Name: "eve", BodyID: k.BodyID + 1, Source: "console"}, k.ID); ErrorCode(err) != ENOTFOUND {
		t.Fatalf("other body revokes: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, opActor, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKeyByToken(ctx, key); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("revoked key works: %v", err)
	}
	key2, _, _ := s.CreateAPIKey(ctx, opActor, "CNCA-R-2002-001", "short", now.Add(time.Hour))
	*now = now.Add(time.Hour)
	if _, err := s.APIKeyByToken(ctx, key2); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("expired key works: %v", err)
	}
	if _, _, err := s.CreateAPIKey(ctx, opActor, "CNCA-R-2002-001", "forever", now.Add(5*366*24*time.Hour)); ErrorCode(err) != EINVALID {
		t.Fatalf("five-year key: %v", err)
	}
	evs, _ := s.AuditEvents(ctx, AuditFilter{Kind: "apikey."})
	if len(evs) != 3 {
		t.Fatalf("apikey events: %d", len(evs))
	}
}
