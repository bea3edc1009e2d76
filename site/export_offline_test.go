package site_test

import (
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
	"github.com/certreg/certreg/site/browsertest"
	"github.com/certreg/certreg/site/i18n"
)

// offlineExport exports a small synthetic registry and returns the site
// (whose key ring signed the export), the store and the folder.
func offlineExport(t *testing.T, n int) (*site.Server, *registry.Store, string) {
	t.Helper()
	store, err := registry.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.Now = func() time.Time { return time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC) }
	if err := demo.LoadSynthetic(context.Background(), store, n); err != nil {
		t.Fatal(err)
	}
	srv := site.New(store, site.Config{BaseURL: "https://certreg.test", NoCache: true, Keys: signing.NewMemoryKeys()})
	dir := t.TempDir()
	if _, err := srv.Export(context.Background(), dir, site.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	return srv, store, dir
}

// qrPathOf is the path of a certificate's QR code URL, signed by srv.
func qrPathOf(t *testing.T, srv *site.Server, c *registry.Certificate) string {
	t.Helper()
	qs, err := srv.Keys().SignClaims(registry.ClaimsOf(c))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(qs.URL("https://certreg.test"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// tamper changes one character of the token in a QR code path.
func tamper(p string) string {
	i := len(signing.QRPath) + 10
	c := byte('A')
	if p[i] == 'A' {
		c = 'B'
	}
	return p[:i] + string(c) + p[i+1:]
}

// certificates returns the store's certificates.
func certificates(t *testing.T, store *registry.Store) []*registry.Certificate {
	t.Helper()
	var out []*registry.Certificate
	if err := store.EachCertificate(context.Background(), 0, func(c *registry.Certificate) error {
		out = append(out, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The export writes a verdict page at every certificate's QR code URL, in
// both languages, that says without JavaScript what it knew and where the
// live registry is; and a search index whose shards hold every bigram.
func TestExportOffline(t *testing.T) {
	srv, store, dir := offlineExport(t, 60)
	certs := certificates(t, store)
	for _, c := range certs {
		p := qrPathOf(t, srv, c)
		for _, prefix := range []string{"", "/en"} {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(prefix+p), "index.html"))
			if err != nil {
				t.Fatalf("%s: %v", c.Number, err)
			}
			page := string(b)
			want := []string{`id="offline-verdict"`, "CERTREG.TEST" + p, "2026"}
			if prefix == "" {
				want = append(want, "脚本未运行", "截至导出时间", i18n.ZH.Render(c.EffectiveStatus(store.Now())), c.HolderName)
			} else {
				want = append(want, "did not run", "Status as of the export")
			}
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("%s%s: no %q", prefix, p, w)
				}
			}
			if strings.Contains(page, "<script>") || strings.Contains(page, "style=") {
				t.Errorf("%s: inline script or style", p)
			}
			// The page shows the QR code, whose PNG (linked) reads back
			// as the URL the page is at.
			m := regexp.MustCompile(`href="(/qr/png-256/[^"]+)"`).FindStringSubmatch(page)
			if m == nil || !strings.Contains(page, `src="/qr/png-256/`) || !strings.Contains(page, `href="/qr/svg/`) {
				t.Fatalf("%s%s: no QR images", prefix, p)
			}
			if prefix == "" {
				img, err := os.Open(filepath.Join(dir, filepath.FromSlash(m[1])))
				if err != nil {
					t.Fatal(err)
				}
				decoded, err := png.Decode(img)
				img.Close()
				if err != nil {
					t.Fatal(err)
				}
				if text, err := qrimage.Decode(decoded); err != nil || text != "HTTPS://CERTREG.TEST"+p {
					t.Errorf("%s: the exported QR image reads %q (%v)", c.Number, text, err)
				}
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "V", "index.html")); err != nil {
		t.Errorf("no generic verdict page: %v", err)
	}
	// Every bigram of a holder's name is in its shard and lists the
	// certificate.
	var meta struct {
		Count, Shards, Chunk int
	}
	readJSON(t, filepath.Join(dir, "search", "meta.json"), &meta)
	if meta.Count != len(certs) || meta.Shards != 128 {
		t.Fatalf("search meta %+v", meta)
	}
	name := []rune(certs[7].HolderName)
	bg := string(name[2:4])
	var shard map[string][]int
	readJSON(t, filepath.Join(dir, "search", "b", itoa(site.SearchShard(bg))+".json"), &shard)
	var docs [][5]string
	readJSON(t, filepath.Join(dir, "search", "d", "0.json"), &docs)
	found := false
	for _, id := range shard[bg] {
		if !strings.Contains(docs[id][1], bg) {
			t.Errorf("doc %d (%s) listed under %q", id, docs[id][1], bg)
		}
		found = found || docs[id][0] == certs[7].Number
	}
	if !found {
		t.Errorf("%s not listed under %q", certs[7].Number, bg)
	}
	// Certificates are numbered newest first; each filter value lists
	// exactly the certificates that have it.
	var full [][9]string
	readJSON(t, filepath.Join(dir, "search", "d", "0.json"), &full)
	for i := 1; i < len(full); i++ {
		if full[i][8] > full[i-1][8] {
			t.Fatalf("doc %d issued %s after doc %d (%s): not newest first", i, full[i][8], i-1, full[i-1][8])
		}
	}
	var facets struct {
		Facets map[string][]string
	}
	readJSON(t, filepath.Join(dir, "search", "meta.json"), &facets)
	byNumber := map[string]*registry.Certificate{}
	for _, c := range certs {
		byNumber[c.Number] = c
	}
	for _, f := range []string{"status", "level", "city", "year"} {
		listed := 0
		for i, v := range facets.Facets[f] {
			var ids []int
			readJSON(t, filepath.Join(dir, "search", "f", f, itoa(i)+".json"), &ids)
			for _, id := range ids {
				c := byNumber[full[id][0]]
				got := map[string]string{"status": string(c.EffectiveStatus(store.Now())), "level": c.LevelCode, "city": c.City,
					"year": itoa(c.IssueDate.Year())}[f]
				if got != v {
					t.Errorf("%s listed under %s=%s, has %s", c.Number, f, v, got)
				}
			}
			listed += len(ids)
		}
		if f != "level" && listed != len(certs) {
			t.Errorf("filter %s lists %d certificates, want %d", f, listed, len(certs))
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// verdictFallback serves dir like a plain file server, except that a path
// under /V/ the export has no file for gets the generic verdict page: what
// the nginx snippet's try_files and the _redirects file do.
func verdictFallback(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel := filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil && strings.HasPrefix(r.URL.Path, "/V/") {
			http.ServeFile(w, r, filepath.Join(dir, "V", "index.html"))
			return
		}
		files.ServeHTTP(w, r)
	})
}

// A newcomer on the exported site, served by a plain file server, searches
// in Chinese, opens a certificate, and opens its QR code's URL: the browser
// checks the signature with WebCrypto Ed25519 and says it is good; with one
// character of the token changed, it says it is bad.
func TestBrowserExportSearchAndVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv, store, dir := offlineExport(t, 200)
	ctx := browsertest.New(t)
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()

	certs := certificates(t, store)
	target := certs[123]
	name := []rune(target.HolderName)
	q := string(name[len(name)/2-1 : len(name)/2+1]) // two characters from the middle
	err := chromedp.Do(ctx,
		chromedp.Navigate(static.URL+"/certificates?q="+url.QueryEscape(q)),
		chromedp.WaitVisible(chromedp.CSS("#offline-results .results li")),
	)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("offline search results: axe: %s", v)
	}
	type hit struct{ Name, Href string }
	hits, err := chromedp.Run(ctx, chromedp.Evaluate[[]hit](`Array.from(document.querySelectorAll("#offline-results .results li a")).map(a => ({Name: a.textContent, Href: a.getAttribute("href")}))`))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, c := range certs {
		if strings.Contains(strings.ToLower(c.HolderName), q) {
			want++
		}
	}
	if len(hits) != min(want, 50) {
		t.Errorf("search %q: %d results, want %d", q, len(hits), min(want, 50))
	}
	href := ""
	for _, h := range hits {
		if !strings.Contains(h.Name, q) {
			t.Errorf("search %q found %q", q, h.Name)
		}
		if h.Name == target.HolderName && strings.Contains(h.Href, strings.ReplaceAll(target.Number, "/", "~")) {
			href = h.Href
		}
	}
	if href == "" {
		t.Fatalf("search %q: %s (%s) not among %v", q, target.Number, target.HolderName, hits)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#offline-results a[href="`+href+`"]`)), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(strings.TrimSuffix(loc, "/"), href) {
		t.Fatalf("opened %s, want %s", loc, href)
	}
	if body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, target.Number) {
		t.Fatalf("certificate page does not show %s", target.Number)
	}

	// A filter on the static copy: the list page, served whatever the
	// query, shows what the index holds for it, and the form shows the
	// filter chosen.
	status := string(certs[0].EffectiveStatus(store.Now()))
	wantStatus := 0
	for _, c := range certs {
		if string(c.EffectiveStatus(store.Now())) == status && c.City == certs[0].City {
			wantStatus++
		}
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(static.URL+"/en/certificates?status="+status+"&city="+url.QueryEscape(certs[0].City)),
		chromedp.WaitVisible(chromedp.CSS("#offline-results .results li")),
	)
	if err != nil {
		t.Fatalf("filter status=%s: %v", status, err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#offline-results .results li").length`))
	if err != nil || shown != min(wantStatus, 50) {
		t.Errorf("filter status=%s city=%s: %d results, want %d (%v)", status, certs[0].City, shown, min(wantStatus, 50), err)
	}
	if sel, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("f-status").value`)); sel != status {
		t.Errorf("the status filter shows %q, want %q", sel, status)
	}
	if summary, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#offline-results .summary"))); !strings.Contains(summary, itoa(wantStatus)+" certificates found") {
		t.Errorf("filter summary: %q, want %d found", summary, wantStatus)
	}

	// verdict loads a QR code URL and waits for the in-browser check.
	verdict := func(base, p string) (result, text string) {
		t.Helper()
		err := chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("#offline-verdict[data-result]")))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		result, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("offline-verdict").dataset.result`))
		if err != nil {
			t.Fatal(err)
		}
		text, _ = chromedp.Run(ctx, chromedp.Text(chromedp.ID("offline-sig")))
		if e, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("offline-verdict").dataset.error || ""`)); e != "" {
			text += " (" + e + ")"
		}
		return result, text
	}
	good := qrPathOf(t, srv, target)
	if r, text := verdict(static.URL, good); r != "good" || !strings.Contains(text, "签名有效") {
		t.Errorf("genuine QR code: %s %q", r, text)
	}
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("offline verdict page: axe: %s", v)
	}
	// The QR code shows, though a plain file server cannot type its
	// file by name.
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector("img.qr").complete ? document.querySelector("img.qr").naturalWidth : -1`)); err != nil || w < 100 {
		t.Errorf("the QR image on the exported verdict page: %d px wide (%v)", w, err)
	}
	if r, text := verdict(static.URL, "/en"+good); r != "good" || !strings.Contains(text, "Signature good") {
		t.Errorf("genuine QR code, English: %s %q", r, text)
	}
	// A branch certificate's number holds "/": its page is a folder deeper.
	for _, c := range certs {
		if strings.Contains(c.Number, "/") {
			if r, _ := verdict(static.URL, qrPathOf(t, srv, c)); r != "good" {
				t.Errorf("%s: %s", c.Number, r)
			}
			break
		}
	}

	// A tampered token has no page on a plain file server: never "valid".
	bad := tamper(good)
	resp, err := http.Get(static.URL + bad)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("tampered URL on a plain file server: %d", resp.StatusCode)
	}
	// With the fallback the host configuration gives, the generic page
	// checks it and says it is bad.
	fallback := httptest.NewServer(verdictFallback(dir))
	defer fallback.Close()
	if r, text := verdict(fallback.URL, bad); r != "bad" || !strings.Contains(text, "签名无效") {
		t.Errorf("tampered QR code: %s %q", r, text)
	}
	if r, _ := verdict(fallback.URL, good); r != "good" {
		t.Errorf("genuine QR code through the fallback: %s", r)
	}
	// The genuine token over another certificate's number is bad too.
	other := qrPathOf(t, srv, certs[5])
	swapped := good[:len(signing.QRPath)+108] + other[len(signing.QRPath)+108:]
	if r, _ := verdict(fallback.URL, swapped); r != "bad" {
		t.Errorf("token of %s on %s: %s", target.Number, certs[5].Number, r)
	}
}
