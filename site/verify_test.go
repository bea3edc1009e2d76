package site

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"html"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/site/i18n"
	"github.com/certreg/certreg/views"
)

// verifySite serves store with a key ring of its own.
func verifySite(t testing.TB, store *registry.Store, limits Limits) (*Server, *httptest.Server) {
	t.Helper()
	s := New(store, Config{BaseURL: testBase, Keys: signing.NewMemoryKeys(), Limits: limits})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// qrURL signs a certificate's current claims with the site's key.
func qrURL(t testing.TB, s *Server, number string) string {
	t.Helper()
	c, err := s.store.Certificate(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := s.Keys().SignClaims(registry.ClaimsOf(c))
	if err != nil {
		t.Fatal(err)
	}
	return qs.URL(testBase)
}

// pathOf is the path of a QR URL, to request from the test server.
func pathOf(u string) string { return u[strings.Index(u, "/V/"):] }

func post(t testing.TB, ts *httptest.Server, path, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func TestVerdictPages(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000})
	for _, kind := range []string{"valid", "suspended", "revoked", "withdrawn", "expired", "/"} {
		u := qrURL(t, s, sampleNumber(t, kind))
		want := kind
		if kind == "/" {
			want = string(mustCert(t, s, sampleNumber(t, "/")).EffectiveStatus(fixedNow))
		}
		v := registry.Verdict(want)
		r := get(t, ts, pathOf(u))
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d\n%s", kind, r.status, r.body)
		}
		c := mustCert(t, s, sampleNumber(t, kind))
		mustContain(t, kind, r.body, `verdict-panel verdict-`+want, i18n.ZH.Render(v), i18n.ZH.Render(v.Meaning()), "真实：二维码由本登记库签发",
			"https://certreg.example.cn", "纸质证书与登记记录对照", `name="kind" value="qr"`,
			`<dd class="holder">`+html.EscapeString(c.HolderName)+`</dd>`, "有效期至", i18n.ZH.Date(c.ExpiryDate))
		// The QR code's files are for printing: the certificate page and
		// the console offer them, not the reviewer's verdict page.
		if strings.Contains(r.body, "/qr/") {
			t.Errorf("%s: the verdict page offers QR code downloads", kind)
		}
		if want != "valid" && strings.Contains(r.body, "verdict-valid") {
			t.Errorf("%s: page shows a valid badge", kind)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", kind, cc)
		}
		en := get(t, ts, "/en"+pathOf(u))
		mustContain(t, kind+" en", en.body, i18n.EN.Render(v), html.EscapeString(i18n.EN.Render(v.Meaning())), `lang="en"`)
	}

	valid := qrURL(t, s, sampleNumber(t, "valid"))
	// Lower case, as typed by hand, reads the same.
	if r := get(t, ts, strings.ToLower(pathOf(valid))); r.status != 200 || !strings.Contains(r.body, "verdict-panel verdict-valid") {
		t.Errorf("lower-case QR URL: %d", r.status)
	}
	i := strings.Index(valid, "/V/") + 30
	repl := "A"
	if valid[i] == 'A' {
		repl = "B"
	}
	for name, tc := range map[string]struct {
		path   string
		status int
		want   []string
	}{
		"tampered":       {pathOf(valid[:i] + repl + valid[i+1:]), 200, []string{"verdict-panel verdict-forged", "二维码伪造或被篡改"}},
		"unknown key":    {pathOf(foreignKeyURL(t, s, sampleNumber(t, "valid"))), 200, []string{"verdict-forged", "不是本登记库发布的密钥"}},
		"not registered": {pathOf(strings.Replace(valid, "/V/", "/V/", 1)[:strings.LastIndex(valid, "/")] + "/NOPE-0001"), 404, []string{"verdict-not-registered", "未登记"}},
		"malformed":      {"/V/ABC/DEF", 400, []string{"证书二维码网址不完整或已损坏"}},
		"no number":      {"/V/" + strings.Repeat("A", 108), 400, []string{"缺少证书编号"}},
		"bad number":     {"/V/" + strings.Repeat("A", 108) + "/%3Cscript%3E", 400, []string{"证书编号无效"}},
		"overlong":       {"/V/" + strings.Repeat("A", 2000) + "/X", 400, []string{"过长"}},
	} {
		r := get(t, ts, tc.path)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", name, r.status, tc.status)
		}
		mustContain(t, name, r.body, tc.want...)
		if strings.Contains(r.body, "verdict-panel verdict-valid") {
			t.Errorf("%s: shows valid", name)
		}
	}
}

