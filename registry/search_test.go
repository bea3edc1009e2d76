package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// searchStore holds a handful of certificates that differ in every field a
// filter reads.
func searchStore(t *testing.T) *registry.Store {
	t.Helper()
	s := registrytest.Open(t)
	var ins []registry.Input
	add := func(number, name, code, province, city, scheme, score, issue, expiry string) {
		in := registrytest.SampleInput(number)
		in.HolderName, in.HolderCreditCode, in.Province, in.City, in.Scheme, in.Score = name, code, province, city, scheme, score
		in.IssueDate, in.ExpiryDate = issue, expiry
		ins = append(ins, in)
	}
	add("AS-0001", "宁波东方电器有限公司", "914403001922038216", "浙江", "宁波", "AS", "96", "2024-03-05", "2027-03-04")
	add("AS-0002", "宁波海天电梯有限公司", "91440300708461136T", "浙江", "宁波", "AS", "91", "2025-01-10", "2028-01-09")
	add("AS-0003", "杭州海天厨具有限公司", "91371323760038087M", "浙江", "杭州", "AS", "82", "2023-06-01", "2026-05-31") // expired on 2026-11-29
	add("00114E22766R2L/3502", "示例银行厦门分行", "914403001922038216", "福建", "厦门", "BB", "", "2025-05-05", "2028-05-04")
	add("CL.2024.0007", "南京洁净清洗服务有限公司", "91371323760038087M", "江苏", "南京", "CL", "", "2024-09-09", "2027-09-08")
	if _, err := s.PutCertificates(context.Background(), registrytest.CLI, ins, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeStatus(context.Background(), registrytest.CLI, registry.StatusChange{Number: "AS-0002", To: registry.StatusSuspended, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func numbers(cs []*registry.Certificate) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Number)
	}
	return strings.Join(out, " ")
}

func TestSearch(t *testing.T) {
	s := searchStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		f           registry.Filter
		want, exact string
	}{
		{registry.Filter{}, "00114E22766R2L/3502 AS-0002 CL.2024.0007 AS-0001 AS-0003", ""},
		{registry.Filter{Query: "宁波"}, "AS-0002 AS-0001", ""},                       // bigram index
		{registry.Filter{Query: "海天电梯"}, "AS-0002", ""},                             // trigram index
		{registry.Filter{Query: "海天"}, "AS-0002 AS-0003", ""},                       // bigram, two cities
		{registry.Filter{Query: "宁波 电梯"}, "AS-0002", ""},                            // every term must match
		{registry.Filter{Query: "厨"}, "AS-0003", ""},                                // one character: bounded scan
		{registry.Filter{Query: "ＡＳ－０００１"}, "", "AS-0001"},                          // full-width number, exact
		{registry.Filter{Query: "as-000"}, "", "AS-0001 AS-0002 AS-0003"},           // number prefix
		{registry.Filter{Query: "00114e22766r2l/3502"}, "", "00114E22766R2L/3502"},  // case-insensitive
		{registry.Filter{Query: "91371323760038087M"}, "CL.2024.0007 AS-0003", ""},  // credit code: that holder's certificates, counted
		{registry.Filter{Query: "91371323760038087m", Scheme: "AS"}, "AS-0003", ""}, // and filtered
		{registry.Filter{Query: "0007"}, "", "CL.2024.0007"},                        // a number's tail
		{registry.Filter{Query: "R2L/3502"}, "", "00114E22766R2L/3502"},             // any part of 4+ characters
		{registry.Filter{Query: "000"}, "", ""},                                     // but not 3
		{registry.Filter{Scheme: "AS", Level: "five-star"}, "AS-0001", ""},          // level
		{registry.Filter{Level: "three-star"}, "AS-0003", ""},                       // level without scheme
		{registry.Filter{Status: registry.StatusExpired}, "AS-0003", ""},            // derived
		{registry.Filter{Status: registry.StatusValid}, "00114E22766R2L/3502 CL.2024.0007 AS-0001", ""},
		{registry.Filter{Status: registry.StatusSuspended}, "AS-0002", ""},
		{registry.Filter{Province: "浙江", City: "杭州"}, "AS-0003", ""},
		{registry.Filter{Year: 2024}, "CL.2024.0007 AS-0001", ""},
		{registry.Filter{Sort: registry.SortExpiryAsc, Province: "浙江"}, "AS-0003 AS-0001 AS-0002", ""},
		{registry.Filter{Sort: registry.SortNumber}, "00114E22766R2L/3502 AS-0001 AS-0002 AS-0003 CL.2024.0007", ""},
		{registry.Filter{Query: "不存在"}, "", ""},
		{registry.Filter{Query: `"`}, "", ""},        // FTS syntax is quoted
		{registry.Filter{Query: `a" OR "b`}, "", ""}, // and so is this
		{registry.Filter{Query: "100%"}, "", ""},     // LIKE wildcards are escaped
	} {
		res, err := s.Search(ctx, tc.f)
		if err != nil {
			t.Errorf("%+v: %v", tc.f, err)
			continue
		}
		if got := numbers(res.Certificates); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.f, got, tc.want)
		}
		if got := numbers(res.Exact); got != tc.exact {
			t.Errorf("%+v: exact %q, want %q", tc.f, got, tc.exact)
		}
		if res.Total != len(res.Certificates) || res.Capped {
			t.Errorf("%+v: total %d capped %v", tc.f, res.Total, res.Capped)
		}
	}
	res, _ := s.Search(ctx, registry.Filter{Query: "厨"})
	if !res.Partial {
		t.Error("a one-character search does not say it is partial")
	}
	res, _ = s.Search(ctx, registry.Filter{PerPage: 2, Page: 2})
	if numbers(res.Certificates) != "CL.2024.0007 AS-0001" || res.Total != 5 {
		t.Errorf("page 2: %q total %d", numbers(res.Certificates), res.Total)
	}
}

