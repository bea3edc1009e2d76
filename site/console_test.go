package site

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
)

// consoleFixture serves a registry with bodies A and B, a certificate of
// each, an operator and one publisher per body, over TLS (the session
// cookie is Secure), with the server's log captured.
type consoleFixture struct {
	*publishFixture
	tls    *httptest.Server
	logBuf *syncBuffer
}

const (
	opPass    = "operator-Pass-2026-xyz"
	alicePass = "alice-Pass-2026-secret"
	bobPass   = "bob-Pass-2026-secret!!"
	numberA   = "A-2025-0001"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newConsoleFixture(t *testing.T) *consoleFixture {
	t.Helper()
	f := newPublishFixture(t)
	ctx := context.Background()
	op := registry.Actor{Name: "setup", Source: "cli"}
	if _, err := f.store.PutCertificates(ctx, op, []registry.Input{certInput(numberA, approvalA)}, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, nu := range []struct {
		registry.NewUser
		password string
	}{
		{registry.NewUser{Name: "root", Role: registry.RoleOperator}, opPass},
		{registry.NewUser{Name: "alice", Role: registry.RolePublisher, BodyApproval: approvalA}, alicePass},
		{registry.NewUser{Name: "bob", Role: registry.RolePublisher, BodyApproval: approvalB}, bobPass},
	} {
		if _, err := accounts.New(f.store).AddUser(ctx, op, nu.NewUser, nu.password); err != nil {
			t.Fatal(err)
		}
	}
	buf := &syncBuffer{}
	f.srv = New(f.store, Config{BaseURL: testBase, Logger: slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ts := httptest.NewTLSServer(f.srv.Handler())
	t.Cleanup(ts.Close)
	f.ts = ts
	return &consoleFixture{publishFixture: f, tls: ts, logBuf: buf}
}

// browser is a client with its own cookie jar that does not follow
// redirects.
type browser struct {
	t  *testing.T
	c  *http.Client
	ts *httptest.Server
}

func (f *consoleFixture) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	c := f.tls.Client()
	c = &http.Client{Transport: c.Transport, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, c: c, ts: f.tls}
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.ts.URL+path, nil)
	return b.do(req)
}

// post posts a form; hdr adds headers (Origin, Sec-Fetch-Site).
func (b *browser) post(path string, form url.Values, hdr ...string) response {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.do(req)
}

// upload posts a file to the bulk upload.
func (b *browser) upload(name string, content []byte) response {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", b.ts.URL+"/console/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func (b *browser) login(name, pw string) response {
	b.t.Helper()
	return b.post("/console/login", url.Values{"name": {name}, "password": {pw}})
}

func (f *consoleFixture) signedIn(t *testing.T, name, pw string) *browser {
	t.Helper()
	b := f.browser(t)
	if r := b.login(name, pw); r.status != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", name, r.status, r.body)
	}
	return b
}

func TestConsoleLoginCookieLogout(t *testing.T) {
	f := newConsoleFixture(t)
	b := f.browser(t)
	if r := b.get("/en/console"); r.status != http.StatusMovedPermanently || r.header.Get("Location") != "/en/console/" {
		t.Fatalf("/en/console: %d %v", r.status, r.header)
	}
	if r := b.get("/console/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/console/login") {
		t.Fatalf("signed out: %d %v", r.status, r.header)
	}
	if r := b.login("alice", "wrong password!"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "用户名或密码不正确") {
		t.Fatalf("wrong password: %d", r.status)
	}
	r := b.login("alice", alicePass)
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	sc := r.header.Get("Set-Cookie")
	for _, want := range []string{SessionCookie + "=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(strings.ToLower(sc), "domain=") {
		t.Errorf("a __Host- cookie with a Domain: %q", sc)
	}
	token := strings.TrimPrefix(strings.Split(sc, ";")[0], SessionCookie+"=")
	var n int
	registrytest.RawDB(t, f.store).QueryRow(`SELECT count(*) FROM sessions WHERE token_hash = ?`, token).Scan(&n)
	if n != 0 || len(token) < 43 {
		t.Fatalf("the session token is stored in the clear, or short: %q", token)
	}
	page := b.get("/console/")
	if page.status != 200 || !strings.Contains(page.body, numberA) || strings.Contains(page.body, f.numberB) {
		t.Fatalf("list: %d", page.status)
	}
	if cc := page.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("console page Cache-Control %q", cc)
	}
	if r := b.get("/en/console/"); r.status != 200 || !strings.Contains(r.body, "Our certificates") {
		t.Fatalf("English console: %d", r.status)
	}
	// GET never signs out (nor changes anything).
	b.get("/console/logout")
	if r := b.get("/console/"); r.status != 200 {
		t.Fatalf("a GET of /console/logout ended the session: %d", r.status)
	}
	if r := b.post("/console/logout", nil); r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", r.status, r.header)
	}
	if r := b.get("/console/"); r.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.status)
	}
	// The old token is dead even if a copy was kept.
	if _, err := accounts.New(f.store).SessionUser(context.Background(), token); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Fatal("the session survives logout")
	}
}

