package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// boundedStore holds 3,500 certificates in 浙江, one in five of an elevator
// company (电梯), and 100 in 江苏, 30 of them elevator companies.
func boundedStore(t *testing.T) *registry.Store {
	t.Helper()
	s := registrytest.Open(t)
	var ins []registry.Input
	add := func(i int, province, city string, lift bool) {
		in := registrytest.SampleInput(fmt.Sprintf("ZB-%05d", i))
		trade := "厨具"
		if lift {
			trade = "电梯"
		}
		in.HolderName = fmt.Sprintf("%s第%d%s有限公司", city, i, trade)
		in.Province, in.City = province, city
		in.IssueDate = fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28)
		in.ExpiryDate = fmt.Sprintf("2027-%02d-%02d", 1+i%12, 1+i%28)
		ins = append(ins, in)
	}
	for i := range 3500 {
		add(i, "浙江", "宁波", i%5 == 0)
	}
	for i := 3500; i < 3600; i++ {
		add(i, "江苏", "南京", i%10 < 3)
	}
	registrytest.Put(t, s, ins...)
	return s
}

// A count that would read more than CountBudget rows stops and says the
// total is a lower bound; one that reads fewer is exact.
func TestSearchCountStopsAtBudget(t *testing.T) {
	s := boundedStore(t)
	ctx := context.Background()

	res, err := s.Search(ctx, registry.Filter{Query: "电梯", Province: "浙江"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AtLeast || res.Capped {
		t.Fatalf("电梯 in 浙江: at least %v, capped %v; want a lower bound (700 matches among 3,500 rows, budget %d)", res.AtLeast, res.Capped, registry.TermCountBudget)
	}
	if res.Total < registry.DefaultPerPage || res.Total > 700 {
		t.Errorf("电梯 in 浙江: total %d, want between a page and the 700 there are", res.Total)
	}
	for _, c := range res.Certificates {
		if c.Province != "浙江" {
			t.Errorf("%s is in %s", c.Number, c.Province)
		}
	}

	res, err = s.Search(ctx, registry.Filter{Query: "电梯", Province: "江苏"})
	if err != nil {
		t.Fatal(err)
	}
	if res.AtLeast || res.Capped || res.Total != 30 {
		t.Errorf("电梯 in 江苏: total %d (at least %v, capped %v), want exactly 30", res.Total, res.AtLeast, res.Capped)
	}

	// No name term: the province's own index counts past CountCap.
	res, err = s.Search(ctx, registry.Filter{Province: "浙江"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Capped || res.Total != registry.CountCap {
		t.Errorf("浙江: total %d capped %v, want %d and capped", res.Total, res.Capped, registry.CountCap)
	}
}

// Once the store has learned which trigrams are common, a term is looked
// up by its rarest ones and checked with LIKE: the answers must be the
// same as the whole phrase's.
func TestSearchLearnedTermsFindTheSame(t *testing.T) {
	s := boundedStore(t)
	ctx := context.Background()
	filters := []registry.Filter{
		{Query: "宁波第1206厨具有限公司"}, // one name: common trigrams and rare ones
		{Query: "第12"},
		{Query: "电梯有限公司"}, // every trigram common
		{Query: "宁波第35"},
		{Query: "南京第3"},
		{Query: "第3599厨具"},
		{Query: "第1206电梯有限公司"}, // absent: each piece is there, not together
		{Query: "电梯有限公司", Page: 3},
		{Query: "宁波 第7"},
	}
	before := make([]string, len(filters))
	for i, f := range filters {
		res, err := s.Search(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		before[i] = fmt.Sprintf("%s | %d %v %v", numbers(res.Certificates), res.Total, res.Capped, res.AtLeast)
	}
	if !strings.HasPrefix(before[0], "ZB-01206 |") {
		t.Fatalf("宁波第1206厨具有限公司: %s", before[0])
	}
	if err := s.LearnSearchTerms(ctx); err != nil {
		t.Fatal(err)
	}
	for i, f := range filters {
		res, err := s.Search(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		after := fmt.Sprintf("%s | %d %v %v", numbers(res.Certificates), res.Total, res.Capped, res.AtLeast)
		if after != before[i] {
			t.Errorf("%+v:\nbefore learning %s\nafter          %s", f, before[i], after)
		}
	}
	if res, _ := s.Search(ctx, registry.Filter{Query: "第1206电梯有限公司"}); len(res.Certificates) != 0 {
		t.Errorf("第1206电梯有限公司 found %s", numbers(res.Certificates))
	}
}

// The result cache answers a repeated search until the registry changes,
// and hands out copies.
func TestSearchCacheFollowsWrites(t *testing.T) {
	s := searchStore(t)
	s.SetSearchCache(1 << 20)
	ctx := context.Background()
	f := registry.Filter{Query: "海天"}
	res, err := s.Search(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(res.Certificates); got != "AS-0002 AS-0003" {
		t.Fatalf("海天: %s", got)
	}
	res.Total = 99 // a caller's change must not reach the cache
	in := registrytest.SampleInput("AS-0009")
	in.HolderName, in.IssueDate, in.ExpiryDate = "苏州海天门窗有限公司", "2025-06-01", "2028-05-31"
	registrytest.Put(t, s, in)
	res, err = s.Search(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(res.Certificates); got != "AS-0009 AS-0002 AS-0003" || res.Total != 3 {
		t.Errorf("海天 after a new certificate: %s, total %d; want AS-0009 AS-0002 AS-0003, 3", got, res.Total)
	}
	again, _ := s.Search(ctx, f)
	if again.Total != 3 {
		t.Errorf("a cached result came back with total %d", again.Total)
	}
}

// The certificate page's one read finds what Certificate and History find.
func TestCertificateWithHistory(t *testing.T) {
	s := searchStore(t)
	ctx := context.Background()
	for _, number := range []string{"AS-0002", "as-0001", "00114E22766R2L/3502"} {
		c, events, err := s.CertificateWithHistory(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.Certificate(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		history, err := s.History(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", want) {
			t.Errorf("%s: certificate\n%+v\nwant\n%+v", number, c, want)
		}
		if fmt.Sprintf("%+v", events) != fmt.Sprintf("%+v", history) {
			t.Errorf("%s: events\n%+v\nwant\n%+v", number, events, history)
		}
		if number == "AS-0002" && len(events) != 2 {
			t.Errorf("AS-0002: %d events, want issued and suspended", len(events))
		}
	}
	if _, _, err := s.CertificateWithHistory(ctx, "AS-9999"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Errorf("AS-9999: %v, want not found", err)
	}
}
