package site

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/accounts"
)

func TestSafeNext(t *testing.T) {
	for p, want := range map[string]string{
		"/console/":                         "/console/",
		"/en/console/":                      "/en/console/",
		"/console/certificates/A-2025-0001": "/console/certificates/A-2025-0001",
		"/en/console/upload":                "/en/console/upload",
		"/en/console/../../evil":            "",
		"/console/../evil":                  "",
		"/console/./x":                      "",
		"/console/x/..":                     "",
		"//evil.example/console/":           "",
		"/console//evil.example":            "",
		"/\\evil.example":                   "",
		"/console/\\evil":                   "",
		"/console/%2e%2e/%2e%2e/evil":       "",
		"/console%2f..%2f..%2fevil":         "",
		"https://evil.example/console/":     "",
		"javascript:alert(1)":               "",
		"/console/\tx":                      "",
		"/console/\r\nLocation: x":          "",
		"/console/x?y=1":                    "",
		"/consolex":                         "",
		"/console":                          "",
		"/evil/console/":                    "",
		"":                                  "",
	} {
		if got := safeNext(p); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestLoginNextStaysOnConsole signs in with next= tricks: each lands on
// the console, never elsewhere.
func TestLoginNextStaysOnConsole(t *testing.T) {
	f := newConsoleFixture(t)
	for _, next := range []string{"/en/console/../../evil", "//evil.example/", "/\\evil.example", "/en/console/%2e%2e/%2e%2e/evil", "https://evil.example/"} {
		b := f.browser(t)
		r := b.post("/en/console/login", url.Values{"name": {"alice"}, "password": {alicePass}, "next": {next}})
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || loc != "/en/console/" {
			t.Errorf("next=%q: %d to %q, want /en/console/", next, r.status, loc)
		}
	}
	b := f.browser(t)
	r := b.post("/en/console/login", url.Values{"name": {"alice"}, "password": {alicePass}, "next": {"/en/console/upload"}})
	if loc := r.header.Get("Location"); loc != "/en/console/upload" {
		t.Errorf("a good next= is not followed: %q", loc)
	}
}

// TestConsoleTOTPOffNeedsProof: an open session alone cannot turn the
// second factor off; the current password or a code can.
func TestConsoleTOTPOffNeedsProof(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	m := regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]{32})</code>`).FindStringSubmatch(a.get("/console/account").body)
	if m == nil {
		t.Fatal("no secret on the account page")
	}
	code, _ := accounts.TOTPCode(m[1], *f.now)
	if r := a.post("/console/account/totp", url.Values{"action": {"enable"}, "secret": {m[1]}, "code": {code}}); r.status != http.StatusSeeOther {
		t.Fatalf("enable: %d", r.status)
	}
	on := func() bool { return strings.Contains(a.get("/console/account").body, `value="disable"`) }
	for _, tc := range []struct {
		path, confirm, want string
	}{
		{"/console/account/totp", "", "要停用动态码，请输入当前密码"},
		{"/en/console/account/totp", "", "enter your current password or the 6-digit code"},
		{"/en/console/account/totp", "not-the-password", "enter your current password or the 6-digit code"},
		{"/en/console/account/totp", "123456", "enter your current password or the 6-digit code"},
	} {
		r := a.post(tc.path, url.Values{"action": {"disable"}, "confirm": {tc.confirm}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.want) || !on() {
			t.Fatalf("turn off with %q: %d, on=%v", tc.confirm, r.status, on())
		}
	}
	if r := a.post("/console/account/totp", url.Values{"action": {"disable"}, "confirm": {alicePass}}); r.status != http.StatusSeeOther || on() {
		t.Fatalf("turn off with the password: %d, on=%v", r.status, on())
	}
}

// TestConsolePasswordCheckThrottled: the current password on the account
// page cannot be guessed at the speed of the server.
func TestConsolePasswordCheckThrottled(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	const newPass = "alice-New-Pass-2026!"
	for i := 0; i < accounts.MaxFailuresPerUserAddr; i++ {
		if r := a.post("/console/account/password", url.Values{"current": {"guess-guess-guess"}, "new": {newPass}, "again": {newPass}}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: %d", i, r.status)
		}
	}
	r := a.post("/en/console/account/password", url.Values{"current": {alicePass}, "new": {newPass}, "again": {newPass}})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "Too many failed") {
		t.Fatalf("after %d wrong current passwords: %d %v", accounts.MaxFailuresPerUserAddr, r.status, r.header)
	}
	*f.now = f.now.Add(accounts.FailureWindow + time.Second)
	a = f.signedIn(t, "alice", alicePass)
	if r := a.post("/console/account/password", url.Values{"current": {alicePass}, "new": {newPass}, "again": {newPass}}); r.status != http.StatusSeeOther {
		t.Fatalf("after the window: %d", r.status)
	}
}
