package site

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
)

// publishFixture is a registry with two bodies, A and B, a certificate of
// B's, and a live API key for each body, served over real HTTP.
type publishFixture struct {
	store      *registry.Store
	srv        *Server
	ts         *httptest.Server
	keyA, keyB string
	now        *time.Time
	numberB    string
}

const (
	approvalA = "CNCA-R-2002-001"
	approvalB = "CNCA-R-2003-002"
)

func newPublishFixture(t testing.TB) *publishFixture {
	t.Helper()
	st := newStore(t)
	now := fixedNow
	st.Now = func() time.Time { return now }
	ctx := context.Background()
	op := registry.Actor{Name: "root", Source: "cli"}
	for _, b := range []registry.Body{{Approval: approvalA, NameZH: "甲认证中心"}, {Approval: approvalB, NameZH: "乙认证公司"}} {
		if _, err := st.AddBody(ctx, op, b); err != nil {
			t.Fatal(err)
		}
	}
	in := certInput("B-2025-0001", approvalB)
	if _, err := st.PutCertificates(ctx, op, []registry.Input{in}, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	keyA, _, err := accounts.New(st).CreateAPIKey(ctx, op, approvalA, "A's ERP", now.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keyB, _, err := accounts.New(st).CreateAPIKey(ctx, op, approvalB, "B's ERP", now.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srv := New(st, Config{BaseURL: testBase})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &publishFixture{store: st, srv: srv, ts: ts, keyA: keyA, keyB: keyB, now: &now, numberB: "B-2025-0001"}
}

func certInput(number, approval string) registry.Input {
	return registry.Input{
		Number: number, HolderName: "宁波示例电器有限公司", HolderCreditCode: "914403001922038216",
		Province: "浙江", City: "宁波", Scheme: "GB/T 27922-2011", Score: "92", Scope: "家用电器的售后服务",
		IssueDate: "2025-03-05", ExpiryDate: "2028-03-04", BodyApproval: approval,
	}
}

// certJSON is a certificate as a client would send it.
func certJSON(number string) map[string]any {
	return map[string]any{
		"number": number, "holder_name": "杭州样例家电服务有限公司", "holder_credit_code": "91440300708461136T",
		"province": "浙江", "city": "杭州", "scheme": "GB/T 27922-2011", "score": 96, "scope": "家用电器的安装、维修和退换货服务",
		"issue_date": "2025-04-01", "expiry_date": "2028-03-31",
	}
}

// call makes an API request with key (none when ""), body v (JSON) and
// headers, and returns the status, headers and body.
func (f *publishFixture) call(t *testing.T, method, path, key string, v any, hdr ...string) response {
	t.Helper()
	var body io.Reader
	if v != nil {
		switch b := v.(type) {
		case string:
			body = strings.NewReader(b)
		default:
			j, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			body = strings.NewReader(string(j))
		}
	}
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// errorCode returns the error code of a JSON error body.
func errorCode(t *testing.T, r response) string {
	t.Helper()
	var e errorJSON
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("not a JSON error: %d %q", r.status, r.body)
	}
	if e.Error.MessageZH == "" || e.Error.MessageEN == "" {
		t.Errorf("error without both languages: %s", r.body)
	}
	return e.Error.Code
}

func TestAPIPublishLifecycle(t *testing.T) {
	f := newPublishFixture(t)
	const n = "A-2025-0001"
	r := f.call(t, "PUT", "/api/v1/publish/certificates/"+n, f.keyA, certJSON(n))
	if r.status != http.StatusCreated || !strings.Contains(r.body, `"action": "create"`) || !strings.Contains(r.body, `"level": "five-star"`) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r = f.call(t, "PUT", "/api/v1/publish/certificates/"+n, f.keyA, certJSON(n)); r.status != 200 || !strings.Contains(r.body, `"action": "unchanged"`) {
		t.Fatalf("same again: %d %s", r.status, r.body)
	}
	c := certJSON(n)
	c["score"] = 91
	if r = f.call(t, "PUT", "/api/v1/publish/certificates/"+n, f.keyA, c); r.status != 200 || !strings.Contains(r.body, `"field": "level"`) {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if r = f.call(t, "GET", "/api/v1/publish/certificates/"+strings.ToLower(n), f.keyA, nil); r.status != 200 || !strings.Contains(r.body, `"version": 2`) {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	r = f.call(t, "GET", "/api/v1/publish/certificates?per_page=10", f.keyA, nil)
	if r.status != 200 || !strings.Contains(r.body, n) || strings.Contains(r.body, f.numberB) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r = f.call(t, "POST", "/api/v1/publish/certificates/"+n+"/status", f.keyA, map[string]any{"status": "suspended", "reason": "监督审核未通过"})
	if r.status != 200 || !strings.Contains(r.body, `"status": "suspended"`) {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	if r = f.call(t, "POST", "/api/v1/publish/certificates/"+n+"/status", f.keyA, map[string]any{"status": "suspended", "reason": "again"}); r.status != 409 {
		t.Fatalf("suspend twice: %d %s", r.status, r.body)
	}
	if r = f.call(t, "POST", "/api/v1/publish/certificates/"+n+"/status", f.keyA, map[string]any{"status": "revoked"}); r.status != 422 || errorCode(t, r) != registry.EINVALID {
		t.Fatalf("revoke without reason: %d %s", r.status, r.body)
	}
	r = f.call(t, "POST", "/api/v1/publish/certificates/"+n+"/surveillance", f.keyA, map[string]any{"date": "2026-04-01", "result": "fail", "note": "整改中"})
	if r.status != 200 || !strings.Contains(r.body, "整改中") {
		t.Fatalf("surveillance: %d %s", r.status, r.body)
	}
	// The public page shows the change at once, and the history says the
	// API key did it.
	page := get(t, f.ts, "/en/certificates/"+n)
	mustContain(t, "public page", page.body, "Suspended")
	cert, _ := f.store.Certificate(context.Background(), n)
	hist, _ := f.store.History(context.Background(), cert.ID)
	if len(hist) != 4 {
		t.Fatalf("history has %d events, want issued, changed, suspended, surveillance", len(hist))
	}
	for _, e := range hist {
		if e.Source != "api" || !strings.HasPrefix(e.Actor, "apikey:crk_") || e.RemoteAddr != "127.0.0.1" {
			t.Errorf("event %s: actor %q source %q from %q", e.Kind, e.Actor, e.Source, e.RemoteAddr)
		}
	}
}

func TestAPIBodyIsolation(t *testing.T) {
	f := newPublishFixture(t)
	nb := f.numberB
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/api/v1/publish/certificates/" + nb, nil, 404},
		{"PUT", "/api/v1/publish/certificates/" + nb, certJSON(nb), 403},
		{"POST", "/api/v1/publish/certificates/" + nb + "/status", map[string]any{"status": "revoked", "reason": "恶意撤销"}, 404},
		{"POST", "/api/v1/publish/certificates/" + nb + "/surveillance", map[string]any{"date": "2026-01-01", "result": "fail"}, 404},
		{"POST", "/api/v1/publish/certificates", map[string]any{"certificates": []any{certJSON("A-1"), certJSON(nb)}}, 422},
		{"POST", "/api/v1/publish/certificates", map[string]any{"certificates": []any{map[string]any{"number": "X-0001", "body_approval": approvalB}}}, 403},
	} {
		r := f.call(t, c.method, c.path, f.keyA, c.body)
		if r.status != c.want {
			t.Errorf("A's key %s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.want)
		}
	}
	r := f.call(t, "GET", "/api/v1/publish/certificates?q="+nb, f.keyA, nil)
	if strings.Contains(r.body, nb) {
		t.Errorf("A's list shows B's certificate: %s", r.body)
	}
	c, _ := f.store.Certificate(context.Background(), nb)
	if c.Status != registry.StatusValid || c.Version != 1 || len(c.Surveillance) != 0 {
		t.Fatalf("B's certificate changed: %+v", c)
	}
	if _, err := f.store.Certificate(context.Background(), "A-1"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatal("a batch with a forbidden row was partly written")
	}
	// B's own key can.
	if r := f.call(t, "POST", "/api/v1/publish/certificates/"+nb+"/status", f.keyB, map[string]any{"status": "suspended", "reason": "暂停"}); r.status != 200 {
		t.Fatalf("B's key: %d %s", r.status, r.body)
	}
}

func TestAPIKeyRefused(t *testing.T) {
	f := newPublishFixture(t)
	path := "/api/v1/publish/certificates"
	r := f.call(t, "GET", path, "", nil)
	if r.status != 401 || r.header.Get("WWW-Authenticate") == "" || errorCode(t, r) != registry.EUNAUTHORIZED {
		t.Fatalf("no key: %d %v %s", r.status, r.header, r.body)
	}
	if r := f.call(t, "GET", path, f.keyA+"x", nil); r.status != 401 {
		t.Fatalf("altered key: %d", r.status)
	}
	ks, _ := f.store.APIKeys(context.Background(), 0)
	for _, k := range ks {
		if k.BodyApproval == approvalA {
			if err := f.store.RevokeAPIKey(context.Background(), registry.Actor{Name: "root", Source: "cli"}, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r := f.call(t, "PUT", path+"/A-2", f.keyA, certJSON("A-2")); r.status != 401 {
		t.Fatalf("revoked key: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", path, f.keyB, nil); r.status != 200 {
		t.Fatalf("B's key before expiry: %d", r.status)
	}
	*f.now = f.now.Add(31 * 24 * time.Hour)
	if r := f.call(t, "GET", path, f.keyB, nil); r.status != 401 {
		t.Fatalf("expired key: %d %s", r.status, r.body)
	}
}

func TestAPIIdempotency(t *testing.T) {
	f := newPublishFixture(t)
	path := "/api/v1/publish/certificates/" + f.numberB + "/status"
	body := map[string]any{"status": "suspended", "reason": "暂停一次"}
	r1 := f.call(t, "POST", path, f.keyB, body, "Idempotency-Key", "req-1")
	r2 := f.call(t, "POST", path, f.keyB, body, "Idempotency-Key", "req-1")
	if r1.status != 200 || r2.status != 200 || r1.body != r2.body || r2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %q / %d %q %v", r1.status, r1.body, r2.status, r2.body, r2.header)
	}
	r3 := f.call(t, "POST", path, f.keyB, map[string]any{"status": "revoked", "reason": "另一请求"}, "Idempotency-Key", "req-1")
	if r3.status != 422 || errorCode(t, r3) != "idempotency_key_reused" {
		t.Fatalf("same key, other request: %d %s", r3.status, r3.body)
	}
	// Without the key, the second try is a conflict: the write happened once.
	if r := f.call(t, "POST", path, f.keyB, body); r.status != 409 {
		t.Fatalf("retry without key: %d", r.status)
	}
	// An error response is replayed too.
	bad := map[string]any{"status": "nonsense", "reason": "x"}
	e1 := f.call(t, "POST", path, f.keyB, bad, "Idempotency-Key", "req-2")
	e2 := f.call(t, "POST", path, f.keyB, bad, "Idempotency-Key", "req-2")
	if e1.status != 422 || e2.status != 422 || e1.body != e2.body {
		t.Fatalf("error replay: %d %d", e1.status, e2.status)
	}
	// Keys are per API key: A's "req-1" is A's own.
	if r := f.call(t, "GET", "/api/v1/publish/certificates", f.keyA, nil, "Idempotency-Key", "req-1"); r.status != 200 {
		t.Fatalf("A with B's idempotency key: %d", r.status)
	}
	c, _ := f.store.Certificate(context.Background(), f.numberB)
	hist, _ := f.store.History(context.Background(), c.ID)
	if n := len(hist); n != 2 {
		t.Fatalf("history has %d events, want issued + one suspension", n)
	}
}

func TestAPIBatchAllOrNothing(t *testing.T) {
	f := newPublishFixture(t)
	good, bad := certJSON("A-2025-0100"), certJSON("A-2025-0101")
	bad["score"] = 65
	bad["expiry_date"] = "2020-01-01"
	r := f.call(t, "POST", "/api/v1/publish/certificates", f.keyA, map[string]any{"certificates": []any{good, bad}})
	if r.status != 422 {
		t.Fatalf("bad batch: %d %s", r.status, r.body)
	}
	var e errorJSON
	json.Unmarshal([]byte(r.body), &e)
	if e.Error.Total < 2 || e.Error.Errors[0].Line != 2 {
		t.Fatalf("errors do not point at item 2: %s", r.body)
	}
	if _, err := f.store.Certificate(context.Background(), "A-2025-0100"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatal("the good item of a bad batch was written")
	}
	dry := f.call(t, "POST", "/api/v1/publish/certificates", f.keyA, map[string]any{"certificates": []any{good}, "dry_run": true})
	if dry.status != 200 || !strings.Contains(dry.body, `"created": 1`) {
		t.Fatalf("dry run: %d %s", dry.status, dry.body)
	}
	if _, err := f.store.Certificate(context.Background(), "A-2025-0100"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatal("a dry run wrote")
	}
	if r := f.call(t, "POST", "/api/v1/publish/certificates", f.keyA, map[string]any{"certificates": []any{good}}); r.status != 200 || !strings.Contains(r.body, `"created": 1`) {
		t.Fatalf("good batch: %d %s", r.status, r.body)
	}
	for _, b := range []string{`{"certificates": [`, `{"certificates": [], "extra": 1}`, `[]`} {
		if r := f.call(t, "POST", "/api/v1/publish/certificates", f.keyA, b); r.status != 400 && r.status != 422 {
			t.Errorf("malformed %q: %d %s", b, r.status, r.body)
		}
	}
}

// TestAPIOversizedBodyRefusedUnread sends headers announcing a huge body
// and only a few bytes of it: the server must answer 413 at once, without
// waiting for (or reading) the rest.
func TestAPIOversizedBodyRefusedUnread(t *testing.T) {
	f := newPublishFixture(t)
	u, _ := url.Parse(f.ts.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "PUT /api/v1/publish/certificates/A-9 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"number\":", u.Host, f.keyA, 1<<30)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "too_large") {
		t.Fatalf("announced 1 GiB: %d %s", resp.StatusCode, b)
	}

	// A chunked body (no length announced) is cut off at the limit: the
	// handler reads at most the limit (plus a buffer's worth).
	var read atomic.Int64
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &countingBody{ReadCloser: r.Body, read: &read}
		f.srv.Handler().ServeHTTP(w, r)
	}))
	defer counting.Close()
	var sent atomic.Int64
	req, _ := http.NewRequest("POST", counting.URL+"/api/v1/publish/certificates/A-9/status", &countingReader{n: 64 << 20, sent: &sent})
	req.Header.Set("Authorization", "Bearer "+f.keyA)
	req.ContentLength = -1
	resp, err = counting.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("chunked 64 MiB: %d", resp.StatusCode)
		}
	}
	if n := read.Load(); n > maxAPIBody+64<<10 {
		t.Fatalf("the handler read %d bytes of a body over the %d limit", n, maxAPIBody)
	}
	if sent.Load() >= 64<<20 {
		t.Fatal("the client could send the whole 64 MiB")
	}
}

type countingBody struct {
	io.ReadCloser
	read *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.read.Add(int64(n))
	return n, err
}

type countingReader struct {
	n    int64
	sent *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), c.n)
	for i := range p[:k] {
		p[i] = ' '
	}
	c.n -= k
	c.sent.Add(k)
	return int(k), nil
}

func TestAPIStoresHostileTextAsText(t *testing.T) {
	f := newPublishFixture(t)
	const n = "A-2025-0666"
	hostile := `<script>alert("x")</script>'; DROP TABLE certificates; --`
	c := certJSON(n)
	c["holder_name"] = hostile
	c["scope"] = `" OR 1=1 -- <img src=x onerror=alert(1)>`
	if r := f.call(t, "PUT", "/api/v1/publish/certificates/"+n, f.keyA, c); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	got, err := f.store.Certificate(context.Background(), n)
	if err != nil || got.HolderName != hostile {
		t.Fatalf("stored %q, %v", got.HolderName, err)
	}
	if _, err := f.store.Certificate(context.Background(), f.numberB); err != nil {
		t.Fatal("the certificates table is gone")
	}
	page := get(t, f.ts, "/certificates/"+n)
	if strings.Contains(page.body, "<script>alert") || strings.Contains(page.body, "<img src=x") {
		t.Fatal("hostile text is rendered as markup")
	}
	mustContain(t, "public page", page.body, "&lt;script&gt;alert(")
}

// TestOpenAPIMatchesRoutes checks the OpenAPI document against the route
// table both ways, and every documented operation against the live server.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newPublishFixture(t)
	r := get(t, f.ts, "/api/v1/openapi.json")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil || r.status != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %d %v", r.status, err)
	}
	var documented, routed []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	for _, rt := range f.srv.routeTable() {
		if method, path, ok := strings.Cut(rt.pattern, " "); ok && strings.HasPrefix(path, "/api/v1/") && (strings.HasPrefix(path, "/api/v1/publish/") || path == "/api/v1/openapi.json") {
			routed = append(routed, method+" "+path)
		}
	}
	sort.Strings(documented)
	sort.Strings(routed)
	if strings.Join(documented, "\n") != strings.Join(routed, "\n") {
		t.Fatalf("documented:\n%s\nrouted:\n%s", strings.Join(documented, "\n"), strings.Join(routed, "\n"))
	}
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		path = strings.ReplaceAll(path, "{number}", f.numberB)
		resp := f.call(t, method, path, "", "{}")
		want := http.StatusUnauthorized
		if path == "/api/v1/openapi.json" {
			want = http.StatusOK
		}
		if resp.status != want {
			t.Errorf("%s %s without a key: %d, want %d", method, path, resp.status, want)
		}
	}
}