func TestConsoleBodyIsolation(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	nb := "/console/certificates/" + f.numberB
	for _, c := range []struct {
		name string
		r    response
	}{
		{"view B's certificate", a.get(nb)},
		{"edit B's certificate", a.post(nb, url.Values{"holder_name": {"篡改"}, "scheme": {"AS"}})},
		{"suspend B's certificate", a.post(nb+"/status", url.Values{"status": {"revoked"}, "reason": {"x"}})},
		{"audit B's certificate", a.post(nb+"/surveillance", url.Values{"date": {"2026-01-01"}, "result": {"fail"}})},
		{"B's QR code", a.get(nb + "/qr.png")},
	} {
		if c.r.status != http.StatusNotFound && c.r.status != http.StatusForbidden {
			t.Errorf("%s: %d", c.name, c.r.status)
		}
	}
	// Creating a certificate with B's number through the form.
	r := a.post("/console/certificates/new", url.Values{"number": {f.numberB}, "holder_name": {"篡改"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("new with B's number: %d", r.status)
	}
	// B's certificate in a bulk upload.
	csv := "number,holder_name,holder_credit_code,province,scheme,score,scope,issue_date,expiry_date,body_approval\n" +
		f.numberB + ",篡改公司,914403001922038216,浙江,AS,99,篡改,2025-01-01,2028-01-01," + approvalB + "\n"
	r = a.upload("b.csv", []byte(csv))
	if r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, `id="confirm"`) {
		t.Errorf("upload of B's row: %d, confirm offered: %v", r.status, strings.Contains(r.body, `id="confirm"`))
	}
	// B's API key.
	ks, _ := f.store.APIKeys(context.Background(), 0)
	for _, k := range ks {
		if k.BodyApproval == approvalB {
			if r := a.post("/console/keys/"+itoa64(k.ID)+"/revoke", nil); r.status != http.StatusNotFound {
				t.Errorf("revoke B's key: %d", r.status)
			}
		}
	}
	// An operator page.
	if r := a.get("/console/audit"); r.status != http.StatusForbidden {
		t.Errorf("publisher reads the audit log: %d", r.status)
	}
	c, _ := f.store.Certificate(context.Background(), f.numberB)
	if c.Version != 1 || c.Status != registry.StatusValid || c.HolderName == "篡改公司" {
		t.Fatalf("B's certificate changed: %+v", c)
	}
	if _, err := accounts.New(f.store).APIKey(context.Background(), f.keyB); err != nil {
		t.Fatal("B's key was revoked by A")
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func decodePNG(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }

func TestConsoleDisabledUserStopsAtOnce(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	if r := a.get("/console/"); r.status != 200 {
		t.Fatal(r.status)
	}
	op := f.signedIn(t, "root", opPass)
	if r := op.post("/console/users/alice/disable", nil); r.status != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if r := a.get("/console/"); r.status != http.StatusSeeOther {
		t.Fatalf("disabled user's page: %d", r.status)
	}
	if r := a.post("/console/certificates/"+numberA+"/status", url.Values{"status": {"suspended"}, "reason": {"x"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("disabled user's POST: %d", r.status)
	}
	if r := a.login("alice", alicePass); r.status != http.StatusUnauthorized {
		t.Fatalf("disabled user signs in again: %d", r.status)
	}
}

func TestConsoleCrossSitePostRefused(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	form := url.Values{"status": {"suspended"}, "reason": {"CSRF"}}
	for _, hdr := range [][]string{
		{"Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "cross-site"},
	} {
		if r := a.post("/console/certificates/"+numberA+"/status", form, hdr...); r.status != http.StatusForbidden {
			t.Errorf("cross-site POST with %s: %d", hdr[0], r.status)
		}
	}
	// A cross-site login (login CSRF) is refused too.
	if r := f.browser(t).post("/console/login", url.Values{"name": {"alice"}, "password": {alicePass}}, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
		t.Errorf("cross-site login: %d", r.status)
	}
	c, _ := f.store.Certificate(context.Background(), numberA)
	if c.Status != registry.StatusValid {
		t.Fatal("a cross-site POST changed the status")
	}
	// The same POST from the site itself works.
	if r := a.post("/console/certificates/"+numberA+"/status", form, "Sec-Fetch-Site", "same-origin"); r.status != http.StatusSeeOther {
		t.Fatalf("same-origin POST: %d %s", r.status, r.body)
	}
}

func TestConsolePasswordNeverInDatabaseOrLog(t *testing.T) {
	f := newConsoleFixture(t)
	const wrong = "Wrong-Guess-Password-123"
	b := f.browser(t)
	b.login("alice", wrong)
	b.login("alice", alicePass)
	op := f.signedIn(t, "root", opPass)
	const newPass = "Fresh-User-Password-456"
	if r := op.post("/console/users", url.Values{"name": {"carol"}, "role": {"publisher"}, "body": {approvalA}, "password": {newPass}}); r.status != http.StatusSeeOther {
		t.Fatalf("add user: %d", r.status)
	}
	r := op.post("/console/users", url.Values{"name": {"dave"}, "role": {"publisher"}, "body": {approvalA}, "password": {"Short-1"}})
	if r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, "Short-1") {
		t.Fatalf("bad user: %d, password echoed: %v", r.status, strings.Contains(r.body, "Short-1"))
	}
	// An API call with a key, and one that fails (internal errors are logged).
	if r := f.call(t, "GET", "/api/v1/publish/certificates", f.keyA, nil); r.status != 200 {
		t.Fatalf("API call: %d", r.status)
	}
	f.call(t, "GET", "/api/v1/publish/certificates", f.keyA+"x", nil)
	registrytest.RawDB(t, f.store).Exec(`PRAGMA wal_checkpoint(FULL)`)
	logs := f.logBuf.String()
	if !strings.Contains(logs, "/console/login") {
		t.Fatal("the log captured nothing: the test would prove nothing")
	}
	db, _ := os.ReadFile(f.store.Path())
	wal, _ := os.ReadFile(f.store.Path() + "-wal")
	for _, pw := range []string{alicePass, opPass, wrong, newPass, "Short-1", f.keyA} {
		if strings.Contains(logs, pw) {
			t.Errorf("the log holds %q", pw)
		}
		if bytes.Contains(db, []byte(pw)) || bytes.Contains(wal, []byte(pw)) {
			t.Errorf("the database holds %q", pw)
		}
	}
}

func TestConsoleLoginThrottled(t *testing.T) {
	f := newConsoleFixture(t)
	b := f.browser(t)
	for i := 0; i < accounts.MaxFailuresPerUserAddr; i++ {
		b.login("alice", "not-the-password")
	}
	r := b.login("alice", alicePass)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "登录失败次数过多") {
		t.Fatalf("after %d failures: %d %v", accounts.MaxFailuresPerUserAddr, r.status, r.header)
	}
}

func TestConsoleFormMessagesAndCreditCodeAck(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	form := url.Values{"number": {"A-2025-0200"}, "holder_name": {"宁波新样例服务有限公司"}, "holder_credit_code": {"91350100M0001TGQXM"},
		"province": {"浙江"}, "scheme": {"AS"}, "score": {"65"}, "scope": {"售后服务"}, "issue_date": {"2025-05-01"}, "expiry_date": {"2028-04-30"}}
	r := a.post("/console/certificates/new", form)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("low score: %d", r.status)
	}
	// The message sits in the score field's message element.
	if m := regexp.MustCompile(`(?s)id="m-score" class="messages">(.*?)</span>\s*</p>`).FindStringSubmatch(r.body); m == nil || !strings.Contains(m[1], "field-error") {
		t.Fatalf("no message next to the score field")
	}
	form.Set("score", "91")
	r = a.post("/console/certificates/new", form)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `name="ack_credit_code"`) || !strings.Contains(r.body, "field-warning") {
		t.Fatalf("credit-code warning not asked to be acknowledged: %d", r.status)
	}
	if _, err := f.store.Certificate(context.Background(), "A-2025-0200"); err == nil {
		t.Fatal("saved without the acknowledgement")
	}
	form.Set("ack_credit_code", "1")
	if r = a.post("/console/certificates/new", form); r.status != http.StatusSeeOther {
		t.Fatalf("with the acknowledgement: %d %s", r.status, r.body)
	}
	c, err := f.store.Certificate(context.Background(), "A-2025-0200")
	if err != nil || !c.CreditCodeWarning {
		t.Fatalf("saved: %v %+v", err, c)
	}
	// Edit: change the score; the history shows the console and who.
	edit := a.get("/console/certificates/A-2025-0200")
	if edit.status != 200 || !strings.Contains(edit.body, `value="91"`) {
		t.Fatalf("edit page: %d", edit.status)
	}
	form.Set("score", "97")
	if r = a.post("/console/certificates/A-2025-0200", form); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.status)
	}
	c, _ = f.store.Certificate(context.Background(), "A-2025-0200")
	hist, _ := f.store.History(context.Background(), c.ID)
	if c.LevelCode != "five-star" || hist[len(hist)-1].Actor != "alice" || hist[len(hist)-1].Source != "console" {
		t.Fatalf("after edit: %s %+v", c.LevelCode, hist[len(hist)-1])
	}
}

