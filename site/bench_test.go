package site

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/certreg/certreg/demo"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/signing"
	"github.com/certreg/certreg/views"
)

// benchStore is the demo registry, or the registry at $CERTREG_BENCH_DB
// (e.g. one of 1,000,000 certificates made by scripts/gencsv.awk and
// `certreg import`).
func benchStore(b *testing.B) *registry.Store {
	if p := os.Getenv("CERTREG_BENCH_DB"); p != "" {
		s, err := registry.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	return demoRegistry(b)
}

func benchNumber(b *testing.B, s *registry.Store) string {
	var n string
	if err := registrytest.RawDB(b, s).QueryRow(`SELECT number FROM certificates ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM certificates)`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func benchGet(b *testing.B, h http.Handler, path string) {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d", path, rec.Code)
	}
}

// BenchmarkCertificatePage renders a certificate page on every request:
// the database lookups, the history and the template.
func BenchmarkCertificatePage(b *testing.B) {
	s := benchStore(b)
	h := New(s, Config{BaseURL: testBase, NoCache: true}).Handler()
	path := views.CertificatePath(benchNumber(b, s))
	b.ReportAllocs()
	for b.Loop() {
		benchGet(b, h, path)
	}
}

// BenchmarkCertificatePageCached serves the page from the page cache, as
// serve does between writes.
func BenchmarkCertificatePageCached(b *testing.B) {
	s := benchStore(b)
	h := New(s, Config{BaseURL: testBase}).Handler()
	path := views.CertificatePath(benchNumber(b, s))
	b.ReportAllocs()
	for b.Loop() {
		benchGet(b, h, path)
	}
}

// BenchmarkSearchPage renders search result pages without the page cache,
// for terms from nearly-every-row to rare, and filters.
func BenchmarkSearchPage(b *testing.B) {
	s := benchStore(b)
	h := New(s, Config{BaseURL: testBase, NoCache: true}).Handler()
	for _, tc := range []struct{ name, query string }{
		{"common-4", "q=" + url.QueryEscape("有限公司")},
		{"bigram", "q=" + url.QueryEscape("宁波")},
		{"trigram-rare", "q=" + url.QueryEscape("海天电梯")},
		{"one-char", "q=" + url.QueryEscape("有")},
		{"filters", "level=five-star&city=" + url.QueryEscape("宁波")},
		{"common-deep-page", "q=" + url.QueryEscape("有限公司") + "&status=valid&page=20"},
		{"expired", "status=expired"},
		// A number's tail: no index serves a part of a number, so this
		// reads the number index (issue 11's search; issue 14 may index it).
		{"number-tail", "q=00001"},
		{"credit-code", "q=91330100GD10W1XAJN"},
		{"browse", ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			path := "/certificates"
			if tc.query != "" {
				path += "?" + tc.query
			}
			benchGet(b, h, path) // the registry totals are computed once per server
			b.ReportAllocs()
			for b.Loop() {
				benchGet(b, h, path)
			}
		})
	}
}

// BenchmarkRandomCertificatePages reads certificate pages chosen at random
// over the whole registry (set CERTREG_BENCH_DB to a large one), with the
// page cache on (each page asked about once: the cache must cost nothing)
// and off.
func BenchmarkRandomCertificatePages(b *testing.B) {
	s := benchStore(b)
	var numbers []string
	rows, err := registrytest.RawDB(b, s).Query(`SELECT number FROM certificates WHERE id IN (SELECT 1 + abs(random()) % (SELECT max(id) FROM certificates) FROM certificates LIMIT 5000)`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		numbers = append(numbers, n)
	}
	rows.Close()
	for _, noCache := range []bool{false, true} {
		name := "cache"
		if noCache {
			name = "nocache"
		}
		b.Run(name, func(b *testing.B) {
			h := New(s, Config{BaseURL: testBase, NoCache: noCache}).Handler()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				benchGet(b, h, views.CertificatePath(numbers[i%len(numbers)]))
				i++
			}
		})
	}
}

// BenchmarkCertificatePageQR renders certificate pages (no page cache)
// over many certificates, with their QR symbols stored (drawn from bits)
// and without (encoded on every page, as over a million certificates an
// in-memory cache never hits). On the demo registry, copied to a
// temporary folder; $CERTREG_BENCH_DB names a registry instead, which this
// benchmark WRITES (stores symbols): give it a copy, never a shared file.
func BenchmarkCertificatePageQR(b *testing.B) {
	var s *registry.Store
	if p := os.Getenv("CERTREG_BENCH_DB"); p != "" {
		s = benchStore(b)
	} else {
		s = registrytest.Open(b)
		if _, err := demo.Load(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
	var numbers []string
	rows, err := registrytest.RawDB(b, s).Query(`SELECT number FROM certificates WHERE id IN (SELECT 1 + abs(random()) % (SELECT max(id) FROM certificates) FROM certificates LIMIT 2000)`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		numbers = append(numbers, n)
	}
	rows.Close()
	keys := signing.NewMemoryKeys()
	if p := os.Getenv("CERTREG_BENCH_DB"); p != "" {
		// The registry's own keys: its symbols were stored with them
		// (`certreg qr --prepare --base-url https://certreg.example.cn`).
		if keys, err = signing.OpenKeys(signing.KeysDir(p)); err != nil {
			b.Fatal(err)
		}
	}
	stored := New(s, Config{BaseURL: testBase, NoCache: true, Keys: keys})
	if os.Getenv("CERTREG_BENCH_DB") == "" {
		if _, err := stored.PrepareQRSymbols(context.Background(), 2, nil); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		srv  *Server
	}{
		{"stored", stored},
		// Another base URL: every stored symbol is for another content.
		{"encoded", New(s, Config{BaseURL: "https://other.example.cn", NoCache: true, Keys: keys})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := bc.srv.Handler()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				benchGet(b, h, views.CertificatePath(numbers[i%len(numbers)]))
				i++
			}
		})
	}
}
