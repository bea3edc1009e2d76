package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site"
	"github.com/certreg/certreg/translog"
)

// logFixture is a registry with a signed log, served on 127.0.0.1.
type logFixture struct {
	path  string
	store *registry.Store
	log   *translog.Log
	ts    *httptest.Server
}

type logKey struct {
	signer note.Signer
	vkey   string
}

func newLogKey(t *testing.T) logKey {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := translog.NoteSigner("certreg.test", priv)
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ := translog.NoteVerifierKey("certreg.test", priv.Public().(ed25519.PublicKey))
	return logKey{signer, vkey}
}

func newLogFixture(t *testing.T, key logKey, prefix string, n int) *logFixture {
	t.Helper()
	f := &logFixture{path: filepath.Join(t.TempDir(), "registry.db")}
	s, err := registry.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC) }
	f.store = s
	if f.log, err = translog.New(s, "certreg.test/log", key.signer); err != nil {
		t.Fatal(err)
	}
	f.ts = httptest.NewServer(site.New(s, site.Config{BaseURL: "https://certreg.test", Log: f.log, LogKey: key.vkey}).Handler())
	t.Cleanup(f.ts.Close)
	f.add(t, prefix, 1, n)
	return f
}

// add writes n certificates numbered prefix-first… and sequences them.
func (f *logFixture) add(t *testing.T, prefix string, first, n int) {
	t.Helper()
	ins := make([]registry.Input, n)
	for i := range ins {
		ins[i] = registry.Input{
			Number: fmt.Sprintf("%s-%05d", prefix, first+i), HolderName: "宁波示例电器有限公司", HolderCreditCode: "914403001922038216",
			Province: "浙江", City: "宁波", Scheme: "GB/T 27922-2011", Score: "96", Scope: "家用电器的售后服务",
			IssueDate: "2024-03-05", ExpiryDate: "2027-03-04", BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心",
		}
	}
	if _, err := f.store.PutCertificates(context.Background(), registry.Actor{Name: "t", Source: "cli"}, ins, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.log.Sequence(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// runCmd runs certreg with args and returns its output.
func runCmd(args ...string) (string, error) {
	var out bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
	err := run(context.Background(), e, args)
	return out.String(), err
}

func TestLogVerifyCommand(t *testing.T) {
	key := newLogKey(t)
	f := newLogFixture(t, key, "SAC", 20)
	out, err := runCmd("log", "verify", "--db", f.path, "--key", key.vkey)
	if err != nil || !strings.Contains(out, "the log matches the registry") || !strings.Contains(out, "20 entries") {
		t.Fatalf("clean: %v\n%s", err, out)
	}
	keyFile := filepath.Join(t.TempDir(), "key.pub")
	os.WriteFile(keyFile, []byte(key.vkey+"\n"), 0o644)
	if out, err := runCmd("log", "verify", "--db", f.path, "--key", "@"+keyFile); err != nil {
		t.Fatalf("key from file: %v\n%s", err, out)
	}
	out, err = runCmd("log", "verify", "--db", f.path, "--key", newLogKey(t).vkey)
	if err == nil || !strings.Contains(out, "CHECKPOINT") {
		t.Fatalf("verify with another key passed: %s", out)
	}

	// An attacker with the file edits one event and deletes another, and
	// raises a certificate's score in the row the pages read.
	for _, q := range []string{`DROP TRIGGER events_append_only_update`, `DROP TRIGGER events_append_only_delete`,
		`UPDATE events SET snapshot = replace(snapshot, '"expiry_date":"2027-03-04"', '"expiry_date":"2029-03-04"') WHERE id = 5`,
		`DELETE FROM events WHERE id = 9`, `UPDATE certificates SET score = 99 WHERE number = 'SAC-00012'`} {
		if _, err := registrytest.RawDB(t, f.store).Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	out, err = runCmd("log", "verify", "--db", f.path, "--key", key.vkey)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("tampered database verified: %v\n%s", err, out)
	}
	for _, want := range []string{"EDITED entry #3 event #5 certificate SAC-00004", "DELETED entry #7 event #9 certificate SAC-00008", "该行被修改", "the row was deleted",
		"EDITED-ROW event #", "certificate SAC-00012", "differs from the record of its latest event", "(score)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestLogSequenceCommand(t *testing.T) {
	key := newLogKey(t)
	f := newLogFixture(t, key, "SAC", 3)
	skey, vkey, err := note.GenerateKey(rand.Reader, "certreg.test")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "signer.key")
	os.WriteFile(keyFile, []byte(skey), 0o600)
	out, err := runCmd("log", "sequence", "--db", f.path, "--origin", "certreg.test/log", "--signer-key", "@"+keyFile)
	if err != nil || strings.Contains(out, "PRIVATE") {
		t.Fatalf("%v\n%s", err, out)
	}
	ver, _ := note.NewVerifier(vkey)
	cp, err := translog.ParseCheckpoint([]byte(out), ver)
	if err != nil || cp.Size != 3 {
		t.Fatalf("sequence printed %q: %v", out, err)
	}
	if _, err := runCmd("log", "sequence", "--db", f.path, "--origin", "certreg.test/log", "--signer-key", "PRIVATE+KEY+bad"); err == nil {
		t.Fatal("bad signer key accepted")
	}
}

func TestLogMonitor(t *testing.T) {
	key := newLogKey(t)
	a := newLogFixture(t, key, "SAC", 300)
	state := filepath.Join(t.TempDir(), "monitor.json")

	if out, err := runCmd("log", "monitor", a.ts.URL, "--state", state); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Fatalf("first run without a key: %v\n%s", err, out)
	}
	if out, err := runCmd("log", "monitor", a.ts.URL, "--state", state, "--key", newLogKey(t).vkey); err == nil {
		t.Fatalf("checkpoint accepted with another key:\n%s", out)
	}
	out, err := runCmd("log", "monitor", a.ts.URL, "--state", state, "--key", key.vkey)
	if err != nil || !strings.Contains(out, "300 new entries checked") || !strings.Contains(out, "issued 300") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	out, err = runCmd("log", "monitor", "--state", state, a.ts.URL)
	if err != nil || !strings.Contains(out, "unchanged") {
		t.Fatalf("second run: %v\n%s", err, out)
	}

	// A backup snapshot served read-only: a mirror that will fall behind.
	snap := filepath.Join(t.TempDir(), "snapshot.db")
	if err := a.store.Backup(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	ss, err := registry.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	ro, _ := translog.New(ss, "", nil)
	mirror := httptest.NewServer(site.New(ss, site.Config{BaseURL: "https://certreg.test", Log: ro}).Handler())
	defer mirror.Close()

	a.add(t, "SAC", 301, 200)
	if _, err := a.store.ChangeStatus(context.Background(), registry.Actor{Name: "t", Source: "cli"}, registry.StatusChange{Number: "SAC-00007", To: registry.StatusRevoked, Reason: "撤销"}); err != nil {
		t.Fatal(err)
	}
	a.log.Sequence(context.Background())
	out, err = runCmd("log", "monitor", a.ts.URL, "--state", state)
	if err != nil || !strings.Contains(out, "consistent with the last checkpoint (size 300)") || !strings.Contains(out, "201 new entries checked") || !strings.Contains(out, "issued 200, revoked 1") {
		t.Fatalf("after growth: %v\n%s", err, out)
	}
	out, err = runCmd("log", "monitor", mirror.URL, "--state", state)
	if err != nil || !strings.Contains(out, "this copy is behind") {
		t.Fatalf("mirror behind: %v\n%s", err, out)
	}

	// A server that alters a tile is caught by the tile check.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		r.Header.Del("Accept-Encoding") // the bytes as sent, to alter one
		a.ts.Config.Handler.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		if strings.HasPrefix(r.URL.Path, "/log/tile/0/") {
			b[40] ^= 1
		}
		w.WriteHeader(rec.Code)
		w.Write(b)
	}))
	defer bad.Close()
	fresh := filepath.Join(t.TempDir(), "fresh.json")
	if out, err := runCmd("log", "monitor", bad.URL, "--state", fresh, "--key", key.vkey); err == nil || !strings.Contains(err.Error(), "inconsistent tile") {
		t.Fatalf("altered tile: %v\n%s", err, out)
	}

	// A fork: another registry signed with the same key, with the same
	// number of entries but different content. The monitor proves it with
	// two signed checkpoints and keeps its state.
	before, _ := os.ReadFile(state)
	b := newLogFixture(t, key, "XYZ", 500)
	b.store.ChangeStatus(context.Background(), registry.Actor{Name: "t", Source: "cli"}, registry.StatusChange{Number: "XYZ-00001", To: registry.StatusSuspended, Reason: "x"})
	b.log.Sequence(context.Background())
	out, err = runCmd("log", "monitor", b.ts.URL, "--state", state)
	if !errors.Is(err, errFork) || !strings.Contains(out, "size 501 was seen with root") || strings.Count(out, "— certreg.test ") != 2 {
		t.Fatalf("same-size fork: %v\n%s", err, out)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Fatal("the state changed after a fork")
	}
	// A larger tree that does not extend the one seen is a fork too.
	b.add(t, "XYZ", 501, 10)
	out, err = runCmd("log", "monitor", b.ts.URL, "--state", state)
	if !errors.Is(err, errFork) || !strings.Contains(out, "does not extend") {
		t.Fatalf("larger fork: %v\n%s", err, out)
	}
	// The honest log still monitors fine.
	if out, err := runCmd("log", "monitor", a.ts.URL, "--state", state); err != nil {
		t.Fatalf("honest log after a fork elsewhere: %v\n%s", err, out)
	}
}