func TestConsoleStatusShowsPublicly(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	// Warm the public page's cache first: the change must show anyway.
	get(t, f.ts, "/en/certificates/"+numberA)
	r := a.post("/console/certificates/"+numberA+"/status", url.Values{"status": {"suspended"}, "effective_date": {"2026-06-01"}, "reason": {"监督审核发现不符合"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	page := get(t, f.ts, "/en/certificates/"+numberA)
	mustContain(t, "public page", page.body, "Suspended", "监督审核发现不符合")
	// Missing reason: message next to the reason field, nothing written.
	r = a.post("/console/certificates/"+numberA+"/status", url.Values{"status": {"revoked"}})
	if r.status != http.StatusUnprocessableEntity || !regexp.MustCompile(`id="sm-reason" class="messages"><span class="field-error">`).MatchString(r.body) {
		t.Fatalf("revoke without reason: %d", r.status)
	}
	r = a.post("/console/certificates/"+numberA+"/surveillance", url.Values{"date": {"2026-05-01"}, "result": {"pass"}, "note": {"复审通过"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("surveillance: %d %s", r.status, r.body)
	}
	qr := a.get("/console/certificates/" + numberA + "/qr.png")
	if qr.status != http.StatusSeeOther || !strings.HasPrefix(qr.header.Get("Location"), "/qr/png-1024/") {
		t.Fatalf("QR: %d %v", qr.status, qr.header)
	}
	png := a.get(qr.header.Get("Location"))
	if png.status != 200 || png.header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR image: %d %v", png.status, png.header)
	}
	img, err := decodePNG([]byte(png.body))
	if err != nil {
		t.Fatal(err)
	}
	text, err := qrimage.Decode(img)
	if err != nil {
		t.Fatal(err)
	}
	p, err := signing.ParseQRURL(text)
	if err != nil || p.Signature.Number != numberA || !strings.EqualFold(p.Origin, testBase) {
		t.Fatalf("QR decodes to %q: %+v %v", text, p, err)
	}
	if v, err := f.srv.Keys().VerifyQR(context.Background(), f.store, p.Signature); err != nil || v.Signature != registry.SigGood {
		t.Fatalf("the QR code's signature: %+v %v", v, err)
	}
}

func TestConsoleUploadPreviewConfirm(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	head := "number,holder_name,holder_credit_code,province,city,scheme,score,scope,issue_date,expiry_date,body_approval\n"
	csv := head +
		"A-2025-0300,温州样例家电有限公司,914403001922038216,浙江,温州,AS,93,家电售后服务,2025-06-01,2028-05-31," + approvalA + "\n" +
		numberA + ",宁波示例电器有限公司,914403001922038216,浙江,宁波,GB/T 27922-2011,97,家用电器的售后服务,2025-03-05,2028-03-04," + approvalA + "\n"
	r := a.upload("batch.csv", []byte(csv))
	if r.status != 200 {
		t.Fatalf("preview: %d %s", r.status, r.body)
	}
	mustContain(t, "preview", r.body, `id="n-created">1<`, `id="n-updated">1<`, "A-2025-0300", "四星级", "五星级", `id="confirm"`)
	// Values in the Chinese console's words, not the stored codes.
	if strings.Contains(r.body, "four-star") || strings.Contains(r.body, "five-star") {
		t.Error("the Chinese preview shows level codes")
	}
	if _, err := f.store.Certificate(context.Background(), "A-2025-0300"); err == nil {
		t.Fatal("the preview wrote")
	}
	id := regexp.MustCompile(`/console/upload/([A-Za-z0-9_-]+)/confirm`).FindStringSubmatch(r.body)
	if id == nil {
		t.Fatal("no confirm form")
	}
	// Another user cannot confirm it.
	bob := f.signedIn(t, "bob", bobPass)
	if r := bob.post("/console/upload/"+id[1]+"/confirm", nil); r.status != http.StatusNotFound {
		t.Fatalf("bob confirms alice's upload: %d", r.status)
	}
	if r := a.post("/console/upload/"+id[1]+"/confirm", nil); r.status != 200 || !strings.Contains(r.body, "新建 1 张，变更 1 张") {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if c, err := f.store.Certificate(context.Background(), "A-2025-0300"); err != nil || c.BodyApproval != approvalA {
		t.Fatalf("not written: %v", err)
	}
	if c, u := importedCounted(f.srv, fromConsole, "created"), importedCounted(f.srv, fromConsole, "updated"); c != 1 || u != 1 {
		t.Errorf("metrics counted %v created and %v updated console rows, want 1 and 1", c, u)
	}
	if r := a.post("/console/upload/"+id[1]+"/confirm", nil); r.status != http.StatusNotFound {
		t.Fatalf("confirmed twice: %d", r.status)
	}
	// A file with an error cannot be confirmed.
	bad := head + "A-2025-0301,<script>alert(1)</script>,914403001922038216,浙江,温州,AS,55,x,2025-06-01,2028-05-31," + approvalA + "\n"
	r = a.upload("bad.csv", []byte(bad))
	if r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, `id="confirm"`) || !strings.Contains(r.body, `id="upload-errors"`) {
		t.Fatalf("bad file: %d", r.status)
	}
	// XLSX: the template itself parses (its example rows name other bodies,
	// so they are errors — but listed, not a 500).
	tpl := a.get("/console/template.xlsx")
	if tpl.status != 200 || !strings.HasPrefix(tpl.body, "PK") {
		t.Fatalf("template: %d", tpl.status)
	}
	own := a.get("/console/certificates.xlsx")
	if own.status != 200 || !strings.HasPrefix(own.body, "PK") {
		t.Fatalf("own certificates: %d", own.status)
	}
	// Our own export uploads back unchanged.
	r = a.upload("ours.xlsx", []byte(own.body))
	if r.status != 200 || !strings.Contains(r.body, `id="n-created">0<`) || !strings.Contains(r.body, `id="n-errors">0<`) {
		t.Fatalf("re-upload of our XLSX: %d", r.status)
	}
}

func TestConsoleOversizedRefused(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	req, _ := http.NewRequest("POST", f.tls.URL+"/console/upload", strings.NewReader("x"))
	req.ContentLength = maxUploadBytes + 1<<20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	// The announced length is refused before anything is read; the client
	// may see the refusal or a closed connection.
	resp, err := a.c.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized upload: %d", resp.StatusCode)
		}
	}
	big := url.Values{"reason": {strings.Repeat("很", maxFormBody)}, "status": {"suspended"}}
	if r := a.post("/console/certificates/"+numberA+"/status", big); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized form: %d", r.status)
	}
}

func TestConsoleHostileTextShownAsText(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	hostile := `<script>alert(1)</script>' OR '1'='1`
	form := url.Values{"number": {"A-2025-0400"}, "holder_name": {hostile}, "holder_credit_code": {"914403001922038216"},
		"province": {"浙江"}, "scheme": {"AS"}, "score": {"91"}, "scope": {`"><img src=x onerror=alert(1)>`}, "issue_date": {"2025-05-01"}, "expiry_date": {"2028-04-30"}}
	if r := a.post("/console/certificates/new", form); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	c, _ := f.store.Certificate(context.Background(), "A-2025-0400")
	if c.HolderName != hostile {
		t.Fatalf("stored %q", c.HolderName)
	}
	for _, p := range []string{"/console/?q=A-2025-0400", "/console/certificates/A-2025-0400"} {
		body := a.get(p).body
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s renders the input as markup", p)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the input as text", p)
		}
	}
	// A search that looks like SQL is just a search.
	if r := a.get("/console/?q=" + url.QueryEscape("' OR 1=1 --")); r.status != 200 {
		t.Fatalf("SQL-looking search: %d", r.status)
	}
}

