package site

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// Every URL reachable from / and /en/ answers 200: pages, feeds, API,
// downloads and static files.
func TestCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("crawl")
	}
	s := New(demo(t), Config{BaseURL: testBase})
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
