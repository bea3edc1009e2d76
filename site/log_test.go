package site_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site"
	"github.com/certreg/certreg/translog"
)

// logTestServer is a registry of n certificates, its signed log, and the
// log's handlers served on 127.0.0.1.
func logTestServer(t *testing.T, n int) (*httptest.Server, *translog.Log, note.Verifier, string) {
	ts, l, v, vkey, _ := logTestStore(t, n)
	return ts, l, v, vkey
}

func logTestStore(t *testing.T, n int) (*httptest.Server, *translog.Log, note.Verifier, string, *registry.Store) {
	t.Helper()
	s, err := registry.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC) }
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := translog.NoteSigner("certreg.test", priv)
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ := translog.NoteVerifierKey("certreg.test", priv.Public().(ed25519.PublicKey))
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	ins := make([]registry.Input, n)
	for i := range ins {
		ins[i] = registry.Input{
			Number: fmt.Sprintf("SAC-2024-%05d", i+1), HolderName: "宁波示例电器有限公司", HolderCreditCode: "914403001922038216",
			Province: "浙江", City: "宁波", Scheme: "GB/T 27922-2011", Score: "96", Scope: "家用电器的售后服务",
			IssueDate: "2024-03-05", ExpiryDate: "2027-03-04", BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心",
		}
	}
	ins[n-1].Number = "00114E22766R2L/3502" // a number with a slash
	actor := registry.Actor{Name: "test", Source: "cli"}
	if _, err := s.PutCertificates(context.Background(), actor, ins, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	l, err := translog.New(s, "certreg.test/log", signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Sequence(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(site.New(s, site.Config{BaseURL: "https://certreg.test", Log: l, LogKey: vkey}).Handler())
	t.Cleanup(ts.Close)
	return ts, l, verifier, vkey, s
}

func logGet(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// httpTiles reads tiles over HTTP, as a monitor does.
type httpTiles struct {
	t    *testing.T
	base string
}

func (r httpTiles) Height() int { return translog.TileHeight }
func (r httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tl := range tiles {
		resp, b := logGet(r.t, r.base+"/log/"+translog.TilePath(tl))
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("%s: %s", translog.TilePath(tl), resp.Status)
		}
		out[i] = b
	}
	return out, nil
}
func (r httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func TestLogHandlers(t *testing.T) {
	ts, _, verifier, vkey := logTestServer(t, 260)

	resp, key := logGet(t, ts.URL+"/log/key")
	if resp.StatusCode != 200 || strings.TrimSpace(string(key)) != vkey {
		t.Fatalf("key: %s %q", resp.Status, key)
	}
	resp, msg := logGet(t, ts.URL+"/log/checkpoint")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Cache-Control") != "public, max-age=5" {
		t.Fatalf("checkpoint: %s %v", resp.Status, resp.Header)
	}
	cp, err := translog.ParseCheckpoint(msg, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 260 || cp.Origin != "certreg.test/log" {
		t.Fatalf("checkpoint %+v", cp)
	}

	// Every entry served in bundles is in the tree the checkpoint signs,
	// checked with tiles fetched over HTTP.
	hr := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Hash}, httpTiles{t, ts.URL})
	var entries [][]byte
	for _, p := range []string{"tile/entries/000", "tile/entries/001.p/4"} {
		resp, b := logGet(t, ts.URL+"/log/"+p)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("%s: %s %v", p, resp.Status, resp.Header)
		}
		es, err := translog.SplitEntryBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, es...)
	}
	for i, e := range entries {
		proof, err := tlog.ProveRecord(cp.Size, int64(i), hr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(proof, cp.Size, cp.Hash, int64(i), tlog.RecordHash(e)); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	resp, one := logGet(t, ts.URL+"/log/entry/259")
	if resp.StatusCode != 200 || string(one) != string(entries[259]) {
		t.Fatalf("entry 259: %s %q", resp.Status, one)
	}

	// The inclusion proof API.
	resp, b := logGet(t, ts.URL+"/log/proof/SAC-2024-00042")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("proof: %s %s", resp.Status, b)
	}
	var p translog.InclusionProof
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	pcp, err := translog.ParseCheckpoint([]byte(p.Checkpoint), verifier)
	if err != nil || pcp.Size != p.TreeSize || pcp.Hash != p.RootHash || p.Index != 41 || !strings.Contains(p.Entry, `"SAC-2024-00042"`) {
		t.Fatalf("proof %+v: %v", p, err)
	}

	resp, b = logGet(t, ts.URL+"/log/proof/00114E22766R2L~3502")
	if err := json.Unmarshal(b, &p); resp.StatusCode != 200 || err != nil || p.Index != 259 || p.Number != "00114E22766R2L/3502" {
		t.Fatalf("proof of a number with a slash: %s %s", resp.Status, b)
	}

	for _, c := range []struct {
		path, want string
		status     int
	}{
		{"/log/proof/SAC-2099-00001", `"message_en": "no certificate numbered SAC-2099-00001`, 404},
		{"/log/proof/%3Cscript%3E", `"code":"not_found"`, 404},
		{"/log/tile/0/001", "the public log has no tile/0/001", 404},
		{"/log/tile/0/001.p/5", "公开日志中没有", 404},
		{"/log/tile/entries/002", "the public log has no", 404},
		{"/log/tile/0/..%2F..%2Fetc", "malformed path", 404},
		{"/log/tile/8/0/000", "malformed path", 404},
		{"/log/entry/260", "no entry #260", 404},
		{"/log/entry/-1", "no entry #-1", 404},
		{"/log/entry/x", "no entry #x", 404},
	} {
		resp, b := logGet(t, ts.URL+c.path)
		body := strings.ReplaceAll(string(b), `": "`, `":"`)
		if resp.StatusCode != c.status || !strings.Contains(body, strings.ReplaceAll(c.want, `": "`, `":"`)) {
			t.Errorf("%s: %s %s, want %d %q", c.path, resp.Status, b, c.status, c.want)
		}
	}
	resp, err = http.Post(ts.URL+"/log/checkpoint", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST checkpoint: %s", resp.Status)
	}
}