func mustCert(t testing.TB, s *Server, n string) *registry.Certificate {
	c, err := s.store.Certificate(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// foreignKeyURL signs a certificate's true claims with a key the registry
// never published.
func foreignKeyURL(t testing.TB, s *Server, n string) string {
	qs, err := signing.NewMemoryKeys().SignClaims(registry.ClaimsOf(mustCert(t, s, n)))
	if err != nil {
		t.Fatal(err)
	}
	return qs.URL(testBase)
}

// A genuine QR code over claims that changed since printing names the
// changed fields beside the live record.
func TestVerdictChangedSincePrinting(t *testing.T) {
	store := newStore(t)
	in := registry.Input{
		Number: "AS-2024-0001", HolderName: "宁波示例电器有限公司", HolderCreditCode: "914403001922038216",
		Province: "浙江", City: "宁波", Scheme: "AS", Score: "96", Scope: "家用电器的售后服务",
		IssueDate: "2024-03-05", ExpiryDate: "2027-03-04", BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心",
	}
	ctx := context.Background()
	if _, err := store.PutCertificates(ctx, registry.Actor{Name: "t", Source: "cli"}, []registry.Input{in}, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	s, ts := verifySite(t, store, Limits{})
	u := qrURL(t, s, "AS-2024-0001")
	in.Score = "85"
	if _, err := store.PutCertificates(ctx, registry.Actor{Name: "t", Source: "cli"}, []registry.Input{in}, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	r := get(t, ts, pathOf(u))
	mustContain(t, "changed", r.body, "verdict-panel verdict-mismatch", "与登记信息不符", "二维码签名真实，但证书内容在打印后已变更",
		`<tr class="differs"><th scope="row">等级</th><td data-label="二维码签名的内容">五星级`, "三星级", "（已变更）")
	if strings.Count(r.body, "（已变更）") != 1 {
		t.Errorf("%d fields marked changed, want 1 (the level)", strings.Count(r.body, "（已变更）"))
	}
	// Verification counts grow with each person's check: the first
	// request above came from a program (Go's User-Agent), which is not
	// counted.
	r = getAs(t, ts, pathOf(u), "127.0.0.2", browserUA)
	mustContain(t, "count", r.body, "本证书在本登记库累计被核验 1 次", "这是本证书第一次被核验")
	r = getAs(t, ts, pathOf(u), "127.0.0.3", browserUA)
	mustContain(t, "count", r.body, "本证书在本登记库累计被核验 2 次", "此前最近一次核验")
}

func TestManualCheck(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000})
	n := sampleNumber(t, "valid")
	c := mustCert(t, s, n)
	q := func(number, holder string) string {
		return "/verify/check?" + url.Values{"number": {number}, "holder": {holder}}.Encode()
	}
	r := get(t, ts, q(strings.ToLower(n), c.HolderName))
	mustContain(t, "by name", r.body, "verdict-panel verdict-valid", c.HolderCreditCode, "未使用二维码")
	r = get(t, ts, q(n, c.HolderCreditCode))
	mustContain(t, "by code", r.body, "verdict-panel verdict-valid")
	r = get(t, ts, q(n, "某某不相干有限公司"))
	mustContain(t, "mismatch", r.body, "verdict-panel verdict-mismatch", "该编号的证书不属于这个名称的组织")
	if strings.Contains(r.body, c.HolderName) || strings.Contains(r.body, c.HolderCreditCode) {
		t.Errorf("a mismatch shows the registered holder")
	}
	r = get(t, ts, q("", ""))
	if r.status != 400 {
		t.Errorf("empty form: %d", r.status)
	}
	mustContain(t, "empty", r.body, "证书编号不能为空", `role="alert"`)
	r = get(t, ts, q("<script>alert(1)</script>", "x"))
	if r.status != 400 || strings.Contains(r.body, "<script>alert") {
		t.Errorf("script in number: %d, escaped: %v", r.status, !strings.Contains(r.body, "<script>alert"))
	}
	if r := get(t, ts, q("NOPE-0000", "x")); r.status != 404 || !strings.Contains(r.body, "verdict-not-registered") {
		t.Errorf("unregistered: %d", r.status)
	}
}

// upload posts one file as the multipart field name.
func upload(t testing.TB, ts *httptest.Server, path, field, filename string, body []byte, extra ...string) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(extra); i += 2 {
		mw.WriteField(extra[i], extra[i+1])
	}
	fw, _ := mw.CreateFormFile(field, filename)
	fw.Write(body)
	mw.Close()
	return post(t, ts, path, mw.FormDataContentType(), &buf)
}

func qrPNG(t testing.TB, content string) []byte {
	b, err := qrimage.PNG(content, 300)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQRImageCheck(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000})
	n := sampleNumber(t, "revoked")
	u := qrURL(t, s, n)

	r := upload(t, ts, "/verify/image", "image", "qr.png", qrPNG(t, u))
	if r.status != 200 {
		t.Fatalf("own QR: %d %s", r.status, r.body)
	}
	mustContain(t, "own QR", r.body, "verdict-panel verdict-revoked", n)

	// The same code on a look-alike domain.
	fake := strings.Replace(u, "CERTREG.EXAMPLE.CN", "CERTREG.EXAMPLE-CN.COM", 1)
	r = upload(t, ts, "/en/verify/image", "image", "scan.png", qrPNG(t, fake))
	if r.status != 200 {
		t.Fatalf("foreign QR: %d", r.status)
	}
	mustContain(t, "foreign QR", r.body, "likely forged", "https://certreg.example-cn.com", "verdict-forged")
	if strings.Contains(r.body, "verdict-panel verdict-revoked") {
		t.Error("a foreign QR code got this registry's verdict")
	}
	// A QR code that is not a web address.
	r = upload(t, ts, "/verify/image", "image", "qr.png", qrPNG(t, "WIFI:S:net;T:WPA;P:secret;;"))
	if r.status != 422 || !strings.Contains(r.body, "不是网址") {
		t.Errorf("non-URL QR: %d", r.status)
	}

	blank := image.NewGray(image.Rect(0, 0, 120, 120))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	var blankPNG bytes.Buffer
	png.Encode(&blankPNG, blank)

	for name, tc := range map[string]struct {
		body   []byte
		status int
		want   string
	}{
		"PDF renamed .png": {[]byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"), 415, "PDF"},
		"text":             {[]byte("hello"), 415, "不是 PNG 或 JPEG"},
		"no QR":            {blankPNG.Bytes(), 422, "找不到可读的二维码"},
		"truncated PNG":    {qrPNG(t, u)[:60], 422, "已损坏"},
		"bomb":             {pngBomb(t, 50000, 50000), 413, "图片尺寸过大"},
		"empty":            {nil, 400, "没有收到图片"},
	} {
		r := upload(t, ts, "/verify/image", "image", "qr.png", tc.body)
		if r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("%s: %d, want %d with %q", name, r.status, tc.status, tc.want)
		}
	}
	// 50 MB: refused with 413, without reading it all.
	big := io.LimitReader(zeros{}, 50<<20)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("image", "big.png")
		fw.Write([]byte("\x89PNG\r\n\x1a\n"))
		io.Copy(fw, big)
		mw.Close()
		pw.Close()
	}()
	start := time.Now()
	r = post(t, ts, "/verify/image", mw.FormDataContentType(), pr)
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "过大") {
		t.Errorf("50 MB upload: %d", r.status)
	}
	t.Logf("50 MB upload refused in %v", time.Since(start))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// pngBomb is a tiny PNG whose header declares w×h pixels.
