package site

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/site/browsertest"
)

// The demo registry is loaded once for the package's read-only tests;
// tests that write open their own.
var (
	demoOnce  sync.Once
	demoStore *registry.Store
	demoDir   string
	demoErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Report("github.com/certreg/certreg/site")
	if demoStore != nil {
		demoStore.Close()
	}
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

// fixedNow is the clock of every test registry, so that derived expiry and
// "data as of" are the same on every run.
var fixedNow = time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)

func demoRegistry(t testing.TB) *registry.Store {
	t.Helper()
	demoOnce.Do(func() {
		demoDir, demoErr = os.MkdirTemp("", "certreg-site-test")
		if demoErr != nil {
			return
		}
		demoStore, demoErr = registry.Open(filepath.Join(demoDir, "registry.db"))
		if demoErr != nil {
			return
		}
		demoStore.Now = func() time.Time { return fixedNow }
		_, demoErr = demo.Load(context.Background(), demoStore)
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoStore
}

// newStore opens an empty registry of the test's own.
func newStore(t testing.TB) *registry.Store {
	t.Helper()
	s, err := registry.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return fixedNow }
	t.Cleanup(func() { s.Close() })
	return s
}

const testBase = "https://certreg.example.cn"

// newTestSite serves the demo registry over real HTTP.
func newTestSite(t testing.TB) (*Server, *httptest.Server) {
	t.Helper()
	s := New(demoRegistry(t), Config{BaseURL: testBase})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

type response struct {
	status int
	header http.Header
	body   string
}

// get fetches path from ts without following redirects.
func get(t testing.TB, ts *httptest.Server, path string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func mustContain(t testing.TB, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: does not contain %q", what, w)
		}
	}
}

// sampleNumber returns the number of a demo certificate of a kind: "/" (a
// branch number with a slash), "revoked", "suspended", "withdrawn",
// "expired", "valid", "five-star" or "any".
func sampleNumber(t testing.TB, kind string) string {
	t.Helper()
	s := demoRegistry(t)
	today := registry.Today(fixedNow).Format(registry.DateLayout)
	var where string
	var args []any
	switch kind {
	case "/":
		where = "number LIKE '%/%'"
	case "revoked", "withdrawn":
		where, args = "status = ?", []any{kind}
	case "suspended", "valid":
		where, args = "status = ? AND expiry_date >= ?", []any{kind, today}
	case "expired":
		where, args = "status IN ('valid','suspended') AND expiry_date < ?", []any{today}
	case "five-star":
		where = "level = 'five-star'"
	default:
		where = "1"
	}
	var n string
	if err := registrytest.RawDB(t, s).QueryRow(`SELECT number FROM certificates WHERE `+where+` ORDER BY id LIMIT 1`, args...).Scan(&n); err != nil {
		t.Fatalf("no demo certificate of kind %q: %v", kind, err)
	}
	return n
}

type httptestServer = httptest.Server

func newHTTPTest(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