// TestLogMountedOnSite checks the log's routes served by the site itself:
// its middleware (security headers, compression) and its error pages.
func TestLogMountedOnSite(t *testing.T) {
	_, l, verifier, vkey, store := logTestStore(t, 3)
	srv := site.New(store, site.Config{BaseURL: "https://certreg.test", Log: l, LogKey: vkey})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	resp, b := logGet(t, ts.URL+"/log/checkpoint")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("checkpoint: %s %v", resp.Status, resp.Header)
	}
	if cp, err := translog.ParseCheckpoint(b, verifier); err != nil || cp.Size != 3 {
		t.Fatalf("checkpoint: %v", err)
	}
	resp, b = logGet(t, ts.URL+"/log/tile/entries/000.p/3")
	if es, err := translog.SplitEntryBundle(b); resp.StatusCode != 200 || err != nil || len(es) != 3 {
		t.Fatalf("entries: %s %v", resp.Status, err)
	}
	resp, b = logGet(t, ts.URL+"/log/tile/0/000.p/4")
	if resp.StatusCode != 404 || !strings.Contains(string(b), "公开日志中没有") {
		t.Fatalf("missing tile: %s %s", resp.Status, b)
	}
	resp, b = logGet(t, ts.URL+"/log/proof/NOPE-1")
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("proof of an unknown number: %s %s", resp.Status, b)
	}
	resp, b = logGet(t, ts.URL+"/log/proof/SAC-2024-00001")
	var p translog.InclusionProof
	if err := json.Unmarshal(b, &p); resp.StatusCode != 200 || err != nil || p.Check() != nil {
		t.Fatalf("proof: %s %s", resp.Status, b)
	}
}

