package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/translog"
)

// witnessModule is the real witness the tests run: the transparency-dev
// omniwitness, which speaks c2sp.org/tlog-witness and signs
// c2sp.org/tlog-cosignature cosignatures. Its version is the tool
// directive's in go.mod (named in docs/transparency-log.md).
const witnessModule = "github.com/transparency-dev/witness/cmd/omniwitness"

var (
	witnessBinOnce sync.Once
	witnessBin     string
	witnessBinErr  error
)

// buildWitness builds the witness once per test binary, from the module
// version go.mod pins, into a temporary directory.
func buildWitness(t *testing.T) string {
	t.Helper()
	witnessBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "certreg-witness-")
		if err != nil {
			witnessBinErr = err
			return
		}
		witnessBin = filepath.Join(dir, "omniwitness")
		gobin, err := exec.LookPath("go")
		if err != nil {
			gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		cmd := exec.Command(gobin, "build", "-o", witnessBin, witnessModule)
		out, err := cmd.CombinedOutput()
		if err != nil {
			witnessBinErr = fmt.Errorf("go build %s: %v\n%s", witnessModule, err, out)
		}
	})
	if witnessBinErr != nil {
		t.Fatal(witnessBinErr)
	}
	return witnessBin
}

// realWitness is an omniwitness process on 127.0.0.1.
type realWitness struct {
	url    string
	vkey   string // its cosignature/v1 verifier key
	stderr *syncBuffer
}

