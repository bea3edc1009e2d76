package registry_test

import (
	"bufio"
	"context"
	"database/sql"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// BenchmarkSearchMix runs each query of scripts/searchmix.txt (the mix of
// scripts/scale.sh) against the registry at $CERTREG_SCALE_DB, one
// sub-benchmark a query, so that ns/op is one search's CPU and
// -cpuprofile shows where it goes:
//
//	CERTREG_SCALE_DB=/work/scale/1m.db go test ./registry -run '^$' -bench SearchMix -cpuprofile cpu.out
//
// It skips without the variable: the registry (1,000,000 certificates made
// by scripts/gencsv.awk) takes minutes to build.
func BenchmarkSearchMix(b *testing.B) {
	path := os.Getenv("CERTREG_SCALE_DB")
	if path == "" {
		b.Skip("CERTREG_SCALE_DB not set (a registry made by scripts/scale.sh)")
	}
	var o registry.Options
	o.MmapBytes, _ = strconv.ParseInt(os.Getenv("CERTREG_SCALE_MMAP"), 10, 64)
	o.CacheBytes, _ = strconv.ParseInt(os.Getenv("CERTREG_SCALE_CACHE"), 10, 64)
	s, err := registry.OpenWith(path, o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	raw := registrytest.RawDB(b, s)
	var total int64
	var number, code, name string
	if err := raw.QueryRow(`SELECT count(*) FROM certificates`).Scan(&total); err != nil {
		b.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT number, holder_credit_code, holder_name FROM certificates WHERE id = ?`, total/2).Scan(&number, &code, &name); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if err := s.LearnSearchTerms(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("LearnSearchTerms: %s", time.Since(t0))
	t0 = time.Now()
	if err := s.LearnFilterCounts(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("LearnFilterCounts: %s", time.Since(t0))
	for _, line := range searchMix(b) {
		line = strings.NewReplacer("{NUMBER}", number, "{CODE}", code, "{NAME}", name).Replace(line)
		v, err := url.ParseQuery(line)
		if err != nil {
			b.Fatal(err)
		}
		page, _ := strconv.Atoi(v.Get("page"))
		f := registry.Filter{Query: v.Get("q"), Status: registry.Status(v.Get("status")), Province: v.Get("province"),
			City: v.Get("city"), Level: v.Get("level"), Page: page}
		b.Run(line, func(b *testing.B) {
			var r0, r1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
			defer func() {
				syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
				cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			}()
			for i := 0; i < b.N; i++ {
				s.ForgetSearches()
				if _, err := s.Search(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	_ = sql.ErrNoRows
}

// searchMix reads scripts/searchmix.txt.
func searchMix(tb testing.TB) []string {
	f, err := os.Open("../scripts/searchmix.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// BenchmarkNumberParts measures the number search alone (exact, prefix
// and part) at the registry at $CERTREG_SCALE_DB, for the parts whose
// cost issue 14 names: one every match of which is a prefix (LT09), one
// no number holds (ZZ99Q), a tail (00067) and a part most numbers hold
// (0001):
//
//	CERTREG_SCALE_DB=/tmp/1m.db go test ./registry -run '^$' -bench NumberParts -count 5
func BenchmarkNumberParts(b *testing.B) {
	path := os.Getenv("CERTREG_SCALE_DB")
	if path == "" {
		b.Skip("CERTREG_SCALE_DB not set (a registry made by scripts/scale.sh)")
	}
	s, err := registry.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, q := range []string{"LT09", "ZZ99Q", "00067", "0001"} {
		b.Run(q, func(b *testing.B) {
			var m registry.NumberMatches
			for i := 0; i < b.N; i++ {
				if m, err = registry.FindNumbers(s, ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(len(m.All())), "found")
			// The page is the definition's (issue 11): the numbers holding
			// the part after their first character, in number order.
			var want []string
			rows, err := registrytest.RawDB(b, s).Query(`SELECT number FROM certificates WHERE number_key LIKE ? AND number_key NOT LIKE ? ORDER BY number_key LIMIT ?`,
				"_%"+q+"%", q+"%", registry.NumberMatchMax)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				var n string
				rows.Scan(&n)
				want = append(want, n)
			}
			rows.Close()
			var got []string
			for _, c := range m.Part {
				got = append(got, c.Number)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				b.Errorf("%s: part %q, want %q", q, got, want)
			}
		})
	}
}