func pngBomb(t testing.TB, w, h uint32) []byte {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := buf.Bytes()
	// IHDR data starts at byte 16: width, height; its CRC follows the 13
	// data bytes and covers the type and data.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestBatchCheck(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{BatchBurst: 100})
	rows, err := registrytest.RawDB(t, s.store).Query(`SELECT number, holder_credit_code FROM certificates ORDER BY id LIMIT 995`)
	if err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	for i := 0; rows.Next(); i++ {
		var n, cc string
		rows.Scan(&n, &cc)
		if i%10 == 0 {
			lines.WriteString(n + ",91440300708461136T\n")
		} else {
			lines.WriteString(n + "\n")
		}
	}
	rows.Close()
	lines.WriteString("NOPE-0001\nNOPE-0002\n=HYPERLINK(1)\n")
	form := url.Values{"lines": {lines.String()}, "format": {"html"}}
	start := time.Now()
	r := post(t, ts, "/verify/batch", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	t.Logf("batch of 998 lines over HTTP: %v", time.Since(start))
	if r.status != 200 {
		t.Fatalf("batch: %d %s", r.status, r.body[:min(500, len(r.body))])
	}
	mustContain(t, "batch", r.body, "共 998 行", "verdict-valid", "verdict-mismatch", "verdict-not-registered", "verdict-expired")
	if n := strings.Count(r.body, `<span class="badge verdict-`); n != 998 {
		t.Errorf("%d result rows, want 998", n)
	}
	if n := verdictsCounted(t, s, viaBatch); n != 998 {
		t.Errorf("metrics counted %v batch verdicts, want 998", n)
	}

	form.Set("format", "csv")
	r = post(t, ts, "/verify/batch", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if n := strings.Count(r.body, "\n"); n != 999 {
		t.Errorf("csv has %d lines, want 999", n)
	}
	mustContain(t, "csv", r.body, "line,number,verdict", ",not-registered,未登记,NOT REGISTERED,", "'=HYPERLINK(1)")

	form.Set("format", "xlsx")
	r = post(t, ts, "/verify/batch", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	f, err := excelize.OpenReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	xr, _ := f.GetRows(f.GetSheetName(0))
	if len(xr) != 999 || xr[0][2] != "verdict" {
		t.Errorf("xlsx: %d rows, header %v", len(xr), xr[0])
	}

	// The same list as an uploaded XLSX file.
	up := excelize.NewFile()
	for i, l := range strings.Split(strings.TrimSpace(lines.String()), "\n")[:50] {
		n, cc, _ := strings.Cut(l, ",")
		cellN, _ := excelize.CoordinatesToCellName(1, i+1)
		cellC, _ := excelize.CoordinatesToCellName(2, i+1)
		up.SetCellValue("Sheet1", cellN, n)
		up.SetCellValue("Sheet1", cellC, cc)
	}
	var xb bytes.Buffer
	up.Write(&xb)
	r = upload(t, ts, "/verify/batch", "file", "list.xlsx", xb.Bytes(), "format", "html")
	mustContain(t, "xlsx upload", r.body, "共 50 行")

	// Too many lines, nothing, a PDF.
	r = post(t, ts, "/verify/batch", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"lines": {strings.Repeat("AS-1\n", 1001)}}.Encode()))
	if r.status != 400 || !strings.Contains(r.body, "一次最多核验 1000 行") {
		t.Errorf("1001 lines: %d", r.status)
	}
	r = upload(t, ts, "/verify/batch", "file", "list.csv", []byte("%PDF-1.4 junk"))
	if r.status != 400 || !strings.Contains(r.body, "无法读取上传的文件") {
		t.Errorf("pdf upload: %d", r.status)
	}
}

func TestVerifyAPI(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000})
	n := sampleNumber(t, "valid")
	u := qrURL(t, s, n)
	call := func(body string) (int, map[string]any) {
		r := post(t, ts, "/api/v1/verify", "application/json", strings.NewReader(body))
		var m map[string]any
		if err := json.Unmarshal([]byte(r.body), &m); err != nil {
			t.Fatalf("%s: not JSON: %s", body, r.body)
		}
		return r.status, m
	}
	st, m := call(`{"url": "` + u + `"}`)
	v, _ := m["verification"].(map[string]any)
	if st != 200 || v["verdict"] != "valid" || v["signature"] != "good" || v["verdict_zh"] != "有效" {
		t.Errorf("url: %d %v", st, m)
	}
	st, m = call(`{"url": "` + strings.Replace(u, "EXAMPLE.CN", "EXAMPLE.CN.EVIL.COM", 1) + `"}`)
	v, _ = m["verification"].(map[string]any)
	if st != 200 || v["verdict"] != "forged" || !strings.Contains(v["note_en"].(string), "certreg.example.cn.evil.com") {
		t.Errorf("foreign url: %d %v", st, m)
	}
	c := mustCert(t, s, n)
	st, m = call(`{"number": "` + n + `", "holder": "` + c.HolderCreditCode + `"}`)
	if v, _ := m["verification"].(map[string]any); st != 200 || v["verdict"] != "valid" {
		t.Errorf("manual: %d %v", st, m)
	}
	st, m = call(`{"numbers": ["` + n + `", "NOPE-1", "` + sampleNumber(t, "revoked") + `"]}`)
	res, _ := m["results"].([]any)
	if st != 200 || len(res) != 3 || res[1].(map[string]any)["verdict"] != "not-registered" || res[2].(map[string]any)["verdict"] != "revoked" {
		t.Errorf("batch: %d %v", st, m)
	}
	for _, bad := range []string{`{`, `{"url": "x", "number": "y"}`, `{}`, `{"nope": 1}`, `{"url": "https://certreg.example.cn/V/AAA/B"}`, `{"number": "", "holder": "x"}`, `{"numbers": []}{}`} {
		st, m := call(bad)
		e, _ := m["error"].(map[string]any)
		if st != 400 || e["message_zh"] == "" || e["message_en"] == "" {
			t.Errorf("%s: %d %v", bad, st, m)
		}
	}
	big := `{"numbers": ["` + strings.Repeat("A", 300<<10) + `"]}`
	if st, _ := call(big); st != http.StatusRequestEntityTooLarge {
		t.Errorf("300 KB body: %d", st)
	}
}