// startWitness runs a real witness that knows one log: origin, checked
// with the log's verifier key.
func startWitness(t *testing.T, name, origin, logVKey string) *realWitness {
	t.Helper()
	bin := buildWitness(t)
	dir := t.TempDir()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	w := &realWitness{stderr: &syncBuffer{}}
	if w.vkey, err = fnote.VKeyToCosignatureV1(vkey); err != nil {
		t.Fatal(err)
	}
	keyFile, logs := filepath.Join(dir, "witness.key"), filepath.Join(dir, "logs.yaml")
	if err := os.WriteFile(keyFile, []byte(skey), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf("Logs:\n  - Origin: %s\n    PublicKey: %s\n", origin, logVKey)
	if err := os.WriteFile(logs, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--listen", addr, "--metrics_listen=", "--private_key_path", keyFile,
		"--additional_logs", logs, "--db_file", filepath.Join(dir, "witness.db"), "--logtostderr")
	cmd.Stdout, cmd.Stderr = w.stderr, w.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	w.url = "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		// An empty request is malformed: a 400 says it is up.
		resp, err := http.Post(w.url+"/add-checkpoint", "text/plain", strings.NewReader(""))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusBadRequest {
				return w
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("witness did not start: %v\n%s", err, w.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serveFor runs `certreg serve` on db until the test ends, and returns its
// URL and what it logs.
func serveFor(t *testing.T, db string, vars map[string]string, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	logs := &syncBuffer{}
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: logs, getenv: func(k string) string { return vars[k] }}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, e, append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	var u string
	for lines.Scan() {
		if _, a, ok := strings.Cut(lines.Text(), " at http://"); ok {
			u = "http://" + a
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if u == "" {
		t.Fatalf("serve did not start:\n%s", logs.String())
	}
	return u, logs
}

// getOK fetches u and fails the test unless it answers 200.
func getOK(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", u, resp.StatusCode, err, b)
	}
	return string(b)
}

// cosigned reads a registry's checkpoint and checks, with the log's key and
// the witness's key through transparency-dev/formats (not certreg's own
// code), that it is the log's and that the witness cosigned it.
func cosigned(t *testing.T, base, logVKey, witnessVKey string) (size string, ok bool) {
	t.Helper()
	msg := getOK(t, base+"/log/checkpoint")
	lv, err := note.NewVerifier(logVKey)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := fnote.NewVerifierForCosignatureV1(witnessVKey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(msg), note.VerifierList(lv, wv))
	if err != nil {
		t.Fatalf("checkpoint of %s: %v\n%s", base, err, msg)
	}
	size = strings.Split(n.Text, "\n")[1]
	for _, s := range n.Sigs {
		if s.Name == wv.Name() && s.Hash == wv.KeyHash() {
			return size, true
		}
	}
	return size, false
}

// waitCosigned waits until the registry serves a checkpoint of the size
// cosigned by the witness.
func waitCosigned(t *testing.T, base, logVKey, witnessVKey, want string, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		size, ok := cosigned(t, base, logVKey, witnessVKey)
		if ok && size == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cosignature on the checkpoint of size %s (serving size %s, cosigned %v):\n%s", want, size, ok, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// addCheckpoint makes one c2sp.org/tlog-witness request by hand.
func addCheckpoint(t *testing.T, witnessURL string, old int64, checkpoint string) (int, string) {
	t.Helper()
	resp, err := http.Post(witnessURL+"/add-checkpoint", "text/plain", strings.NewReader(fmt.Sprintf("old %d\n\n%s", old, checkpoint)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRealWitnessCosignsAndRefusesFork runs the registry against a real
// witness process: its checkpoints get cosigned as the log grows (with
// consistency proofs), the cosignatures are served with the checkpoint and
// counted on the certificate and verdict pages, and `log monitor
// --witness-quorum 1` passes. A fork of the log (same key, same size,
// another root) is refused a cosignature by the witness, so the monitor
// refuses it too, even on a first run with no history of its own.
func TestRealWitnessCosignsAndRefusesFork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real witness")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "certreg.test")
	if err != nil {
		t.Fatal(err)
	}
	key := logKey{vkey: vkey}
	if key.signer, err = note.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	const origin = "certreg.test/log"
	w := startWitness(t, "witness.test/w1", origin, vkey)
	witnessFlag := w.vkey + "+" + w.url
	vars := map[string]string{"CERTREG_LOG_SIGNER_KEY": skey, "CERTREG_LOG_ORIGIN": origin, "CERTREG_DEMO": "false", "CERTREG_ACCESS_LOG": "false"}

	real := newLogFixture(t, key, "SAC", 10)
	base, logs := serveFor(t, real.path, vars, "--witness", witnessFlag)
	waitCosigned(t, base, vkey, w.vkey, "10", logs)

	// A copy of the registry at size 10, to fork later.
	forkPath := filepath.Join(t.TempDir(), "fork.db")
	if err := real.store.Backup(context.Background(), forkPath); err != nil {
		t.Fatal(err)
	}

	// The log grows (another process writes and signs): the witness
	// cosigns size 13 from a consistency proof 10→13.
	real.add(t, "SAC", 11, 3)
	waitCosigned(t, base, vkey, w.vkey, "13", logs)
	if !strings.Contains(logs.String(), "checkpoint cosigned") || !strings.Contains(logs.String(), "size=13") {
		t.Errorf("serve's log does not tell the cosignatures:\n%s", logs.String())
	}

	// The inclusion proof of the certificate's JSON carries them.
	var rec struct {
		Certificate struct {
			Log translog.InclusionProof `json:"log"`
		} `json:"certificate"`
	}
	if err := json.Unmarshal([]byte(getOK(t, base+"/api/v1/certificates/SAC-00013")), &rec); err != nil {
		t.Fatal(err)
	}
	if p := rec.Certificate.Log; p.TreeSize != 13 || p.Check() != nil || len(translog.CountCosignatures([]byte(p.Checkpoint), []translog.Witness{mustWitnessKey(t, w.vkey)})) != 1 {
		t.Errorf("the record's proof lacks the cosignature: %+v", p)
	}

	// The pages say it, in both languages, with the way to check.
	page := getOK(t, base+"/certificates/SAC-00001")
	if !strings.Contains(page, "已记入公开日志，经 1 个独立见证方见证") || !strings.Contains(page, `href="/api#log"`) {
		t.Errorf("certificate page does not say it is witnessed:\n%s", page)
	}
	if page := getOK(t, base+"/en/certificates/SAC-00012"); !strings.Contains(page, "witnessed by 1 independent witness") || !strings.Contains(page, `href="/en/api#log"`) {
		t.Errorf("English certificate page does not say it is witnessed")
	}
	verdict := getOK(t, base+"/verify/check?number=SAC-00001&holder="+url.QueryEscape("宁波示例电器有限公司"))
	if !strings.Contains(verdict, "经 1 个独立见证方见证") {
		t.Errorf("verdict page does not say it is witnessed:\n%s", verdict)
	}
	if api := getOK(t, base+"/en/api"); !strings.Contains(api, `id="log"`) || !strings.Contains(api, w.vkey) || !strings.Contains(api, "--witness-quorum 1") {
		t.Errorf("the API page does not tell how to check the witnesses")
	}

	// An outside monitor requiring one cosignature accepts the real log.
	state := filepath.Join(t.TempDir(), "monitor.json")
	out, err := runCmd("log", "monitor", base, "--state", state, "--key", vkey, "--witness", w.vkey, "--witness-quorum", "1")
	if err != nil || !strings.Contains(out, "1 cosigned") || !strings.Contains(out, "size 大小 13 ") {
		t.Fatalf("monitor on the real log: %v\n%s", err, out)
	}

	// A static copy carries the cosignatures too, and its pages say so
	// once the export is told the witnesses (an incremental export then
	// renders the pages again).
	dir := t.TempDir()
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()
	if out, err := runCmd("export", "--db", real.path, "--out", dir, "--base-url", "https://certreg.test"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if page := getOK(t, static.URL+"/en/certificates/SAC-00001/"); strings.Contains(page, "witnessed by") {
		t.Errorf("the static copy's page counts witnesses it was not told")
	}
	if out, err := runCmd("export", "--db", real.path, "--out", dir, "--base-url", "https://certreg.test", "--witness", witnessFlag); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if page := getOK(t, static.URL+"/en/certificates/SAC-00001/"); !strings.Contains(page, "witnessed by 1 independent witness") {
		t.Errorf("the static copy's page does not say it is witnessed")
	}
	if out, err := runCmd("log", "monitor", static.URL, "--state", filepath.Join(t.TempDir(), "static.json"), "--key", vkey,
		"--witness", w.vkey, "--witness-quorum", "1", "--witness-wait", "0s"); err != nil || !strings.Contains(out, "1 cosigned") {
		t.Fatalf("monitor on the static copy: %v\n%s", err, out)
	}

	// The fork: the same key signs another tree of size 13.
	fork, err := registry.Open(forkPath)
	if err != nil {
		t.Fatal(err)
	}
	defer fork.Close()
	fork.Now = real.store.Now
	forkLog, err := translog.New(fork, origin, key.signer)
	if err != nil {
		t.Fatal(err)
	}
	ff := &logFixture{path: forkPath, store: fork, log: forkLog}
	ff.add(t, "FRK", 1, 3)
	forkCP, err := forkLog.Checkpoint(context.Background())
	if err != nil || forkCP.Size != 13 {
		t.Fatalf("fork checkpoint: %v %+v", err, forkCP)
	}
	realCP, err := real.log.Checkpoint(context.Background())
	if err != nil || realCP.Hash == forkCP.Hash {
		t.Fatalf("the fork has the real root: %v", err)
	}

	// By hand, the protocol: the witness stands at 13 (409 tells so), and
	// refuses another root at 13 (422).
	if code, body := addCheckpoint(t, w.url, 0, string(forkCP.Note)); code != http.StatusConflict || body != "13\n" {
		t.Errorf("witness on old size 0: %d %q, want 409 \"13\\n\"", code, body)
	}
	if code, body := addCheckpoint(t, w.url, 13, string(forkCP.Note)); code != http.StatusUnprocessableEntity {
		t.Errorf("witness on the fork: %d %q, want 422", code, body)
	}
	// And the real checkpoint again is still cosigned.
	if code, body := addCheckpoint(t, w.url, 13, string(realCP.Note)); code != http.StatusOK || !strings.HasPrefix(body, "— witness.test/w1 ") {
		t.Errorf("witness on the real checkpoint: %d %q", code, body)
	}

	// A registry serving the fork submits it to the same witness: refused,
	// and said at error level.
	forkBase, forkLogs := serveFor(t, forkPath, vars, "--witness", witnessFlag)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(forkLogs.String(), "witness refused the checkpoint") {
		if time.Now().After(deadline) {
			t.Fatalf("the fork's server did not report the refusal:\n%s", forkLogs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if l := forkLogs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "not consistent") {
		t.Errorf("refusal not logged as an error naming the inconsistency:\n%s", l)
	}
	if size, ok := cosigned(t, forkBase, vkey, w.vkey); ok || size != "13" {
		t.Errorf("the fork serves size %s cosigned=%v", size, ok)
	}
	if page := getOK(t, forkBase+"/certificates/FRK-00001"); strings.Contains(page, "独立见证方见证") {
		t.Errorf("the fork's page claims witnesses")
	}

	// A first-time monitor of the fork: its signature is good, but without
	// the witness it is refused.
	fresh := filepath.Join(t.TempDir(), "fresh.json")
	out, err = runCmd("log", "monitor", forkBase, "--state", fresh, "--key", vkey, "--witness", w.vkey, "--witness-quorum", "1", "--witness-wait", "2s")
	if err == nil || !strings.Contains(err.Error(), "WITNESSES") || !strings.Contains(err.Error(), "0 of the 1") {
		t.Fatalf("monitor on the fork: %v\n%s", err, out)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Error("the refused checkpoint was saved")
	}
	// Without the quorum the same first run has nothing to compare with
	// and accepts it: the witness is what catches it.
	if out, err := runCmd("log", "monitor", forkBase, "--state", fresh, "--key", vkey); err != nil {
		t.Fatalf("monitor without quorum: %v\n%s", err, out)
	}
	// The monitor that followed the real log sees the fork as well.
	if out, err := runCmd("log", "monitor", forkBase, "--state", state, "--witness", w.vkey, "--witness-quorum", "0"); err == nil || !strings.Contains(err.Error(), "FORK") {
		t.Fatalf("monitor with the real log's state on the fork: %v\n%s", err, out)
	}
}

// The witness flags of `log monitor` and `serve` refuse what cannot work,
// before anything is fetched or served.
func TestWitnessFlagsRefuseBadValues(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, "witness.test/w")
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "m.json")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--witness-quorum", "1"}, "needs at least 1 --witness"},
		{[]string{"--witness", vkey, "--witness-quorum", "2"}, "needs at least 2"},
		{[]string{"--witness", vkey, "--witness-quorum", "-1"}, "0 or more"},
		{[]string{"--witness", "witness.test/w+00000000+AAAA", "--witness-quorum", "1"}, "witness key"},
		{[]string{"--witness", vkey, "--witness-quorum", "1", "--witness-wait", "-1s"}, "must not be negative"},
	} {
		out, err := runCmd(append([]string{"log", "monitor", "http://127.0.0.1:1", "--state", state, "--key", vkey}, tc.args...)...)
		var u usageError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &u) {
			t.Errorf("%v: %v, want usage error %q\n%s", tc.args, err, tc.want, out)
		}
	}
	for _, bad := range []string{vkey, vkey + "+ftp://x", vkey + "+http://127.0.0.1:1 " + vkey + "+http://127.0.0.1:2"} {
		db := filepath.Join(t.TempDir(), "r.db")
		var out bytes.Buffer
		vars := map[string]string{"CERTREG_WITNESSES": bad, "CERTREG_DEMO": "false"}
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(k string) string { return vars[k] }}
		err := run(context.Background(), e, []string{"serve", "--db", db, "--addr", "127.0.0.1:0"})
		var u usageError
		if err == nil || !errors.As(err, &u) {
			t.Errorf("serve with CERTREG_WITNESSES=%q: %v", bad, err)
		}
	}
}

func mustWitnessKey(t *testing.T, key string) translog.Witness {
	t.Helper()
	w, err := translog.ParseWitnessKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
