package site

import (
	"context"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Every URL reachable from / and /en/ answers 200: pages, feeds, API,
// downloads and static files.
func TestCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("crawl")
	}
	s := New(demoRegistry(t), Config{BaseURL: testBase})
	h := s.Handler()
	kinds := map[string]int{}
	n, err := Walk(context.Background(), h, testBase, []string{"/", "/en/", "/robots.txt", "/sitemap.xml"}, 100000, func(path string, resp *http.Response, body []byte) error {
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		kind := strings.SplitN(strings.TrimPrefix(strings.TrimPrefix(path, "/en"), "/"), "/", 2)[0]
		kind, _, _ = strings.Cut(kind, "?")
		kinds[kind]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("crawled %d URLs: %v", n, kinds)
	for _, k := range []string{"certificates", "bodies", "schemes", "statistics", "holders", "feeds", "api", "data", "static", "sitemaps"} {
		if kinds[k] == 0 {
			t.Errorf("the crawl never reached /%s", k)
		}
	}
}

// TestLinks reads the links of a page as the crawl and the export follow
// them: internal ones only, entities undone, fragments dropped.
func TestLinks(t *testing.T) {
	page := `<a href="/certificates/A1#top">x</a><img src="/static/a.png">` +
		`<a href="https://certreg.test/en/?q=%E5%AE%81&amp;page=2">` +
		`<a href="https://elsewhere.test/x"><a href="//cdn.test/y"><a href="mailto:a@b.c">` +
		`<a nohref="/no"><a data-href="/data"><loc>https://certreg.test/sitemaps/pages.xml</loc>` +
		`<a rel="nofollow" href="/V/TOKEN/A1">v</a><a href="/qr/svg/T/A1" class="x" rel="noopener nofollow">q</a><a rel="follow" href="/f">` +
		`<a href="/unterminated`
	got := Links([]byte(page), "https://certreg.test")
	want := []string{"/certificates/A1", "/static/a.png", "/en/?q=%E5%AE%81&page=2", "/data", "/sitemaps/pages.xml", "/f"}
	if !slices.Equal(got, want) {
		t.Errorf("Links:\n got %q\nwant %q", got, want)
	}
}

// The certificates sitemap is written by hand, for speed: byte for byte
// what encoding/xml writes.
func TestURLSetMarshal(t *testing.T) {
	s := &Server{cfg: Config{BaseURL: "https://certreg.test/a&b"}}
	for _, paths := range [][]string{nil, {"/certificates/A1"}, {"/certificates/00114E22766R2L~3502", "/certificates/<x>\"'"}} {
		set := s.urlSet(paths)
		want, err := xml.MarshalIndent(set, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if got := set.marshal(); string(got) != string(want) {
			t.Errorf("paths %q:\n got %s\nwant %s", paths, got, want)
		}
	}
}
