package site

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
)

// linkPattern finds the links of the site's own output: href and src
// attributes (templ always writes them in double quotes) and the <loc>
// elements of sitemaps.
var linkPattern = regexp.MustCompile(`(?:\bhref|\bsrc)="([^"]*)"|<loc>([^<]*)</loc>`)

// Links returns the internal links of a response body as paths with their
// query strings: relative and root-relative links, and absolute ones on
// baseURL. Links elsewhere, fragments and mailto: are left out.
func Links(body []byte, baseURL string) []string {
	var out []string
	for _, m := range linkPattern.FindAllSubmatch(body, -1) {
		raw := string(m[1])
		if raw == "" {
			raw = string(m[2])
		}
		raw = strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(raw)
		if rest, ok := strings.CutPrefix(raw, baseURL); ok && (rest == "" || rest[0] == '/') {
			raw = rest
			if raw == "" {
				raw = "/"
			}
		}
		if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		u.Fragment = ""
		out = append(out, u.RequestURI())
	}
	return out
}

// Visit is called by Walk for each URL it requested, with the final
// response after redirects (whose body is in body) and the URL's first
// path before them.
type Visit func(path string, resp *http.Response, body []byte) error

// Walk requests every URL reachable from starts by internal links,
// through h, in this process: the crawl test checks that each answers 200,
// and the static export writes each to a file. Redirects are followed
// within the site. It stops at the first error visit returns, or after
// max URLs (0: no limit).
func Walk(ctx context.Context, h http.Handler, baseURL string, starts []string, max int, visit Visit) (int, error) {
	seen := map[string]bool{}
	queue := append([]string(nil), starts...)
	for _, s := range starts {
		seen[s] = true
	}
	n := 0
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if max > 0 && n >= max {
			return n, fmt.Errorf("walk: more than %d URLs", max)
		}
		path := queue[0]
		queue = queue[1:]
		resp, body, err := fetch(ctx, h, path)
		if err != nil {
			return n, err
		}
		n++
		if err := visit(path, resp, body); err != nil {
			return n, err
		}
		ct := resp.Header.Get("Content-Type")
		if !strings.Contains(ct, "html") && !strings.Contains(ct, "xml") {
			continue
		}
		for _, l := range Links(body, baseURL) {
			if !seen[l] {
				seen[l] = true
				queue = append(queue, l)
			}
		}
	}
	return n, nil
}

// fetch requests path from h, following up to 5 redirects within the site.
func fetch(ctx context.Context, h http.Handler, path string) (*http.Response, []byte, error) {
	for range 5 {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := rec.Result()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, nil, err
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && strings.HasPrefix(loc, "/") {
			path = loc
			continue
		}
		return resp, body, nil
	}
	return nil, nil, fmt.Errorf("walk %s: too many redirects", path)
}
