package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
)

// served is a `certreg serve` started in-process by startServe.
type served struct {
	url     string // the public listener
	metrics string // the metrics listener, "" when off
	stderr  *syncBuffer
	stdout  *syncBuffer
	cancel  context.CancelFunc // what SIGTERM does in main
	done    chan error
}

// startServe runs `certreg serve args…` on 127.0.0.1:0 with the
// environment vars, and waits until it announces its addresses.
func startServe(t *testing.T, vars map[string]string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{stderr: &syncBuffer{}, stdout: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: s.stderr, getenv: func(k string) string { return vars[k] }}
	go func() {
		s.done <- run(ctx, e, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		line := lines.Text()
		s.stdout.Write([]byte(line + "\n"))
		if _, a, ok := strings.Cut(line, "metrics at "); ok {
			s.metrics = a
		}
		if _, a, ok := strings.Cut(line, " at http://"); ok && !strings.Contains(line, "metrics at") {
			s.url = "http://" + a
		}
		// The metrics line, when asked for, follows the serving line.
		if s.url != "" && (s.metrics != "" || !containsArg(args, "--metrics-addr")) {
			break
		}
	}
	go func() {
		for lines.Scan() {
			s.stdout.Write([]byte(lines.Text() + "\n"))
		}
	}()
	if s.url == "" {
		cancel()
		t.Fatalf("serve did not start: %v\n%s", <-s.done, s.stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
		}
	})
	return s
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

// stop is SIGTERM: it cancels the context and waits for serve to return.
func (s *served) stop(t *testing.T, within time.Duration) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(within):
		t.Fatalf("serve did not stop within %s", within)
		return nil
	}
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postJSON(u, key string, v any) (int, string, error) {
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest("POST", u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// opsRegistry is a demo registry (3,000 certificates) with an API key for
// one of its bodies; it returns the database path and the key.
func opsRegistry(t *testing.T) (db, key string) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "registry.db")
	if out, _, err := runCLI(t, "demo", "--db", db); err != nil {
		t.Fatalf("demo: %v %s", err, out)
	}
	key, stderr, err := runCLI(t, "apikey", "create", "--db", db, "--body", demoBody, "--name", "ops test")
	if err != nil {
		t.Fatalf("apikey: %v %s", err, stderr)
	}
	return db, strings.TrimSpace(key)
}

// demoBody is a certification body of the demo data.
const demoBody = "CNCA-R-2017-902"

// publishCert is a certificate as the publishing API takes it.
func publishCert(number string) map[string]any {
	return map[string]any{
		"number": number, "holder_name": "杭州样例家电服务有限公司", "holder_credit_code": "91440300708461136T",
		"province": "浙江", "city": "杭州", "scheme": "GB/T 27922-2011", "score": 96, "scope": "家用电器的安装、维修和退换货服务",
		"issue_date": "2025-04-01", "expiry_date": "2028-03-31", "body_approval": demoBody,
	}
}

