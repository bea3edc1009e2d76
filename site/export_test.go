package site_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site"
)

var exportLink = regexp.MustCompile(`\s(?:href|src)="(/[^"?#]*)"`)

// TestExportMatchesLiveAndCrawls exports a registry, serves the folder with
// a plain static file server, and checks page by page that it serves what
// the live site serves, that every link that works live works in the copy,
// that the log in the copy verifies, and that a second export after ten
// changes rewrites only what changed.
func TestExportMatchesLiveAndCrawls(t *testing.T) {
	_, l, verifier, vkey, store := logTestStore(t, 40)
	newSite := func() *site.Server {
		srv := site.New(store, site.Config{BaseURL: "https://certreg.test", NoCache: true})
		srv.MountLog(&site.LogHandlers{Log: l, VerifierKey: vkey})
		return srv
	}
	srv := newSite()
	live := httptest.NewServer(srv.Handler())
	defer live.Close()
	dir := t.TempDir()
	logPaths := func() []string {
		ps, err := l.Paths(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out := []string{"/log/key"}
		for _, p := range ps {
			out = append(out, "/log/"+p)
		}
		return out
	}
	res, err := srv.Export(context.Background(), dir, logPaths())
	if err != nil {
		t.Fatal(err)
	}
	if res.Written != res.Files || res.Files < 2*40+3 {
		t.Fatalf("first export: %+v", res)
	}
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()

	// The live site is asked without following redirects (a redirect is
	// not a page); the static server redirects a directory to its "/".
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	fetch := func(base, p string) (int, []byte) {
		c := http.DefaultClient
		if base == live.URL {
			c = noRedirect
		}
		resp, err := c.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	pages, checked := 0, map[string]bool{}
	err = filepath.WalkDir(dir, func(name string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(name, dir+string(filepath.Separator)))
		if strings.Contains(rel, "/.export-") {
			t.Errorf("temporary file left: %s", rel)
		}
		urlPath := rel
		if strings.HasSuffix(rel, "/index.html") {
			urlPath = strings.TrimSuffix(rel, "index.html")
			if urlPath != "/" && urlPath != "/en/" {
				urlPath = strings.TrimSuffix(urlPath, "/")
			}
		}
		file, _ := os.ReadFile(name)
		// What stands in for the server on a static host (verdict pages,
		// the search index) has no live twin: TestExportOffline checks it;
		// its links are checked below like every page's.
		if !offlineFile(rel) {
			st, body := fetch(live.URL, urlPath)
			if st != 200 || string(body) != string(file) {
				t.Errorf("%s: the export differs from the live site (%d)", urlPath, st)
			}
		}
		if !strings.HasSuffix(rel, ".html") {
			return nil
		}
		pages++
		for _, m := range exportLink.FindAllStringSubmatch(string(file), -1) {
			link := m[1]
			if checked[link] {
				continue
			}
			checked[link] = true
			if st, _ := fetch(live.URL, link); st != 200 {
				continue // broken live too: the site's business, not the export's
			}
			if st, _ := fetch(static.URL, link); st != 200 {
				t.Errorf("%s links to %s: %d in the static copy", urlPath, link, st)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages < 2*40+2 || len(checked) < 40 {
		t.Fatalf("crawled %d pages, %d links", pages, len(checked))
	}
	if st, b := fetch(static.URL, "/log/checkpoint"); st != 200 {
		t.Fatalf("static checkpoint: %d", st)
	} else if cp, err := registry.ParseCheckpoint(b, verifier); err != nil || cp.Size != 40 {
		t.Fatalf("static checkpoint: %v", err)
	}

	// Ten changes, sequenced: the pages of the other thirty certificates are
	// not rewritten (the pages listing them, the holder's and the body's,
	// are), and the log's new files are written. The store's clock is fixed
	// here; `certreg export` freezes it at the last change, which every
	// page shows as its "as of" time, so there every page is rewritten.
	mtimes := map[string]time.Time{}
	filepath.WalkDir(dir, func(name string, d os.DirEntry, err error) error {
		if info, err := d.Info(); err == nil && !d.IsDir() {
			mtimes[name] = info.ModTime()
		}
		return nil
	})
	actor := registry.Actor{Name: "test", Source: "cli"}
	changed := map[string]bool{}
	for i := 1; i <= 19; i += 2 {
		n := fmt.Sprintf("SAC-2024-%05d", i)
		changed[n] = true
		if _, err := store.ChangeStatus(context.Background(), actor, registry.StatusChange{Number: n, To: registry.StatusSuspended, Reason: "暂停"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Sequence(context.Background()); err != nil {
		t.Fatal(err)
	}
	res2, err := newSite().Export(context.Background(), dir, logPaths())
	if err != nil {
		t.Fatal(err)
	}
	// Ten more log entries, each a file of its own.
	if res2.Files != res.Files+10 || res2.Unchanged != res2.Files-res2.Written || res2.Written >= res.Files/2 {
		t.Fatalf("incremental export: %d written, %d unchanged of %d", res2.Written, res2.Unchanged, res2.Files)
	}
	certPage := regexp.MustCompile(`certificates/(SAC-2024-\d{5})(/index\.html)?$`)
	rewritten := map[string]int{}
	for name, before := range mtimes {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		m := certPage.FindStringSubmatch(filepath.ToSlash(name))
		if m == nil || strings.Contains(filepath.ToSlash(name), "/api/") {
			// Every certificate's JSON holds a proof against the latest
			// checkpoint: it changes whenever the log grows.
			continue
		}
		if !info.ModTime().Equal(before) {
			if !changed[m[1]] {
				t.Errorf("%s was rewritten, though its certificate did not change", name)
			}
			rewritten[m[1]]++
		}
	}
	for n := range changed {
		if rewritten[n] < 2 {
			t.Errorf("the pages of %s were not rewritten (%d)", n, rewritten[n])
		}
	}
	if st, b := fetch(static.URL, "/en/certificates/SAC-2024-00001"); st != 200 || !strings.Contains(strings.ToLower(string(b)), "suspended") {
		t.Fatalf("changed page not rewritten: %d", st)
	}
}

// offlineFile reports whether an exported file (its path from the export's
// root) is one the export writes instead of a live page: the verdict pages
// at QR code URLs and the search index.
func offlineFile(rel string) bool {
	rel = strings.TrimPrefix(rel, "/en")
	return strings.HasPrefix(rel, "/V/") || strings.HasPrefix(rel, "/search/")
}

func TestHostHeaders(t *testing.T) {
	h := site.HostHeaders()
	for name, want := range map[string][]string{
		"_headers":           {"/*\n  Content-Security-Policy: " + site.ContentSecurityPolicy, "frame-ancestors 'none'", "/log/tile/*\n  Content-Type: application/octet-stream"},
		"nginx-certreg.conf": {`add_header Content-Security-Policy "` + site.ContentSecurityPolicy + `" always;`, "try_files $uri $uri/index.html"},
	} {
		for _, w := range want {
			if !strings.Contains(string(h[name]), w) {
				t.Errorf("%s lacks %q:\n%s", name, w, h[name])
			}
		}
	}
}
