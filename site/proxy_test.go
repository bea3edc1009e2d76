package site

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
)

func TestResolveClient(t *testing.T) {
	trusted, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		peer   string
		hdr    []string // key, value, …
		tls    bool
		want   string
		https  bool
		noList bool // no trusted proxies at all
	}{
		{name: "direct, no header", peer: "192.0.2.7:5555", want: "192.0.2.7"},
		{name: "untrusted peer forges XFF", peer: "192.0.2.7:5555", hdr: []string{"X-Forwarded-For", "198.51.100.1"}, want: "192.0.2.7"},
		{name: "untrusted peer forges Forwarded", peer: "192.0.2.7:5555", hdr: []string{"Forwarded", "for=198.51.100.1"}, want: "192.0.2.7"},
		{name: "untrusted peer forges proto", peer: "192.0.2.7:5555", hdr: []string{"X-Forwarded-Proto", "https"}, want: "192.0.2.7"},
		{name: "nobody trusted", peer: "127.0.0.1:5555", hdr: []string{"X-Forwarded-For", "198.51.100.1"}, want: "127.0.0.1", noList: true},
		{name: "trusted proxy", peer: "127.0.0.1:5555", hdr: []string{"X-Forwarded-For", "198.51.100.1", "X-Forwarded-Proto", "https"}, want: "198.51.100.1", https: true},
		{name: "client's own forged entry is left of the real one", peer: "127.0.0.1:5555", hdr: []string{"X-Forwarded-For", "203.0.113.9, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "chain of trusted proxies", peer: "127.0.0.1:5555", hdr: []string{"X-Forwarded-For", "203.0.113.9, 198.51.100.1, 10.1.2.3"}, want: "198.51.100.1"},
		{name: "two XFF headers", peer: "127.0.0.1:5555", hdr: []string{"X-Forwarded-For", "203.0.113.9", "X-Forwarded-For", "198.51.100.1"}, want: "198.51.100.1"},
		{name: "all hops trusted", peer: "127.0.0.1:5555", hdr: []string{"X-Forwarded-For", "10.0.0.5, 10.0.0.6"}, want: "10.0.0.5"},
		{name: "garbage hop stops at the nearest address", peer: "127.0.0.1:5555", hdr: []string{"X-Forwarded-For", "198.51.100.1, bogus, 10.0.0.6"}, want: "10.0.0.6"},
		{name: "IPv6 hop with port", peer: "[::1]:5555", hdr: []string{"X-Forwarded-For", "[2001:db8::7]:4711"}, want: "2001:db8::7"},
		{name: "Forwarded", peer: "[::1]:5555", hdr: []string{"Forwarded", `for=203.0.113.9, for="[2001:db8::7]:4711";proto=https`}, want: "2001:db8::7", https: true},
		{name: "XFF wins over a passed-through Forwarded", peer: "127.0.0.1:5555", hdr: []string{"Forwarded", "for=203.0.113.9", "X-Forwarded-For", "198.51.100.1"}, want: "198.51.100.1"},
		{name: "nearest proxy's scheme counts", peer: "127.0.0.1:5555", hdr: []string{"X-Forwarded-For", "198.51.100.1", "X-Forwarded-Proto", "https, http"}, want: "198.51.100.1"},
		{name: "direct TLS", peer: "192.0.2.7:5555", tls: true, want: "192.0.2.7", https: true},
		{name: "IPv4-mapped peer", peer: "[::ffff:127.0.0.1]:5555", hdr: []string{"X-Forwarded-For", "198.51.100.1"}, want: "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				r.Header.Add(tc.hdr[i], tc.hdr[i+1])
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			tr := trusted
			if tc.noList {
				tr = nil
			}
			c := resolveClient(r, tr)
			if c.addr != tc.want || c.https != tc.https {
				t.Errorf("client = %q https=%v, want %q https=%v", c.addr, c.https, tc.want, tc.https)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0.1/8/9"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) took it", bad)
		}
	}
}

// clientFrom is an HTTP client whose connections come from the local
// address ip (any 127.x.y.z works on Linux without setup).
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func statusFrom(t *testing.T, c *http.Client, url string, hdr ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// startCaddy runs Debian's caddy as a reverse proxy on 127.0.0.1 in front
// of upstream and returns its URL. The test skips without caddy, except in
// CI, where it fails. A port taken by someone else between choosing it and
// Caddy binding it is tried again with another.
func startCaddy(t *testing.T, upstream string) string {
	t.Helper()
	bin, err := exec.LookPath("caddy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("caddy is not installed (CI installs it with apt-get)")
		}
		t.Skip("caddy is not installed")
	}
	var out syncBuffer
	for attempt := 0; attempt < 5; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		dir := t.TempDir()
		conf := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n\tstorage file_system %s\n}\nhttp://%s {\n\tbind 127.0.0.1\n\treverse_proxy %s\n}\n", filepath.Join(dir, "data"), addr, upstream)
		if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, "run", "--adapter", "caddyfile", "--config", filepath.Join(dir, "Caddyfile"))
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() { cancel(); <-exited }
		deadline := time.Now().Add(15 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				t.Cleanup(stop)
				return "http://" + addr
			}
			select {
			case <-exited: // the port was taken: try another
			case <-time.After(50 * time.Millisecond):
				if time.Now().Before(deadline) {
					continue
				}
				stop()
				t.Fatalf("caddy did not start: %v\n%s", err, out.String())
			}
			break
		}
	}
	t.Fatalf("caddy did not start in 5 attempts:\n%s", out.String())
	return ""
}