// scrape reads the metrics as "name{labels}" → value.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	code, body := get(t, u)
	if code != 200 {
		t.Fatalf("scrape %s: %d %s", u, code, body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestServeMetrics serves the metrics on their own listener and reads them
// after real requests: counts and latencies by route pattern (never by the
// raw path) and status class, a 429 refusal, verdicts, imported rows, the
// log's size and lag, and the SQLite pool. The public listener has no
// /metrics.
func TestServeMetrics(t *testing.T) {
	db, key := opsRegistry(t)
	vars := map[string]string{"CERTREG_DEMO": "false", "CERTREG_ACCESS_LOG": "false"}
	s := startServe(t, vars, "--db", db, "--metrics-addr", "127.0.0.1:0")
	if s.metrics == "" {
		t.Fatal("no metrics address announced")
	}
	if code, _ := get(t, s.url+"/metrics"); code != 404 {
		t.Errorf("public /metrics: %d, want 404", code)
	}

	// Three certificate pages by three raw paths: one series.
	code, body := get(t, s.url+"/api/v1/certificates?per_page=3&status=valid")
	if code != 200 {
		t.Fatalf("list: %d", code)
	}
	var list struct {
		Certificates []struct {
			Number     string `json:"number"`
			HolderName string `json:"holder_name"`
		} `json:"certificates"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Certificates) != 3 {
		t.Fatalf("list: %v %s", err, body)
	}
	// The same search again: the search result cache answers it.
	if code, _ := get(t, s.url+"/api/v1/certificates?per_page=3&status=valid"); code != 200 {
		t.Fatalf("list again: %d", code)
	}
	for _, c := range list.Certificates {
		if code, _ := get(t, s.url+"/certificates/"+url.PathEscape(strings.ReplaceAll(c.Number, "/", "~"))); code != 200 {
			t.Fatalf("certificate %s: %d", c.Number, code)
		}
	}
	get(t, s.url+"/no/such/page")

	// One API verdict, then lookups until the limit refuses one.
	c := list.Certificates[0]
	if code, body, err := postJSON(s.url+"/api/v1/verify", "", map[string]string{"number": c.Number, "holder": c.HolderName}); err != nil || code != 200 || !strings.Contains(body, `"verdict": "valid"`) {
		t.Fatalf("verify: %d %v %s", code, err, body)
	}
	refused := false
	for i := 0; i < 100 && !refused; i++ {
		code, _ := get(t, s.url+"/verify/check?number="+url.QueryEscape("NO-SUCH-"+strconv.Itoa(i))+"&holder=x")
		refused = code == 429
	}
	if !refused {
		t.Fatal("100 lookups were never refused")
	}

	// An import through the publishing API: two rows created.
	code, body, err := postJSON(s.url+"/api/v1/publish/certificates", key, map[string]any{"certificates": []any{publishCert("MET-0001"), publishCert("MET-0002")}})
	if err != nil || code != 200 {
		t.Fatalf("publish: %d %v %s", code, err, body)
	}

	m := scrape(t, s.metrics)
	want := map[string]float64{
		`certreg_http_requests_total{class="2xx",route="GET /certificates/{number}"}`:                 3,
		`certreg_http_request_duration_seconds_count{class="2xx",route="GET /certificates/{number}"}`: 3,
		`certreg_http_requests_total{class="4xx",route="/"}`:                                          2, // /metrics and /no/such/page
		`certreg_http_requests_total{class="2xx",route="POST /api/v1/verify"}`:                        1,
		`certreg_verifications_total{verdict="valid",via="api"}`:                                      1,
		`certreg_ratelimit_refusals_total{route="GET /verify/check"}`:                                 1,
		`certreg_import_rows_total{result="created",source="api"}`:                                    2,
		`certreg_import_rows_total{result="updated",source="api"}`:                                    0,
		`certreg_db_max_open_connections`:                                                             8,
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	// The search cache: the repeated list was a hit, the first a miss.
	if m[`certreg_search_cache_requests_total{result="hit"}`] < 1 || m[`certreg_search_cache_requests_total{result="miss"}`] < 1 {
		t.Errorf("search cache: %v hits, %v misses; want at least one of each", m[`certreg_search_cache_requests_total{result="hit"}`], m[`certreg_search_cache_requests_total{result="miss"}`])
	}
	// Every lookup before the refusal gave a not-registered verdict page.
	if n := m[`certreg_verifications_total{verdict="not-registered",via="page"}`]; n < 59 {
		t.Errorf("not-registered page verdicts: %v, want at least 59", n)
	}
	for k := range m {
		if strings.Contains(k, "/certificates/"+list.Certificates[0].Number) || strings.Contains(k, "/no/such/page") {
			t.Errorf("a raw path became a label: %s", k)
		}
	}
	for _, k := range []string{"certreg_db_open_connections", "certreg_db_in_use_connections", "certreg_db_wait_count_total",
		"certreg_log_size", "certreg_log_pending_events", "certreg_log_sequencing_lag_seconds", "process_resident_memory_bytes", "go_goroutines"} {
		if _, ok := m[k]; !ok {
			t.Errorf("series %s missing", k)
		}
	}
	if m["certreg_store_scrape_error"] != 0 {
		t.Error("the store's figures could not be read")
	}

	// The log catches up with the import within a few seconds; its size
	// is the checkpoint's.
	deadline := time.Now().Add(15 * time.Second)
	for {
		m = scrape(t, s.metrics)
		if m["certreg_log_pending_events"] == 0 && m["certreg_log_size"] == m["certreg_log_checkpoint_size"] && m["certreg_log_size"] > 3000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log never caught up: size %v checkpoint %v pending %v", m["certreg_log_size"], m["certreg_log_checkpoint_size"], m["certreg_log_pending_events"])
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, cp := get(t, s.url+"/log/checkpoint")
	if lines := strings.Split(cp, "\n"); len(lines) < 2 || lines[1] != strconv.Itoa(int(m["certreg_log_size"])) {
		t.Errorf("checkpoint %q, metrics say size %v", cp, m["certreg_log_size"])
	}
	if m["certreg_log_sequencing_lag_seconds"] != 0 {
		t.Errorf("lag %v with nothing pending", m["certreg_log_sequencing_lag_seconds"])
	}
	// Go's profiles are on the private listener only.
	if code, body := get(t, strings.TrimSuffix(s.metrics, "/metrics")+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("private /debug/pprof/: %d", code)
	}
	if code, _ := get(t, s.url+"/debug/pprof/"); code != 404 {
		t.Errorf("public /debug/pprof/: %d, want 404", code)
	}
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestServeMetricsOffByDefault: without --metrics-addr nothing listens
// for metrics and the public site has none.
func TestServeMetricsOffByDefault(t *testing.T) {
	db := filepath.Join(t.TempDir(), "registry.db")
	s := startServe(t, map[string]string{"CERTREG_DEMO": "false", "CERTREG_ACCESS_LOG": "false"}, "--db", db)
	if s.metrics != "" || strings.Contains(s.stdout.String(), "metrics") {
		t.Errorf("metrics served without --metrics-addr: %s", s.stdout.String())
	}
	if code, _ := get(t, s.url+"/metrics"); code != 404 {
		t.Errorf("public /metrics: %d", code)
	}
}

// TestGracefulShutdown stops serve (as SIGTERM does) while 16 clients
// publish certificates: every write acknowledged with 200 is in the
// registry afterwards and in the log's final checkpoint; a request in
// flight when the signal came (its body half sent) finishes and is
// acknowledged; new connections are refused; and a request that never
// finishes is cut off after the grace period, which serve reports.
func TestGracefulShutdown(t *testing.T) {
	db, key := opsRegistry(t)
	vars := map[string]string{"CERTREG_DEMO": "false", "CERTREG_ACCESS_LOG": "false"}
	s := startServe(t, vars, "--db", db, "--shutdown-grace", "3s")

	// A slow request: headers and half its body now, the rest after the
	// signal.
	pr, pw := io.Pipe()
	slowBody, _ := json.Marshal(publishCert("SLOW-0001"))
	req, _ := http.NewRequest("PUT", s.url+"/api/v1/publish/certificates/SLOW-0001", pr)
	req.ContentLength = int64(len(slowBody))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	slow := make(chan *http.Response, 1)
	slowErr := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			slowErr <- err
			return
		}
		slow <- resp
	}()
	pw.Write(slowBody[:len(slowBody)/2])

	// 16 writers, each publishing its own numbers until refused.
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stopWriters := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stopWriters:
					return
				default:
				}
				n := fmt.Sprintf("GS-%02d-%04d", w, i)
				b, _ := json.Marshal(publishCert(n))
				req, _ := http.NewRequest("PUT", s.url+"/api/v1/publish/certificates/"+n, bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					continue // refused or cut: not acknowledged
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 || resp.StatusCode == 201 {
					mu.Lock()
					acked = append(acked, n)
					mu.Unlock()
				}
			}
		})
	}
	// The signal comes once the writers are in full swing (the machine
	// may be slow: wait for 20 acknowledged writes, not a fixed time).
	var before int
	for deadline := time.Now().Add(60 * time.Second); before < 20; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		before = len(acked)
		mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged in a minute: %s", before, s.stderr.String())
		}
	}

	s.cancel() // SIGTERM
	time.Sleep(300 * time.Millisecond)
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Error("a new connection was served after the signal")
	}
	pw.Write(slowBody[len(slowBody)/2:])
	pw.Close()
	select {
	case resp := <-slow:
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 && resp.StatusCode != 200 {
			t.Errorf("the request in flight at the signal: %d %s", resp.StatusCode, b)
		} else {
			mu.Lock()
			acked = append(acked, "SLOW-0001")
			mu.Unlock()
		}
	case err := <-slowErr:
		t.Errorf("the request in flight at the signal failed: %v", err)
	case <-time.After(10 * time.Second):
		t.Error("the request in flight at the signal got no answer")
	}
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, s.stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	close(stopWriters)
	wg.Wait()
	if !strings.Contains(s.stdout.String(), "certreg: stopped") {
		t.Errorf("no clean stop: %s", s.stdout.String())
	}

	// Every acknowledged write is there, and logged.
	st, err := registry.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, n := range acked {
		if _, err := st.Certificate(context.Background(), n); err != nil {
			t.Errorf("acknowledged %s is missing: %v", n, err)
		}
	}
	ls, err := st.LogStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ls.Pending != 0 || ls.CheckpointSize != ls.Size {
		t.Errorf("after shutdown the log has %d events pending, checkpoint %d of %d", ls.Pending, ls.CheckpointSize, ls.Size)
	}
	t.Logf("%d writes acknowledged (%d before the signal)", len(acked), before)
	if out, err := runCmd("log", "verify", "--db", db); err != nil {
		t.Fatalf("log verify: %v\n%s", err, out)
	}

	// A request that never finishes is cut off after the grace period.
	s2 := startServe(t, vars, "--db", db, "--shutdown-grace", "1s")
	conn, err := (&net.Dialer{}).Dial("tcp", strings.TrimPrefix(s2.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /api/v1/publish/certificates/STUCK-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"number\":", key)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	err = s2.stop(t, 10*time.Second)
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "cut off") || took > 8*time.Second {
		t.Errorf("stuck request: serve returned %v after %s, want a cut-off report after about 1s", err, took)
	}
}

// TestBackupRestoreDrill is the operator's restore drill: a registry
// served and written to is backed up while it serves; the backup folder is
// copied to a new place (a new machine) and served from there with no
// other input. `log verify` passes on the copy with the log key the
// original published, the restored site serves the same signed
// checkpoint, and a QR code signed before the backup still verifies.
func TestBackupRestoreDrill(t *testing.T) {
	db, key := opsRegistry(t)
	vars := map[string]string{"CERTREG_DEMO": "false", "CERTREG_ACCESS_LOG": "false"}
	base := "https://certreg.example.cn"
	s := startServe(t, vars, "--db", db, "--base-url", base)
	for i := range 5 {
		n := fmt.Sprintf("DRILL-%04d", i)
		b, _ := json.Marshal(publishCert(n))
		req, _ := http.NewRequest("PUT", s.url+"/api/v1/publish/certificates/"+n, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("publish %s: %v %v", n, err, resp)
		}
		resp.Body.Close()
	}
	qrURL, _, err := runCLI(t, "qr", "--db", db, "--base-url", base, "DRILL-0003")
	if err != nil {
		t.Fatal(err)
	}
	qrURL = strings.TrimSpace(qrURL)
	_, vkey := get(t, s.url+"/log/key")
	vkey = strings.TrimSpace(vkey)
	// Wait for serve to log the writes, so that the backup holds a
	// checkpoint that covers them.
	st, err := registry.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var cp string
	for deadline := time.Now().Add(15 * time.Second); ; {
		ls, err := st.LogStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_, cp = get(t, s.url+"/log/checkpoint")
		if lines := strings.Split(cp, "\n"); ls.Pending == 0 && len(lines) > 1 && lines[1] == strconv.FormatInt(ls.Size, 10) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log never caught up: %+v %q", ls, cp)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Online: serve keeps running (and answering) during the backup.
	backups := filepath.Join(t.TempDir(), "backups")
	out, stderr, err := runCLI(t, "backup", "--db", db, "--dated", "--keep", "2", backups)
	if err != nil || !strings.Contains(out, "integrity_check: ok") || !strings.Contains(out, "signing keys") {
		t.Fatalf("backup: %v\n%s%s", err, out, stderr)
	}
	if code, _ := get(t, s.url+"/healthz"); code != 200 {
		t.Fatalf("healthz during backup: %d", code)
	}
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	dated, _ := filepath.Glob(filepath.Join(backups, "certreg-*"))
	if len(dated) != 1 {
		t.Fatalf("backup folders: %v", dated)
	}
	if fi, err := os.Stat(filepath.Join(dated[0], "keys", "keys.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backed-up keys: %v %v", fi, err)
	}

	// The new machine: a copy of the folder (as cp -a, rsync -a or tar
	// make it, modes kept), nothing else.
	restored := filepath.Join(t.TempDir(), "restored")
	copyTree(t, dated[0], restored)
	rdb := filepath.Join(restored, "registry.db")
	if out, err := runCmd("log", "verify", "--db", rdb, "--key", vkey); err != nil || !strings.Contains(out, "the log matches the registry") {
		t.Fatalf("log verify on the restored copy: %v\n%s", err, out)
	}
	r := startServe(t, vars, "--db", rdb, "--base-url", base)
	if _, got := get(t, r.url+"/log/checkpoint"); got != cp {
		t.Errorf("restored checkpoint:\n%s\nwant the one served before the backup:\n%s", got, cp)
	}
	if _, got := get(t, r.url+"/log/key"); strings.TrimSpace(got) != vkey {
		t.Errorf("restored log key %q, want %q", got, vkey)
	}
	u, err := url.Parse(qrURL)
	if err != nil {
		t.Fatal(err)
	}
	code, page := get(t, r.url+u.Path)
	if code != 200 || !strings.Contains(page, "verdict-valid") {
		t.Errorf("the QR code signed before the backup, on the restored site: %d", code)
	}
	if err := r.stop(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}

	// A second and third dated backup: --keep 2 removes the oldest.
	for range 2 {
		time.Sleep(1100 * time.Millisecond) // the folder names are to the second
		if out, stderr, err := runCLI(t, "backup", "--db", db, "--dated", "--keep", "2", backups); err != nil {
			t.Fatalf("backup: %v\n%s%s", err, out, stderr)
		}
	}
	after, _ := filepath.Glob(filepath.Join(backups, "certreg-*"))
	if len(after) != 2 || after[0] == dated[0] {
		t.Errorf("after three backups with --keep 2: %v", after)
	}
	// A backup never writes into an existing folder.
	if _, _, err := runCLI(t, "backup", "--db", db, after[0]); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup into an existing folder: %v", err)
	}
}

// copyTree copies a folder as `cp -a` does, modes kept: the keys must stay
// private (serve refuses keys that others can read).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), fi.Mode().Perm())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestServeMetricsAddrInUse: a metrics address that cannot be listened on
// stops serve at once with the reason, the log follower included (it
// must not keep the process waiting).
func TestServeMetricsAddrInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	db := filepath.Join(t.TempDir(), "registry.db")
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(k string) string { return map[string]string{"CERTREG_DEMO": "false"}[k] }}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), e, []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--metrics-addr", busy.Addr().String()})
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "metrics") {
			t.Errorf("serve: %v, want a metrics listen error", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve hung after failing to listen for metrics")
	}
}