// TestServeSequencesAndMonitors runs `serve` with the log's signing key:
// it logs what is in the registry and what another process writes while it
// runs, and an auditor's `log monitor` follows it.
func TestServeSequencesAndMonitors(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "certreg.test")
	if err != nil {
		t.Fatal(err)
	}
	key := logKey{vkey: vkey}
	if key.signer, err = note.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	f := newLogFixture(t, key, "SAC", 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vars := map[string]string{"CERTREG_LOG_SIGNER_KEY": skey, "CERTREG_LOG_ORIGIN": "certreg.test/log", "CERTREG_DEMO": "false", "CERTREG_ACCESS_LOG": "false"}
	pr, pw := io.Pipe()
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard, getenv: func(k string) string { return vars[k] }}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, e, []string{"serve", "--db", f.path, "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var url string
	for lines.Scan() {
		if _, a, ok := strings.Cut(lines.Text(), " at http://"); ok {
			url = "http://" + a
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatal("serve did not start")
	}
	resp, err := http.Get(url + "/log/key")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != vkey || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("/log/key: %q %v", b, resp.Header)
	}
	state := filepath.Join(t.TempDir(), "monitor.json")
	if out, err := runCmd("log", "monitor", url, "--state", state, "--key", vkey); err != nil || !strings.Contains(out, "size 大小 10 ") {
		t.Fatalf("monitor: %v\n%s", err, out)
	}

	// Another process writes (a command-line import): serve logs it.
	f.add(t, "CLI", 1, 5) // the fixture's own Sequence signs with the same key
	other, err := registry.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ChangeStatus(ctx, registry.Actor{Name: "t", Source: "cli"}, registry.StatusChange{Number: "SAC-00002", To: registry.StatusSuspended, Reason: "暂停"}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := runCmd("log", "monitor", url, "--state", state)
		if err != nil {
			t.Fatalf("monitor: %v\n%s", err, out)
		}
		if strings.Contains(out, "size 大小 16 ") {
			if !strings.Contains(out, "consistent with the last checkpoint") {
				t.Fatalf("monitor: %s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not log the other process's write:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd("log", "verify", "--db", f.path, "--key", vkey); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
}

// TestLogMonitorStaticExport monitors the live registry and a static copy
// of its log served by a plain file server, with one state file: both show
// the same history, and an incremental export writes only what is new.
func TestLogMonitorStaticExport(t *testing.T) {
	key := newLogKey(t)
	a := newLogFixture(t, key, "SAC", 600)
	dir := t.TempDir()
	n, err := a.log.Export(context.Background(), filepath.Join(dir, "log"))
	// checkpoint; 600 entries; level 0: 000, 001, 002.p/88; level 1: 000.p/2; bundles 000, 001, 002.p/88
	if err != nil || n != 1+600+3+1+3 {
		t.Fatalf("export wrote %d files: %v", n, err)
	}
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()
	state := filepath.Join(t.TempDir(), "monitor.json")
	out, err := runCmd("log", "monitor", a.ts.URL, "--state", state, "--key", key.vkey)
	if err != nil {
		t.Fatalf("live: %v\n%s", err, out)
	}
	out, err = runCmd("log", "monitor", static.URL, "--state", state)
	if err != nil || !strings.Contains(out, "unchanged") {
		t.Fatalf("static copy: %v\n%s", err, out)
	}

	a.add(t, "SAC", 601, 30)
	n, err = a.log.Export(context.Background(), filepath.Join(dir, "log"))
	// the checkpoint, 30 entries, level 0's 002.p/118 and its bundle (level 1 still has 2 hashes)
	if err != nil || n != 3+30 {
		t.Fatalf("incremental export wrote %d files: %v", n, err)
	}
	out, err = runCmd("log", "monitor", static.URL, "--state", state)
	if err != nil || !strings.Contains(out, "consistent with the last checkpoint (size 600)") || !strings.Contains(out, "30 new entries checked") {
		t.Fatalf("static copy after growth: %v\n%s", err, out)
	}
	out, err = runCmd("log", "monitor", a.ts.URL, "--state", state)
	if err != nil || !strings.Contains(out, "unchanged") {
		t.Fatalf("live after the copy: %v\n%s", err, out)
	}
}

// TestExportCommand exports a registry with `certreg export` and monitors
// the copy, served by a plain file server, like the live registry.
func TestExportCommand(t *testing.T) {
	key := newLogKey(t)
	f := newLogFixture(t, key, "SAC", 20)
	dir := t.TempDir()
	out, err := runCmd("export", "--db", f.path, "--out", dir, "--base-url", "https://certreg.test")
	if err != nil || !strings.Contains(out, "written, 0 unchanged") {
		t.Fatalf("export: %v\n%s", err, out)
	}
	for _, name := range []string{"index.html", "en/index.html", "certificates/SAC-00020/index.html", "en/certificates/SAC-00001/index.html", "log/checkpoint", "log/tile/0/000.p/20", "log/tile/entries/000.p/20", "_headers", "nginx-certreg.conf"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("export lacks %s", name)
		}
	}
	out, err = runCmd("export", "--db", f.path, "--out", dir, "--base-url", "https://certreg.test")
	if err != nil || !strings.Contains(out, "(0 written,") {
		t.Fatalf("second export: %v\n%s", err, out)
	}
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()
	state := filepath.Join(t.TempDir(), "monitor.json")
	if out, err := runCmd("log", "monitor", static.URL, "--state", state, "--key", key.vkey); err != nil || !strings.Contains(out, "20 new entries checked") {
		t.Fatalf("monitor the export: %v\n%s", err, out)
	}
	if out, err := runCmd("log", "monitor", f.ts.URL, "--state", state); err != nil || !strings.Contains(out, "unchanged") {
		t.Fatalf("monitor live after the export: %v\n%s", err, out)
	}
}

// TestLogKeyRotation: after the registry signs with a new key, a monitor
// refuses the checkpoint until the new key is added by hand, and verify
// needs every key the log has used.
func TestLogKeyRotation(t *testing.T) {
	k1, k2 := newLogKey(t), newLogKey(t)
	f := newLogFixture(t, k1, "SAC", 5)
	state := filepath.Join(t.TempDir(), "monitor.json")
	if out, err := runCmd("log", "monitor", f.ts.URL, "--state", state, "--key", k1.vkey); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	l2, err := translog.New(f.store, "certreg.test/log", k2.signer)
	if err != nil {
		t.Fatal(err)
	}
	f.log = l2 // the fixture's server still serves the same database
	f.add(t, "SAC", 6, 3)
	if out, err := runCmd("log", "monitor", f.ts.URL, "--state", state); err == nil {
		t.Fatalf("a checkpoint signed by an unknown key was accepted:\n%s", out)
	}
	if out, err := runCmd("log", "monitor", f.ts.URL, "--state", state, "--key", k2.vkey); err == nil || !strings.Contains(err.Error(), "--add-key") {
		t.Fatalf("a new key was taken without --add-key: %v\n%s", err, out)
	}
	if out, err := runCmd("log", "monitor", f.ts.URL, "--state", state, "--add-key", k2.vkey); err != nil || !strings.Contains(out, "consistent with the last checkpoint (size 5)") {
		t.Fatalf("after --add-key: %v\n%s", err, out)
	}
	if out, err := runCmd("log", "verify", "--db", f.path, "--key", k2.vkey); err == nil || !strings.Contains(out, "CHECKPOINT") {
		t.Fatalf("verify with the new key only: %v\n%s", err, out)
	}
	if out, err := runCmd("log", "verify", "--db", f.path, "--key", k1.vkey, "--key", k2.vkey); err != nil {
		t.Fatalf("verify with both keys: %v\n%s", err, out)
	}
}

// TestServeSignsWithKeyRing runs `serve` with no log key configured: it
// signs checkpoints with the registry's key ring, publishes the verifier
// key, and `certreg export` publishes the same key for its copy.
func TestServeSignsWithKeyRing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "registry.db")
	s, err := registry.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	ins := []registry.Input{{Number: "SAC-1", HolderName: "宁波示例电器有限公司", HolderCreditCode: "914403001922038216",
		Province: "浙江", City: "宁波", Scheme: "GB/T 27922-2011", Score: "96", Scope: "家用电器的售后服务",
		IssueDate: "2024-03-05", ExpiryDate: "2027-03-04", BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心"}}
	if _, err := s.PutCertificates(context.Background(), registry.Actor{Name: "t", Source: "cli"}, ins, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vars := map[string]string{"CERTREG_LOG_ORIGIN": "certreg.test/log", "CERTREG_DEMO": "false", "CERTREG_ACCESS_LOG": "false"}
	pr, pw := io.Pipe()
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard, getenv: func(k string) string { return vars[k] }}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, e, []string{"serve", "--db", db, "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var url string
	for lines.Scan() {
		if _, a, ok := strings.Cut(lines.Text(), " at http://"); ok {
			url = "http://" + a
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatal("serve did not start")
	}
	get := func(p string) (int, string) {
		resp, err := http.Get(url + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, _ := get("/log/checkpoint"); st == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve signed no checkpoint")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, vkey := get("/log/key")
	vkey = strings.TrimSpace(vkey)
	if !strings.HasPrefix(vkey, "certreg.test/log+") {
		t.Fatalf("/log/key: %q", vkey)
	}
	state := filepath.Join(t.TempDir(), "monitor.json")
	if out, err := runCmd("log", "monitor", url, "--state", state, "--key", vkey); err != nil || !strings.Contains(out, "1 new entries checked") {
		t.Fatalf("monitor: %v\n%s", err, out)
	}
	cancel()
	<-done

	dir := t.TempDir()
	if out, err := runCmd("export", "--db", db, "--out", dir); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "log", "key")); err != nil || strings.TrimSpace(string(b)) != vkey {
		t.Fatalf("exported key %q, want %q (%v)", b, vkey, err)
	}
	// The export publishes the key ring serve signs QR codes with, so that
	// the exported verdict pages check printed codes.
	pub, err := runCmd("keys", "--db", db, "public")
	if err != nil {
		t.Fatalf("keys public: %v\n%s", err, pub)
	}
	exported, err := os.ReadFile(filepath.Join(dir, ".well-known", "certreg-keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := signing.ParsePublicKeySet([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	got, err := signing.ParsePublicKeySet(exported)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(kr *signing.KeyRing) (out []string) {
		for _, k := range kr.Keys() {
			out = append(out, k.ID)
		}
		return out
	}
	if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
		t.Fatalf("exported key set %s, want %s", exported, pub)
	}
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()
	if out, err := runCmd("log", "monitor", static.URL, "--state", state); err != nil || !strings.Contains(out, "unchanged") {
		t.Fatalf("monitor the export: %v\n%s", err, out)
	}
	if out, err := runCmd("log", "verify", "--db", db, "--key", vkey); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
}
