package site

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// linkMarkers are what starts a link in the site's own output: href and
// src attributes (templ always writes them in double quotes) and the
// <loc> elements of sitemaps. Each is followed by the link, up to its
// closing marker.
var linkMarkers = []struct{ open, close string }{
	{`href="`, `"`}, {`src="`, `"`}, {`<loc>`, `</loc>`},
}

// htmlEntities undoes the escaping templ applies inside attributes.
var htmlEntities = strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'")

// Links returns the internal links of a response body as paths with their
// query strings: relative and root-relative links, and absolute ones on
// baseURL. Links elsewhere, fragments and mailto: are left out.
//
// It scans for the markers rather than running a regular expression: the
// static export reads every page of the site through it.
func Links(body []byte, baseURL string) []string {
	var out []string
	for i := 0; i < len(body); {
		j := bytes.IndexAny(body[i:], "hs<")
		if j < 0 {
			break
		}
		i += j
		matched := false
		for _, m := range linkMarkers {
			if !bytes.HasPrefix(body[i:], []byte(m.open)) || (m.open[0] != '<' && i > 0 && isWordByte(body[i-1])) {
				continue
			}
			start := i + len(m.open)
			end := bytes.Index(body[start:], []byte(m.close))
			if end < 0 {
				return out
			}
			if m.open == `href="` && nofollow(body, i) {
				// A verdict, a QR image: what a person asks for, not a
				// page to crawl (and a check a crawl must not count).
				i = start + end + len(m.close)
				matched = true
				break
			}
			if l, ok := internalLink(string(body[start:start+end]), baseURL); ok {
				out = append(out, l)
			}
			i, matched = start+end+len(m.close), true
			break
		}
		if !matched {
			i++
		}
	}
	return out
}

// nofollow reports whether the tag around position i of body has
// rel="nofollow" (alone or among other values).
func nofollow(body []byte, i int) bool {
	open := bytes.LastIndexByte(body[:i], '<')
	end := bytes.IndexByte(body[i:], '>')
	if open < 0 || end < 0 {
		return false
	}
	tag := body[open : i+end]
	r := bytes.Index(tag, []byte(`rel="`))
	if r < 0 {
		return false
	}
	val := tag[r+len(`rel="`):]
	if q := bytes.IndexByte(val, '"'); q >= 0 {
		val = val[:q]
	}
	for _, f := range bytes.Fields(val) {
		if string(f) == "nofollow" {
			return true
		}
	}
	return false
}

// CrawlerUserAgent is the User-Agent of the site's own crawls (Walk, the
// static export): the verification counter never counts them.
const CrawlerUserAgent = "certreg-walk/1 (the registry's own crawler)"

func isWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// internalLink returns raw, a link as written in a page, as a path with
// its query, when it points into the site.
func internalLink(raw, baseURL string) (string, bool) {
	if strings.IndexByte(raw, '&') >= 0 {
		raw = htmlEntities.Replace(raw)
	}
	if rest, ok := strings.CutPrefix(raw, baseURL); ok && (rest == "" || rest[0] == '/') {
		raw = rest
		if raw == "" {
			raw = "/"
		}
	}
	if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	u.Fragment = ""
	return u.RequestURI(), true
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
		req.Header.Set("User-Agent", CrawlerUserAgent)
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