func TestReceipts(t *testing.T) {
	store := newStore(t)
	ctx := context.Background()
	in := registry.Input{
		Number: "AS-2024-0002", HolderName: "宁波回执电器有限公司", HolderCreditCode: "914403001922038216",
		Province: "浙江", Scheme: "AS", Score: "91", Scope: "售后服务", IssueDate: "2024-03-05", ExpiryDate: "2027-03-04",
		BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心",
	}
	actor := registry.Actor{Name: "t", Source: "cli"}
	if _, err := store.PutCertificates(ctx, actor, []registry.Input{in}, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	s, ts := verifySite(t, store, Limits{})
	u := qrURL(t, s, in.Number)
	token := strings.Split(pathOf(u), "/")[2]
	r := post(t, ts, "/receipts", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"kind": {"qr"}, "number": {in.Number}, "token": {token}}.Encode()))
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/receipts/") {
		t.Fatalf("create receipt: %d %q", r.status, loc)
	}
	first := get(t, ts, loc)
	mustContain(t, "receipt", first.body, "verdict-panel verdict-valid", strings.TrimPrefix(loc, "/receipts/"), "宁波回执电器有限公司", "四星级", loc+"/qr.svg", "核验回执")
	// Revoked afterwards: the receipt still says what was said then.
	if _, err := store.ChangeStatus(ctx, actor, registry.StatusChange{Number: in.Number, To: registry.StatusRevoked, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	again := get(t, ts, loc)
	if again.body != first.body {
		t.Error("the receipt changed after the certificate was revoked")
	}
	if r := get(t, ts, pathOf(u)); !strings.Contains(r.body, "verdict-panel verdict-revoked") {
		t.Error("the verdict page does not show the revocation")
	}
	qr := get(t, ts, loc+"/qr.svg")
	if qr.status != 200 || qr.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(qr.header.Get("Cache-Control"), "immutable") {
		t.Errorf("receipt QR: %d %v", qr.status, qr.header)
	}
	// A form that tries to dictate the verdict is ignored; a bad one is 400.
	for _, f := range []url.Values{{"kind": {"x"}}, {"kind": {"qr"}, "number": {in.Number}, "token": {"AAAA"}}, {"kind": {"manual"}, "number": {""}}} {
		if r := post(t, ts, "/receipts", "application/x-www-form-urlencoded", strings.NewReader(f.Encode())); r.status != 400 {
			t.Errorf("receipt form %v: %d", f, r.status)
		}
	}
	if r := get(t, ts, "/receipts/AAAAAAAAAAAAAAAA"); r.status != 404 {
		t.Errorf("unknown receipt: %d", r.status)
	}
	if r := get(t, ts, "/receipts/AAAAAAAAAAAAAAAA/qr.svg"); r.status != 404 {
		t.Errorf("unknown receipt's QR: %d", r.status)
	}
}

func TestQRImagesAndKeys(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000})
	n := sampleNumber(t, "/")
	u := qrURL(t, s, n)
	page := get(t, ts, views.CertificatePath(n))
	i := strings.Index(page.body, "/qr/png-512/")
	if i < 0 {
		t.Fatal("the certificate page links no PNG")
	}
	pngPath := page.body[i : i+strings.Index(page.body[i:], `"`)]
	r := get(t, ts, pngPath)
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("png: %d %v", r.status, r.header)
	}
	img, err := png.Decode(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := qrimage.Decode(img); err != nil || got != u {
		t.Errorf("served PNG decodes to %q (%v), want %q", got, err, u)
	}
	svg := get(t, ts, strings.Replace(pngPath, "/png-512/", "/svg/", 1))
	if svg.status != 200 || !strings.HasPrefix(svg.body, "<svg") {
		t.Errorf("svg: %d", svg.status)
	}
	forged := strings.Replace(pngPath, "/png-512/", "/png-256/", 1)
	// One character of the token changed (to another one: a token may
	// start with either).
	at := len("/qr/png-256/")
	c := "B"
	if forged[at] == 'B' {
		c = "C"
	}
	forged = forged[:at] + c + forged[at+1:]
	for _, p := range []string{forged, "/qr/gif/AAAA/X", "/qr/svg/AAAA/X", strings.Replace(pngPath, "/png-512/", "/png-99999/", 1)} {
		if r := get(t, ts, p); r.status != 404 {
			t.Errorf("%s: %d, want 404", p, r.status)
		}
	}

	k := get(t, ts, "/.well-known/certreg-keys.json")
	var set signing.PublicKeySet
	if err := json.Unmarshal([]byte(k.body), &set); err != nil || len(set.Keys) != 1 || set.Keys[0].ID != s.Keys().Current().ID {
		t.Errorf("key set: %v %s", err, k.body)
	}
	if strings.Contains(k.body, "seed") || strings.Contains(k.body, "private") {
		t.Error("the key set holds a private key")
	}
}

