package site

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSearchControlCharacters sends a NUL (and other control characters)
// in the search box of every surface that searches: each answers 400 with
// a message naming the character, in the page's language or both (JSON),
// never a 500 from the SQL underneath.
func TestSearchControlCharacters(t *testing.T) {
	f := newConsoleFixture(t)
	alice := f.signedIn(t, "alice", alicePass)
	for _, q := range []string{"ab\x00cd", "宁波\x00示例", "abc\x1bdef", "x\x7fyz"} {
		enc := url.QueryEscape(q)
		// The public pages, in both languages.
		r := get(t, f.ts, "/certificates?q="+enc)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "控制字符") {
			t.Errorf("/certificates?q=%q: %d, want 400 with the message in Chinese", q, r.status)
		}
		r = get(t, f.ts, "/en/certificates?q="+enc)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "control character") {
			t.Errorf("/en/certificates?q=%q: %d, want 400 with the message in English", q, r.status)
		}
		// The read API: the message in both languages, the field named.
		r = get(t, f.ts, "/api/v1/certificates?q="+enc)
		if r.status != http.StatusBadRequest || errorCode(t, r) != "invalid" || !strings.Contains(r.body, `"field": "q"`) ||
			!strings.Contains(r.body, "控制字符") || !strings.Contains(r.body, "control character U+00") {
			t.Errorf("API q=%q: %d %s", q, r.status, r.body)
		}
		// The console's list.
		r = alice.get("/en/console/?q=" + enc)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "control character") {
			t.Errorf("console q=%q: %d", q, r.status)
		}
		// The publishing API.
		r = f.call(t, "GET", "/api/v1/publish/certificates?q="+enc, f.keyA, nil)
		if r.status != http.StatusBadRequest || errorCode(t, r) != "invalid" {
			t.Errorf("publish API q=%q: %d %s", q, r.status, r.body)
		}
	}
	// Other filters are checked the same way.
	for _, p := range []string{"province", "city", "sort", "status", "level", "scheme"} {
		r := get(t, f.ts, "/api/v1/certificates?"+p+"=a%00b")
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `"field": "`+p+`"`) {
			t.Errorf("API %s=a%%00b: %d %s", p, r.status, r.body)
		}
	}
	// Pasted line breaks and tabs are spaces: the search still works.
	r := get(t, f.ts, "/api/v1/certificates?q="+url.QueryEscape("宁波示例\n电器"))
	if r.status != http.StatusOK || !strings.Contains(r.body, numberA) {
		t.Errorf("a search with a line break: %d %s", r.status, r.body)
	}
}

// FuzzSearchHandler sends any search text and filters to the search
// surfaces through the HTTP handler: whatever comes in, the answer is
// never a 5xx. Run it for a bounded time:
//
//	go test ./site -run '^$' -fuzz FuzzSearchHandler -fuzztime 60s
func FuzzSearchHandler(f *testing.F) {
	for _, seed := range []struct{ q, province, sort, page string }{
		{"ab\x00cd", "", "", ""},
		{"宁波", "浙江", "issued-desc", "2"},
		{`"a" OR b*`, "", "number", "1"},
		{"NEAR(a b)", "\x00", "\xff", "-1"},
		{"a\"\"b^c:d", "", "", "99999999999999999999"},
		{strings.Repeat("长", 300), "", "", ""},
		{"'; DROP TABLE certificates; --", "", "", ""},
		{"\u2028\ufeff\u200b", "", "", ""},
	} {
		f.Add(seed.q, seed.province, seed.sort, seed.page)
	}
	s := New(demoRegistry(f), Config{BaseURL: testBase, NoCache: true})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, q, province, sortOrder, page string) {
		v := url.Values{"q": {q}, "province": {province}, "sort": {sortOrder}, "page": {page}}
		for _, path := range []string{"/api/v1/certificates?", "/en/certificates?", "/certificates?"} {
			req := httptest.NewRequest(http.MethodGet, path+v.Encode(), nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("GET %s q=%q province=%q sort=%q page=%q: %d %s", path, q, province, sortOrder, page, rec.Code, rec.Body.String())
			}
			if rec.Code == http.StatusBadRequest && !utf8.Valid(rec.Body.Bytes()) {
				t.Fatalf("the 400 answer is not UTF-8")
			}
		}
	})
}
