package site

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/certreg/certreg/views"
)

// TestCORSOnPublicReadsOnly checks that a web page elsewhere may read the
// public API, open data, feeds, keys and log from a browser, and never the
// console or the publishing API.
func TestCORSOnPublicReadsOnly(t *testing.T) {
	_, ts := newTestSite(t)
	c, err := demoRegistry(t).Certificate(context.Background(), sampleNumber(t, "valid"))
	if err != nil {
		t.Fatal(err)
	}
	open := []string{
		"/api/v1/certificates?q=" + url.QueryEscape(c.HolderName),
		views.APICertificatePath(c.Number),
		"/api/v1/openapi.json",
		"/data/certificates.ndjson",
		"/feeds/issued.atom",
		"/en/feeds/status.atom",
		"/.well-known/certreg-keys.json",
		"/healthz",
		"/api/v1/certificates?q=ab%00cd", // an error answer too
	}
	for _, p := range open {
		r := get(t, ts, p, "Origin", "https://tender.example.com")
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET %s: Access-Control-Allow-Origin = %q, want *", p, r.header.Get("Access-Control-Allow-Origin"))
		}
		if r.header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("GET %s allows credentials", p)
		}
	}
	// A preflight, as a browser sends before a conditional GET or a JSON POST.
	for _, pf := range []struct{ path, method, headers string }{
		{views.APICertificatePath(c.Number), "GET", "if-none-match"},
		{"/api/v1/verify", "POST", "content-type"},
		{"/data/certificates.csv", "GET", ""},
	} {
		req, _ := http.NewRequest(http.MethodOptions, ts.URL+pf.path, nil)
		req.Header.Set("Origin", "https://tender.example.com")
		req.Header.Set("Access-Control-Request-Method", pf.method)
		if pf.headers != "" {
			req.Header.Set("Access-Control-Request-Headers", pf.headers)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), pf.method) ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), pf.headers) {
			t.Errorf("preflight %s %s: %d %v", pf.method, pf.path, resp.StatusCode, h)
		}
	}
	// The console and the publishing API: no CORS, and no preflight granted.
	closed := []string{"/console/login", "/en/console/login", "/console/", "/api/v1/publish/certificates", "/certificates", "/"}
	for _, p := range closed {
		r := get(t, ts, p, "Origin", "https://evil.example")
		if v := r.header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("GET %s: Access-Control-Allow-Origin = %q on a route that must not have it", p, v)
		}
		for _, m := range []string{"GET", "POST", "PUT"} {
			req, _ := http.NewRequest(http.MethodOptions, ts.URL+p, nil)
			req.Header.Set("Origin", "https://evil.example")
			req.Header.Set("Access-Control-Request-Method", m)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.StatusCode < 400 {
				t.Errorf("preflight %s %s granted: %d %v", m, p, resp.StatusCode, resp.Header)
			}
		}
	}
}