// TestLogInCertificateAPI: the certificate API shows the certificate's
// latest log entry and its inclusion proof, and a newer one once a change
// is logged (sequencing refreshes cached pages).
func TestLogInCertificateAPI(t *testing.T) {
	_, l, verifier, vkey, store := logTestStore(t, 5)
	srv := site.New(store, site.Config{BaseURL: "https://certreg.test", CacheCheck: time.Millisecond, Log: l, LogKey: vkey})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	proof := func() *translog.InclusionProof {
		t.Helper()
		resp, b := logGet(t, ts.URL+"/api/v1/certificates/SAC-2024-00002")
		var body struct {
			Certificate struct {
				Log *translog.InclusionProof `json:"log"`
			} `json:"certificate"`
		}
		if err := json.Unmarshal(b, &body); resp.StatusCode != 200 || err != nil || body.Certificate.Log == nil {
			t.Fatalf("API: %s %v %s", resp.Status, err, b)
		}
		p := body.Certificate.Log
		if err := p.Check(); err != nil {
			t.Fatal(err)
		}
		if cp, err := translog.ParseCheckpoint([]byte(p.Checkpoint), verifier); err != nil || cp.Hash != p.RootHash || cp.Size != p.TreeSize {
			t.Fatalf("checkpoint of the proof: %v", err)
		}
		return p
	}
	if p := proof(); p.Index != 1 || p.TreeSize != 5 {
		t.Fatalf("index %d size %d", p.Index, p.TreeSize)
	}
	// The certificate's page says where it is in the log, in both languages.
	for path, want := range map[string]string{
		"/en/certificates/SAC-2024-00002": `href="/log/entry/1">Recorded in the public log at #1</a>`,
		"/certificates/SAC-2024-00002":    `href="/log/entry/1">已记入公开日志第 1 条</a>`,
	} {
		if resp, b := logGet(t, ts.URL+path); resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("%s: %s, want %s", path, resp.Status, want)
		}
	}
	if resp, b := logGet(t, ts.URL+"/log/entry/1"); resp.StatusCode != 200 || !strings.Contains(string(b), `number "SAC-2024-00002"`) {
		t.Fatalf("/log/entry/1: %s %s", resp.Status, b)
	}
	if _, err := store.ChangeStatus(context.Background(), registry.Actor{Name: "t", Source: "cli"}, registry.StatusChange{Number: "SAC-2024-00002", To: registry.StatusRevoked, Reason: "撤销"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Sequence(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if p := proof(); p.Index != 5 || p.TreeSize != 6 || !strings.Contains(p.Entry, "kind \"revoked\"") {
		t.Fatalf("after revocation: index %d size %d", p.Index, p.TreeSize)
	}
}

// TestLogEntryBundlesGzipped: the live server compresses entry bundles
// (text, about 200 KB a full one) for clients that take gzip, and the
// bundle decompresses to the same bytes; hash tiles go as they are.
func TestLogEntryBundlesGzipped(t *testing.T) {
	ts, _, _, _ := logTestServer(t, 40)
	fetch := func(path, enc string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", enc) // set by hand: the client does not decompress
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	plainResp, plain := fetch("/log/tile/entries/000.p/40", "identity")
	if plainResp.StatusCode != 200 || plainResp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("identity: %s %v", plainResp.Status, plainResp.Header)
	}
	if es, err := translog.SplitEntryBundle(plain); err != nil || len(es) != 40 {
		t.Fatalf("bundle: %v %d", err, len(es))
	}
	resp, zipped := fetch("/log/tile/entries/000.p/40", "gzip, deflate, br")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") ||
		resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("gzip: %s %v", resp.Status, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain) {
		t.Fatalf("gzipped bundle does not decompress to the bundle: %v", err)
	}
	if len(zipped)*3 > len(plain) {
		t.Errorf("bundle of %d bytes gzipped to %d: less than 3×", len(plain), len(zipped))
	}
	if resp, _ := fetch("/log/tile/0/000.p/40", "gzip"); resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("hash tile: %s %v", resp.Status, resp.Header)
	}
}