// TestClientAddressBehindCaddy puts a real Caddy in front of the site,
// trusted as its proxy: two clients coming through it from different
// addresses get separate lookup limits, and a client that forges
// X-Forwarded-For, directly or through Caddy, is still limited as itself.
func TestClientAddressBehindCaddy(t *testing.T) {
	const burst = 3
	s := New(demoRegistry(t), Config{
		BaseURL:        testBase,
		Limits:         Limits{LookupRate: rate.Every(time.Hour), LookupBurst: burst},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	site := httptest.NewServer(s.Handler()) // listens on 127.0.0.1
	t.Cleanup(site.Close)
	proxy := startCaddy(t, strings.TrimPrefix(site.URL, "http://"))
	const lookup = "/verify/check?number=NO-SUCH-NUMBER"

	// A busy reviewer at 127.0.0.2 uses up its lookups…
	a := clientFrom("127.0.0.2")
	for i := range burst {
		if st := statusFrom(t, a, proxy+lookup); st == http.StatusTooManyRequests {
			t.Fatalf("lookup %d from 127.0.0.2 refused within its burst", i+1)
		}
	}
	if st := statusFrom(t, a, proxy+lookup); st != http.StatusTooManyRequests {
		t.Fatalf("lookup %d from 127.0.0.2 through Caddy: %d, want 429", burst+1, st)
	}
	// …and the reviewer at 127.0.0.3, behind the same proxy, is not held up.
	b := clientFrom("127.0.0.3")
	if st := statusFrom(t, b, proxy+lookup); st == http.StatusTooManyRequests {
		t.Fatal("127.0.0.3 was refused because 127.0.0.2 used up its lookups: the proxy's clients are one client")
	}

	// A client that talks to the site directly (not a trusted proxy) and
	// forges a new X-Forwarded-For each time is limited as itself.
	c := clientFrom("127.0.0.4")
	for i := range burst + 2 {
		st := statusFrom(t, c, site.URL+lookup, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
		if i >= burst && st != http.StatusTooManyRequests {
			t.Fatalf("direct lookup %d with a forged X-Forwarded-For: %d, want 429", i+1, st)
		}
	}
	// Through Caddy, a forged X-Forwarded-For is not the client either.
	d := clientFrom("127.0.0.5")
	for i := range burst + 2 {
		st := statusFrom(t, d, proxy+lookup, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", 100+i))
		if i >= burst && st != http.StatusTooManyRequests {
			t.Fatalf("lookup %d through Caddy with a forged X-Forwarded-For: %d, want 429", i+1, st)
		}
	}

	// X-Forwarded-Proto from a stranger is not believed: no HSTS over HTTP.
	req, _ := http.NewRequest(http.MethodGet, site.URL+"/", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := clientFrom("127.0.0.6").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent because an untrusted client claimed X-Forwarded-Proto: https")
	}
	// Through Caddy over plain HTTP, Caddy says http, whatever the client claims.
	req, _ = http.NewRequest(http.MethodGet, proxy+"/", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err = clientFrom("127.0.0.6").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("through Caddy over HTTP: status %d, HSTS %q; want 200 and none", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
}

// TestSignInBehindCaddy: behind a real Caddy, the sign-in throttle and the
// audit log see each client's own address: a stranger guessing from
// 127.0.0.2 is held back, the owner signing in from 127.0.0.3 is not, and
// the audit log names 127.0.0.2 as the failures' origin.
func TestSignInBehindCaddy(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	if _, err := accounts.New(st).AddUser(ctx, registry.Actor{Name: "setup", Source: "cli"}, registry.NewUser{Name: "root", Role: registry.RoleOperator}, opPass); err != nil {
		t.Fatal(err)
	}
	s := New(st, Config{BaseURL: testBase, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	site := httptest.NewServer(s.Handler())
	t.Cleanup(site.Close)
	proxy := startCaddy(t, strings.TrimPrefix(site.URL, "http://"))
	login := func(from, pw string) int {
		t.Helper()
		resp, err := clientFrom(from).PostForm(proxy+"/console/login", url.Values{"name": {"root"}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range accounts.MaxFailuresPerUserAddr {
		if code := login("127.0.0.2", "guess-guess-guess"); code != http.StatusUnauthorized {
			t.Fatalf("a wrong password: %d", code)
		}
	}
	if code := login("127.0.0.2", opPass); code != http.StatusTooManyRequests {
		t.Fatalf("the guessing address is not held back: %d", code)
	}
	if code := login("127.0.0.3", opPass); code != http.StatusSeeOther {
		t.Fatalf("the owner at 127.0.0.3 is held back by the guesses from 127.0.0.2: %d", code)
	}
	evs, err := st.AuditEvents(ctx, registry.AuditFilter{Kind: "user."})
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{}
	for _, e := range evs {
		addrs[e.Kind] = e.RemoteAddr
	}
	if addrs["user.login_failed"] != "127.0.0.2" || addrs["user.login"] != "127.0.0.3" {
		t.Errorf("audit addresses through Caddy: %v, want failures from 127.0.0.2 and the sign-in from 127.0.0.3", addrs)
	}
}

// TestRateLimitIPv6Subnet: the lookup limit counts an IPv6 /64 as one
// client, so a client cannot take a fresh address for every lookup.
func TestRateLimitIPv6Subnet(t *testing.T) {
	h := New(demoRegistry(t), Config{BaseURL: testBase, Limits: Limits{LookupRate: rate.Every(time.Hour), LookupBurst: 2}}).Handler()
	status := func(peer string) int {
		req := httptest.NewRequest(http.MethodGet, "/verify/check?number=NO-SUCH-NUMBER", nil)
		req.RemoteAddr = peer
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 2 {
		if st := status(fmt.Sprintf("[2001:db8:5:6::%d]:4000", i+1)); st == http.StatusTooManyRequests {
			t.Fatalf("lookup %d refused within the burst", i+1)
		}
	}
	if st := status("[2001:db8:5:6::77]:4000"); st != http.StatusTooManyRequests {
		t.Errorf("a fresh address in the same /64: %d, want 429", st)
	}
	if st := status("[2001:db8:5:7::1]:4000"); st == http.StatusTooManyRequests {
		t.Error("another /64 is refused too")
	}
}
