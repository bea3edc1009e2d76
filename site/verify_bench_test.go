package site

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
)

// BenchmarkQRImageServed serves a certificate's QR code PNG once it has
// been drawn: the signature check and the drawing happen on the first
// request only.
func BenchmarkQRImageServed(b *testing.B) {
	st := benchStore(b)
	s := New(st, Config{BaseURL: testBase, Keys: signing.NewMemoryKeys(), Limits: Limits{LookupRate: 1e9, LookupBurst: 1 << 30}})
	h := s.Handler()
	u := qrURL(b, s, benchNumber(b, st))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, pathOf(u), nil))
	body := rec.Body.String()
	i := strings.Index(body, "/qr/png-256/")
	path := body[i : i+strings.Index(body[i:], `"`)]
	benchGet(b, h, path)
	for b.Loop() {
		benchGet(b, h, path)
	}
}

// BenchmarkVerdictPage opens a QR code's verdict page: signature check,
// history, count (one write) and rendering.
func BenchmarkVerdictPage(b *testing.B) {
	st := benchStore(b)
	s := New(st, Config{BaseURL: testBase, Keys: signing.NewMemoryKeys(), Limits: Limits{LookupRate: 1e9, LookupBurst: 1 << 30}})
	h := s.Handler()
	path := pathOf(qrURL(b, s, benchNumber(b, st)))
	for b.Loop() {
		benchGet(b, h, path)
	}
}

// BenchmarkBatchCheckHTTP checks 1,000 numbers through the batch form.
func BenchmarkBatchCheckHTTP(b *testing.B) {
	st := benchStore(b)
	h := New(st, Config{BaseURL: testBase, Limits: Limits{BatchRate: 1e9, BatchBurst: 1 << 30}}).Handler()
	rows, err := registrytest.RawDB(b, st).Query(`SELECT number FROM certificates ORDER BY random() LIMIT 1000`)
	if err != nil {
		b.Fatal(err)
	}
	var lines strings.Builder
	for rows.Next() {
		var n string
		rows.Scan(&n)
		lines.WriteString(n + "\n")
	}
	rows.Close()
	form := url.Values{"lines": {lines.String()}}.Encode()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/verify/batch", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