func TestRateLimit(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupRate: 0.01, LookupBurst: 3, BatchRate: 0.01, BatchBurst: 2})
	u := pathOf(qrURL(t, s, sampleNumber(t, "valid")))
	for i := 0; i < 3; i++ {
		if r := get(t, ts, u); r.status != 200 {
			t.Fatalf("lookup %d: %d", i, r.status)
		}
	}
	r := get(t, ts, u)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "请求过于频繁") {
		t.Fatalf("4th lookup: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	en := get(t, ts, "/en"+u)
	if en.status != 429 || !strings.Contains(en.body, "Too many requests") {
		t.Errorf("en: %d", en.status)
	}
	api := post(t, ts, "/api/v1/verify", "application/json", strings.NewReader(`{"url": "`+testBase+u+`"}`))
	if api.status != 429 || api.header.Get("Retry-After") == "" || !strings.Contains(api.body, `"message_en": "Too many requests`) {
		t.Errorf("API over the limit: %d %s", api.status, api.body)
	}
	// A batch of 500 still goes through: it has a limit of its own.
	var lines strings.Builder
	rows, _ := registrytest.RawDB(t, s.store).Query(`SELECT number FROM certificates LIMIT 500`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		lines.WriteString(n + "\n")
	}
	rows.Close()
	for i := 0; i < 2; i++ {
		b := post(t, ts, "/verify/batch", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"lines": {lines.String()}}.Encode()))
		if b.status != 200 || !strings.Contains(b.body, "共 500 行") {
			t.Fatalf("batch %d after the lookup limit: %d", i, b.status)
		}
	}
	if b := post(t, ts, "/verify/batch", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"lines": {"X-1"}}.Encode())); b.status != 429 {
		t.Errorf("3rd batch: %d, want 429", b.status)
	}
	// The form pages are not limited.
	if r := get(t, ts, "/verify"); r.status != 200 {
		t.Errorf("/verify: %d", r.status)
	}
}
