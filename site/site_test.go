package site

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/i18n"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	s, ts := newTestSite(t)
	for _, p := range []string{"/", "/en/", "/no/such/page", "/healthz", s.assets.urls.CSS, "/static/nothing.css"} {
		r := get(t, ts, p)
		for h, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self';",
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "strict-origin-when-cross-origin",
		} {
			if got := r.header.Get(h); !strings.Contains(got, want) {
				t.Errorf("%s: %s = %q, want %q", p, h, got, want)
			}
		}
		if !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: CSP allows framing", p)
		}
		if r.header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", p)
		}
	}
	// A stranger's X-Forwarded-Proto is not believed…
	if r := get(t, ts, "/", "X-Forwarded-Proto", "https"); r.header.Get("Strict-Transport-Security") != "" {
		t.Errorf("HSTS because an untrusted client said X-Forwarded-Proto: https")
	}
	// …a trusted proxy's is.
	behind := httptest.NewServer(New(demoRegistry(t), Config{BaseURL: testBase,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}).Handler())
	t.Cleanup(behind.Close)
	r := get(t, behind, "/", "X-Forwarded-Proto", "https", "X-Forwarded-For", "192.0.2.1")
	if !strings.Contains(r.header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS behind an HTTPS proxy: %q", r.header.Get("Strict-Transport-Security"))
	}
}

func TestNoInlineScriptOrStyle(t *testing.T) {
	_, ts := newTestSite(t)
	for _, p := range []string{"/", "/en/", "/nope"} {
		body := get(t, ts, p).body
		for _, bad := range []string{"style=", "<style", "onclick", "onload=", "javascript:"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s has %q", p, bad)
			}
		}
		if n := strings.Count(body, "<script"); n != strings.Count(body, `<script src="/static/`) {
			t.Errorf("%s has an inline script", p)
		}
	}
}

func TestLanguageInURL(t *testing.T) {
	_, ts := newTestSite(t)
	for _, tc := range []struct {
		path, lang, twin, name string
	}{
		{"/", `lang="zh-CN"`, `href="/en/" hreflang="en"`, "服务认证证书登记库"},
		{"/en/", `lang="en"`, `href="/" hreflang="zh-CN"`, "Service Certification Registry"},
	} {
		r := get(t, ts, tc.path)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", tc.path, r.status)
		}
		mustContain(t, tc.path, r.body, "<html "+tc.lang, tc.twin, tc.name,
			`<link rel="alternate" hreflang="zh-CN" href="`+testBase+`/"`,
			`<link rel="alternate" hreflang="en" href="`+testBase+`/en/"`,
			`rel="canonical"`, "certreg.example.cn")
	}
	if r := get(t, ts, "/en"); r.status != http.StatusMovedPermanently || r.header.Get("Location") != "/en/" {
		t.Errorf("/en: %d %q", r.status, r.header.Get("Location"))
	}
}

// The adapter maps every registry error code to its status and a bilingual
// page; internal errors are logged and shown with a generic message.
func TestErrorAdapter(t *testing.T) {
	var logged bytes.Buffer
	s := New(demoRegistry(t), Config{BaseURL: testBase, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	for _, tc := range []struct {
		err    error
		status int
		zh, en string
	}{
		{registry.Errorf(registry.ENOTFOUND, "", "registry.no_certificate_numbered_registered", "X-1"), 404, "本登记库中没有编号为 X-1 的证书", "no certificate numbered X-1 is registered here"},
		{registry.Errorf(registry.EINVALID, "q", "registry.search_text_has_invalid"), 400, "查询内容含无效字符", "the search text has invalid characters"},
		{registry.Errorf(registry.ECONFLICT, "", "registry.user_name_taken", "bob"), 409, "用户名 bob 已被使用", "the user name bob is taken"},
		{registry.Errorf(registry.EFORBIDDEN, "", "registry.you_can_create_api"), 403, "只能为本机构创建接口密钥", "you can create API keys only for your own body"},
		{registry.Errorf(registry.EUNAUTHORIZED, "", "account.please_sign_session_expired"), 401, "请先登录", "please sign in"},
		// A submission whose content is refused: 422 on every surface, with its problems.
		{registry.Invalid("number", "registry.certificate_number_required"), 422, "证书编号不能为空", "certificate number is required"},
		{registry.Errorf(registry.ETOOMANY, "", "ratelimit.message", 3), 429, "请在 3 秒后再试", "try again in 3 seconds"},
		{registry.Errorf(registry.EBUSY, "", "heavy.busy", 6), 503, "请在 6 秒后再试", "try again in 6 seconds"},
		{errors.New("disk on fire at /var/secret"), 500, "内部错误", "Internal error"},
	} {
		for _, lang := range i18n.Langs {
			logged.Reset()
			h := s.adapt(lang, func(w http.ResponseWriter, r *http.Request) error { return tc.err }, asPage)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", lang.Path("/x"), nil))
			want := tc.zh
			if lang == i18n.EN {
				want = tc.en
			}
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), want) {
				t.Errorf("%v (%s): %d, want %d with %q", tc.err, lang, rec.Code, tc.status, want)
			}
			if strings.Contains(rec.Body.String(), "/var/secret") {
				t.Errorf("internal error leaked to the page")
			}
			if (tc.status == 500) != strings.Contains(logged.String(), "disk on fire") {
				t.Errorf("%v: logged %q", tc.err, logged.String())
			}
			// The same error as JSON for the API.
			rec = httptest.NewRecorder()
			s.adapt(lang, func(w http.ResponseWriter, r *http.Request) error { return tc.err }, asJSON).ServeHTTP(rec, httptest.NewRequest("GET", "/api/x", nil))
			if rec.Code != tc.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
				!strings.Contains(rec.Body.String(), `"message_en"`) || strings.Contains(rec.Body.String(), "/var/secret") {
				t.Errorf("%v as JSON: %d %s", tc.err, rec.Code, rec.Body.String())
			}
		}
	}
}