func TestConsoleOperatorPages(t *testing.T) {
	f := newConsoleFixture(t)
	op := f.signedIn(t, "root", opPass)
	if r := op.post("/console/bodies", url.Values{"approval": {"CNCA-R-2010-099"}, "name_zh": {"丙认证中心"}}); r.status != http.StatusSeeOther {
		t.Fatalf("add body: %d %s", r.status, r.body)
	}
	if r := op.post("/console/bodies", url.Values{"approval": {"bad"}, "name_zh": {""}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad body: %d", r.status)
	}
	if r := op.get("/console/"); r.status != http.StatusSeeOther {
		t.Fatalf("operator home: %d", r.status)
	}
	if r := op.get("/console/certificates/new"); r.status != http.StatusForbidden {
		t.Fatalf("operator on a publisher page: %d", r.status)
	}
	a := f.signedIn(t, "alice", alicePass)
	a.post("/console/certificates/"+numberA+"/status", url.Values{"status": {"suspended"}, "reason": {"原因"}})
	r := op.get("/console/audit?body=" + approvalA + "&source=console")
	if r.status != 200 || !strings.Contains(r.body, "alice") || strings.Contains(r.body, "B-2025-0001") {
		t.Fatalf("audit filtered: %d", r.status)
	}
	// The Chinese console words kinds and values in Chinese, never the
	// codes the store keeps.
	mustContain(t, "audit in Chinese", r.body, "<td>暂停</td>", "状态：有效 → 暂停")
	for _, code := range []string{"<td>suspended</td>", "valid → suspended", "<td>issued</td>"} {
		if strings.Contains(r.body, code) {
			t.Errorf("the Chinese audit log shows the code %q", code)
		}
	}
	if r := op.get("/en/console/audit?kind=user.&since=2026-06-15"); r.status != 200 || !strings.Contains(r.body, "user.login") {
		t.Fatalf("audit by kind prefix: %d", r.status)
	}
	if r := op.get("/console/audit?since=notadate"); r.status != 200 || !strings.Contains(r.body, "日期无效") {
		t.Fatalf("bad date: %d", r.status)
	}
	if r := op.get("/console/users"); r.status != 200 || !strings.Contains(r.body, "alice") {
		t.Fatalf("users: %d", r.status)
	}
}

func TestConsoleAPIKeyPage(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	r := a.post("/console/keys", url.Values{"name": {"ERP 系统"}, "days": {"90"}})
	key := regexp.MustCompile(`<code id="new-key">(crk_[A-Za-z0-9_-]+)</code>`).FindStringSubmatch(r.body)
	if r.status != 200 || key == nil {
		t.Fatalf("create key: %d", r.status)
	}
	if res := f.call(t, "GET", "/api/v1/publish/certificates", key[1], nil); res.status != 200 || !strings.Contains(res.body, numberA) {
		t.Fatalf("the new key: %d", res.status)
	}
	list := a.get("/console/keys")
	if strings.Contains(list.body, key[1]) {
		t.Fatal("the key is shown again")
	}
	ks, _ := f.store.APIKeys(context.Background(), 0)
	var id int64
	for _, k := range ks {
		if k.Name == "ERP 系统" {
			id = k.ID
		}
	}
	if r := a.post("/console/keys/"+itoa64(id)+"/revoke", nil); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.status)
	}
	if res := f.call(t, "GET", "/api/v1/publish/certificates", key[1], nil); res.status != 401 {
		t.Fatalf("revoked key: %d", res.status)
	}
}

