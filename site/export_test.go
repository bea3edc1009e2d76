package site_test

import (
	"bytes"
	"context"
	"encoding/json"
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

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
	"github.com/certreg/certreg/translog"
)

var exportLink = regexp.MustCompile(`\s(?:href|src)="(/[^"?#]*)"`)

// TestExportMatchesLiveAndCrawls exports a registry, serves the folder with
// a plain static file server, and checks page by page that it serves what
// the live site serves, that every link that works live works in the copy,
// that the log in the copy verifies, and that a second export after ten
// changes rewrites only what changed.
func TestExportMatchesLiveAndCrawls(t *testing.T) {
	_, l, verifier, vkey, store := logTestStore(t, 40)
	keys := signing.NewMemoryKeys() // what `certreg export` reads from the key folder
	newSite := func() *site.Server {
		// The test fetches every QR image from the live site, past what
		// one client may look up.
		return site.New(store, site.Config{BaseURL: "https://certreg.test", NoCache: true, Limits: site.Limits{LookupBurst: 1 << 20}, Keys: keys, Log: l, LogKey: vkey})
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
	res, err := srv.Export(context.Background(), dir, site.ExportOptions{Extra: logPaths()})
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
	} else if cp, err := translog.ParseCheckpoint(b, verifier); err != nil || cp.Size != 40 {
		t.Fatalf("static checkpoint: %v", err)
	}

	// Ten changes, sequenced: only the files of those ten certificates (and
	// of the pages listing them: their holder's, body's, the lists) are
	// rendered and rewritten; the thirty others' pages, JSON records,
	// verdict pages and QR images are not even rendered.
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
	res2, err := newSite().Export(context.Background(), dir, site.ExportOptions{Extra: logPaths()})
	if err != nil {
		t.Fatal(err)
	}
	// Ten more log entries, each a file of its own, and the search filter
	// file of the status "suspended", which none had before; known
	// current, the files of thirty certificates and the forty entries
	// written before.
	if res2.Files != res.Files+10+1 || res2.Unchanged != res2.Files-res2.Written || res2.Rendered != 10 || res2.Current != 30*11+40 {
		t.Fatalf("incremental export: %d written, %d unchanged (%d known current) of %d (first: %d); %d certificates rendered",
			res2.Written, res2.Unchanged, res2.Current, res2.Files, res.Files, res2.Rendered)
	}
	// A file of one certificate: its pages, feed, JSON record, verdict
	// pages and QR images.
	certFile := regexp.MustCompile(`/(?:certificates|V/[A-Z2-7]+|qr/[a-z0-9-]+/[A-Z2-7]+)/(SAC-2024-\d{5})(?:/|$)`)
	rewritten := map[string]int{}
	for name, before := range mtimes {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		m := certFile.FindStringSubmatch(filepath.ToSlash(name))
		if m == nil {
			continue
		}
		if !info.ModTime().Equal(before) {
			if !changed[m[1]] {
				t.Errorf("%s was rewritten, though its certificate did not change", name)
			}
			rewritten[m[1]]++
		}
	}
	// Suspended: its pages ×2, feeds ×2, JSON and verdict pages ×2 say so;
	// its QR code (the claims) is the same.
	for n := range changed {
		if rewritten[n] != 7 {
			t.Errorf("%d files of %s were rewritten, want 7", rewritten[n], n)
		}
	}
	if st, b := fetch(static.URL, "/en/certificates/SAC-2024-00001"); st != 200 || !strings.Contains(strings.ToLower(string(b)), "suspended") {
		t.Fatalf("changed page not rewritten: %d", st)
	}

	// Once more, nothing changed: nothing is rendered again or written.
	res3, err := newSite().Export(context.Background(), dir, site.ExportOptions{Extra: logPaths()})
	if err != nil {
		t.Fatal(err)
	}
	if res3.Written != 0 || res3.Rendered != 0 || res3.Files != res2.Files || res3.Current != 40*11+2+50+2 { // certificates, their holder, log entries, open data
		t.Errorf("export of an unchanged registry: %d written, %d certificates rendered, %d known current of %d files",
			res3.Written, res3.Rendered, res3.Current, res3.Files)
	}

	// What the incremental export left is what a full one writes, but for
	// the log proofs in the JSON records of certificates that did not
	// change: each stays against the checkpoint of the export that wrote
	// it, signed, and still proves the entry.
	full := t.TempDir()
	if _, err := newSite().Export(context.Background(), full, site.ExportOptions{Extra: logPaths(), Full: true}); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(full, func(name string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(full, name)
		want, _ := os.ReadFile(name)
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err == nil && strings.HasPrefix(filepath.ToSlash(rel), "api/v1/certificates/") && !bytes.Equal(got, want) {
			got, want = checkedRecord(t, verifier, got), checkedRecord(t, verifier, want)
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: the incremental export differs from a full one (%v)", rel, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkedRecord checks the log proof of a certificate's JSON record
// against the signed checkpoint it holds, and returns the record without
// the proof.
func checkedRecord(t *testing.T, verifier note.Verifier, b []byte) []byte {
	t.Helper()
	var doc struct {
		Certificate map[string]any `json:"certificate"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	lb, _ := json.Marshal(doc.Certificate["log"])
	var p translog.InclusionProof
	if err := json.Unmarshal(lb, &p); err != nil {
		t.Fatal(err)
	}
	cp, err := translog.ParseCheckpoint([]byte(p.Checkpoint), verifier)
	if err != nil {
		t.Fatalf("%s: %v", p.Number, err)
	}
	if cp.Size != p.TreeSize || cp.Hash != p.RootHash || tlog.CheckRecord(p.Proof, p.TreeSize, p.RootHash, p.Index, p.LeafHash) != nil {
		t.Errorf("%s: the log proof does not check against its checkpoint", p.Number)
	}
	log := doc.Certificate["log"].(map[string]any)
	for _, k := range []string{"tree_size", "root_hash", "proof", "checkpoint"} {
		delete(log, k)
	}
	out, _ := json.Marshal(doc)
	return out
}

// offlineFile reports whether an exported file (its path from the export's
// root) is one the export writes instead of a live page: the verdict pages
// at QR code URLs, the search index, the export's time and its manifest.
func offlineFile(rel string) bool {
	switch rel {
	case "/export.json", "/.certreg-export.json":
		return true
	}
	rel = strings.TrimPrefix(rel, "/en")
	return strings.HasPrefix(rel, "/V/") || strings.HasPrefix(rel, "/search/")
}

func TestHostHeaders(t *testing.T) {
	h := site.HostHeaders()
	for name, want := range map[string][]string{
		"_headers":           {"/*\n  Content-Security-Policy: " + site.ContentSecurityPolicy, "frame-ancestors 'none'", "/log/tile/*\n  Content-Type: application/octet-stream", "/qr/svg/*\n  Content-Type: image/svg+xml"},
		"nginx-certreg.conf": {`add_header Content-Security-Policy "` + site.ContentSecurityPolicy + `" always;`, "try_files $uri $uri/index.html", "location /qr/png-256/ {\n    types {}\n    default_type \"image/png\";"},
	} {
		for _, w := range want {
			if !strings.Contains(string(h[name]), w) {
				t.Errorf("%s lacks %q:\n%s", name, w, h[name])
			}
		}
	}
}