// Each kind of number match is told apart, so that a page can say which
// it shows; a credit code with no certificate finds nothing by code.
func TestSearchNumberKinds(t *testing.T) {
	s := searchStore(t)
	ctx := context.Background()
	res, err := s.Search(ctx, registry.Filter{Query: "as-000"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Numbers.Exact != nil || numbers(res.Numbers.Prefix) != "AS-0001 AS-0002 AS-0003" || len(res.Numbers.Part) != 0 {
		t.Errorf("prefix: exact %v, prefix %q, part %q", res.Numbers.Exact, numbers(res.Numbers.Prefix), numbers(res.Numbers.Part))
	}
	res, _ = s.Search(ctx, registry.Filter{Query: "AS-0001"})
	if res.Numbers.Exact == nil || res.Numbers.Exact.Number != "AS-0001" || len(res.Numbers.Prefix)+len(res.Numbers.Part) != 0 {
		t.Errorf("exact: %+v", res.Numbers)
	}
	res, _ = s.Search(ctx, registry.Filter{Query: "-000"})
	if numbers(res.Numbers.Part) != "AS-0001 AS-0002 AS-0003" || len(res.Numbers.Prefix) != 0 {
		t.Errorf("part: prefix %q part %q", numbers(res.Numbers.Prefix), numbers(res.Numbers.Part))
	}
	res, _ = s.Search(ctx, registry.Filter{Query: "91440300MA5FXXXX1X"})
	if res.HolderCode != "" || len(res.Certificates) != 0 || res.Total != 0 {
		t.Errorf("unregistered credit code: %q %d", res.HolderCode, res.Total)
	}
	res, _ = s.Search(ctx, registry.Filter{Query: " 91371323760038087M "})
	if res.HolderCode != "91371323760038087M" || res.Total != 2 || len(res.Exact) != 0 {
		t.Errorf("credit code: %q total %d exact %d", res.HolderCode, res.Total, len(res.Exact))
	}
}

func TestSearchRejectsBadFilters(t *testing.T) {
	s := searchStore(t)
	for _, f := range []registry.Filter{
		{Scheme: "XX"}, {Level: "six-star"}, {Scheme: "CL", Level: "five-star"}, {Status: "expiredish"},
		{Year: 1800}, {Sort: "random"}, {Page: 10000}, {Query: strings.Repeat("长", 101)},
	} {
		_, err := s.Search(context.Background(), f)
		if registry.ErrorCode(err) != registry.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", f, err)
		}
	}
}

// A term in more than CountCap names is counted only up to the cap, and
// its first page comes in index order without reading every match.
func TestSearchCommonTermIsCapped(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 1,050 certificates")
	}
	s := registrytest.Open(t)
	var ins []registry.Input
	for i := range registry.CountCap + 50 {
		in := registrytest.SampleInput(fmt.Sprintf("BIG-%05d", i))
		in.HolderName = fmt.Sprintf("示例%05d有限公司", i)
		if i%100 == 7 {
			in.HolderName = fmt.Sprintf("宁波罕见%05d有限公司", i)
		}
		in.IssueDate = fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28)
		in.ExpiryDate = fmt.Sprintf("2027-%02d-%02d", 1+i%12, 1+i%28)
		ins = append(ins, in)
	}
	if _, err := s.PutCertificates(context.Background(), registrytest.CLI, ins, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"有限公司", "有限", "公司", "示例"} {
		res, err := s.Search(context.Background(), registry.Filter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Capped || res.Total != registry.CountCap || len(res.Certificates) != registry.DefaultPerPage {
			t.Errorf("%s: total %d capped %v, %d shown", q, res.Total, res.Capped, len(res.Certificates))
		}
		for i, c := range res.Certificates {
			if !strings.Contains(c.HolderName, q) || i > 0 && c.IssueDate.After(res.Certificates[i-1].IssueDate) {
				t.Errorf("%s: result %d %s %s out of place", q, i, c.HolderName, c.IssueDate)
			}
		}
	}
	res, err := s.Search(context.Background(), registry.Filter{Query: "宁波罕见"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 11 || res.Capped {
		t.Errorf("rare term: total %d", res.Total)
	}
}

func TestStats(t *testing.T) {
	s := searchStore(t)
	st, err := s.Stats(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Certificates != 5 || st.Holders != 3 || st.Valid != 3 || st.ByStatus[registry.StatusExpired] != 1 || st.ByStatus[registry.StatusSuspended] != 1 {
		t.Errorf("stats: %+v", st)
	}
	var levels []string
	for _, l := range st.ByLevel {
		levels = append(levels, fmt.Sprintf("%s/%s=%d", l.Scheme.Code, l.Level.Code, l.N))
	}
	if got := strings.Join(levels, " "); got != "AS/five-star=1 AS/four-star=1 AS/three-star=1 CL/pass=1 BB/pass=1" {
		t.Errorf("by level: %s", got)
	}
	if st.ByProvince[0].Name != "浙江" || st.ByProvince[0].N != 3 {
		t.Errorf("by province: %+v", st.ByProvince)
	}
	if fmt.Sprint(st.Years()) != "[2025 2024 2023]" {
		t.Errorf("years: %v", st.Years())
	}
}