// TestConsoleREADMEFlow is the README's walk-through: a fresh registry, the
// sample body, its publisher uploads data/template.xlsx, confirms, and
// suspends a certificate, which the public page shows at once.
func TestConsoleREADMEFlow(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	cli := registry.Actor{Name: "root", Source: "cli"}
	if _, err := st.AddBody(ctx, cli, registry.Body{Approval: "CNCA-R-2016-901", NameZH: "示例质量认证中心（样例）"}); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.New(st).AddUser(ctx, cli, registry.NewUser{Name: "alice", Role: registry.RolePublisher, BodyApproval: "CNCA-R-2016-901"}, alicePass); err != nil {
		t.Fatal(err)
	}
	srv := New(st, Config{BaseURL: testBase})
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(ts.Close)
	f := &consoleFixture{publishFixture: &publishFixture{store: st, srv: srv, ts: ts}, tls: ts}
	a := f.signedIn(t, "alice", alicePass)
	xlsx, err := os.ReadFile("../data/template.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	r := a.upload("template.xlsx", xlsx)
	if r.status != 200 || !strings.Contains(r.body, `id="n-created">2<`) {
		t.Fatalf("preview of the template: %d %s", r.status, regexp.MustCompile(`(?s)<main.*</main>`).FindString(r.body))
	}
	id := regexp.MustCompile(`/console/upload/([A-Za-z0-9_-]+)/confirm`).FindStringSubmatch(r.body)
	if id == nil {
		t.Fatal("no confirm form")
	}
	if r := a.post("/console/upload/"+id[1]+"/confirm", nil); r.status != 200 {
		t.Fatalf("confirm: %d", r.status)
	}
	if r := a.post("/console/certificates/SAMPLE-2024-0001/status", url.Values{"status": {"suspended"}, "reason": {"客户投诉处理不符合要求"}}); r.status != http.StatusSeeOther {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	page := get(t, ts, "/en/certificates/SAMPLE-2024-0001")
	mustContain(t, "public page", page.body, "Suspended", "客户投诉处理不符合要求")
}

func TestConsoleTOTPAndPasswordChange(t *testing.T) {
	f := newConsoleFixture(t)
	a := f.signedIn(t, "alice", alicePass)
	page := a.get("/console/account")
	m := regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]{32})</code>`).FindStringSubmatch(page.body)
	if page.status != 200 || m == nil {
		t.Fatalf("account page: %d", page.status)
	}
	if r := a.post("/console/account/totp", url.Values{"action": {"enable"}, "secret": {m[1]}, "code": {"000000"}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: %d", r.status)
	}
	code, _ := accounts.TOTPCode(m[1], *f.now)
	if r := a.post("/console/account/totp", url.Values{"action": {"enable"}, "secret": {m[1]}, "code": {code}}); r.status != http.StatusSeeOther {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	b := f.browser(t)
	r := b.login("alice", alicePass)
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, `name="totp"`) {
		t.Fatalf("password only: %d", r.status)
	}
	if r := b.post("/console/login", url.Values{"name": {"alice"}, "password": {alicePass}, "totp": {code}}); r.status != http.StatusUnauthorized {
		t.Fatalf("the code used to enable is accepted again: %d", r.status)
	}
	*f.now = f.now.Add(30 * time.Second)
	code, _ = accounts.TOTPCode(m[1], *f.now)
	if r := b.post("/console/login", url.Values{"name": {"alice"}, "password": {alicePass}, "totp": {code}}); r.status != http.StatusSeeOther {
		t.Fatalf("password and code: %d", r.status)
	}
	// Password change: the current password is checked, and every session
	// ends, this one too.
	const newPass = "alice-New-Pass-2026!"
	if r := a.post("/console/account/password", url.Values{"current": {"nope-nope-nope"}, "new": {newPass}, "again": {newPass}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password: %d", r.status)
	}
	if r := a.post("/console/account/password", url.Values{"current": {alicePass}, "new": {newPass}, "again": {newPass}}); r.status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	for _, br := range []*browser{a, b} {
		if r := br.get("/console/"); r.status != http.StatusSeeOther {
			t.Fatalf("a session survived the password change: %d", r.status)
		}
	}
}