func TestUnknownPageIs404InItsLanguage(t *testing.T) {
	_, ts := newTestSite(t)
	r := get(t, ts, "/en/no/such/page")
	if r.status != 404 {
		t.Fatalf("status %d", r.status)
	}
	mustContain(t, "en 404", r.body, "There is no such page.", `lang="en"`, `name="robots" content="noindex"`)
	r = get(t, ts, "/no/such/page")
	mustContain(t, "zh 404", r.body, "没有这个页面。", `lang="zh-CN"`)
}

func TestStaticAssetsHashedAndCached(t *testing.T) {
	s, ts := newTestSite(t)
	css := s.assets.urls.CSS
	if !strings.HasPrefix(css, "/static/app.") || strings.Count(css, ".") != 2 {
		t.Fatalf("CSS URL %q is not content-hashed", css)
	}
	r := get(t, ts, css, "Accept-Encoding", "gzip")
	if r.status != 200 || !strings.Contains(r.header.Get("Cache-Control"), "max-age=31536000") || r.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("%s: %d %v", css, r.status, r.header)
	}
	zr, err := gzip.NewReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Contains(plain, []byte("--brand")) {
		t.Error("gzipped CSS does not decompress to the stylesheet")
	}
	if r := get(t, ts, css, "If-None-Match", r.header.Get("ETag")); r.status != http.StatusNotModified {
		t.Errorf("revalidation: %d", r.status)
	}
	if r := get(t, ts, "/static/app.0000000000.css"); r.status != 404 {
		t.Errorf("unknown hash: %d", r.status)
	}
}

func TestPagesCompressedAndRevalidated(t *testing.T) {
	_, ts := newTestSite(t)
	r := get(t, ts, "/", "Accept-Encoding", "gzip")
	if r.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("home not compressed: %v", r.header)
	}
	etag := r.header.Get("ETag")
	if etag == "" || r.header.Get("Last-Modified") == "" {
		t.Fatalf("no validators: %v", r.header)
	}
	if r := get(t, ts, "/", "If-None-Match", etag); r.status != http.StatusNotModified || r.body != "" {
		t.Errorf("If-None-Match: %d", r.status)
	}
}

func TestHealthz(t *testing.T) {
	_, ts := newTestSite(t)
	r := get(t, ts, "/healthz")
	if r.status != 200 || !strings.Contains(r.body, `"status": "ok"`) {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// Accept-Language only picks where "/" sends a visitor arriving from
// elsewhere; links within the site, and every other URL, keep their
// language.
func TestAcceptLanguageOnlyForFirstVisit(t *testing.T) {
	_, ts := newTestSite(t)
	for _, tc := range []struct {
		path, accept, referer string
		redirect              bool
		cookie                string
	}{
		// A choice made with the language switch wins over the browser's
		// preference and over where the visitor came from.
		{"/", "zh-CN", "", true, "certreg_lang=en"},
		{"/", "zh-CN", ts.URL + "/certificates", true, "certreg_lang=en"},
		{"/", "en-US", "https://search.example.com/", false, "certreg_lang=zh"},
		{"/", "en-US", "", true, "certreg_lang=fr"}, // not a choice the switch makes
		{"/certificates", "", "", false, "certreg_lang=en"},
		{"/", "en-GB,en;q=0.9,zh-CN;q=0.5", "", true, ""},
		{"/", "zh-CN,zh;q=0.9,en;q=0.8", "", false, ""},
		{"/", "de-DE,en;q=0.5", "", true, ""},
		{"/", "fr-FR", "", false, ""},
		{"/", "", "", false, ""},
		{"/", "en-US", ts.URL + "/en/certificates", false, ""}, // the language switch
		{"/", "en-US", "https://certreg.example.cn/en/", false, ""},
		{"/", "en-US", "https://search.example.com/", true, ""},
		{"/certificates", "en-US", "", false, ""},
	} {
		r := get(t, ts, tc.path, "Accept-Language", tc.accept, "Referer", tc.referer, "Cookie", tc.cookie)
		if got := r.status == http.StatusFound && r.header.Get("Location") == "/en/"; got != tc.redirect {
			t.Errorf("%s %q from %q with %q: %d %q", tc.path, tc.accept, tc.referer, tc.cookie, r.status, r.header.Get("Location"))
		}
		if tc.path == "/" && !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Cookie") {
			t.Errorf("%s with %q: Vary %q lacks Cookie", tc.path, tc.cookie, r.header.Values("Vary"))
		}
	}
}
