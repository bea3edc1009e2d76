package registry_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
)

// referenceStore holds 4,200 certificates named as companies are, most of
// them in 浙江, over five issue years, at four levels, some suspended,
// revoked or withdrawn, and, on the store's day (2026-06-01), many
// expired: enough that every way a search reads (the name index's
// matches looked up, rows read in an index's order, counts within a budget
// and "at least") is taken.
func referenceStore(t *testing.T) *registry.Store {
	t.Helper()
	s := registrytest.Open(t)
	places := [][2]string{{"浙江", "宁波"}, {"浙江", "宁波"}, {"浙江", "杭州"}, {"浙江", "宁波"}, {"广东", "深圳"}, {"江苏", "南京"}, {"贵州", "贵阳"}, {"浙江", "温州"}}
	words := []string{"东方", "东方", "海天", "金鼎", "鑫瑞", "华美", "恒信", "东海"}
	trades := []string{"电器", "电梯", "厨具", "电器", "照明"}
	forms := []string{"有限公司", "有限公司", "股份有限公司", "有限责任公司", "厂"}
	scores := []string{"75", "85", "92", "97"}
	var ins []registry.Input
	for i := range 4200 {
		in := registrytest.SampleInput(fmt.Sprintf("RF-%05d", i))
		p := places[(i*7)%len(places)]
		in.Province, in.City = p[0], p[1]
		name := p[1] + words[(i*13/7)%len(words)]
		if i%9 == 0 {
			name += "科技"
		}
		name += trades[(i/3)%len(trades)] + forms[(i*5)%len(forms)]
		if i%23 == 0 {
			name += "第三分公司"
		}
		in.HolderName = name
		in.HolderCreditCode = registrytest.SampleInput("").HolderCreditCode
		in.Score = scores[(i*3)%len(scores)]
		y := 2021 + i%5
		in.IssueDate = fmt.Sprintf("%04d-%02d-%02d", y, 1+i%12, 1+(i/12)%28)
		in.ExpiryDate = fmt.Sprintf("%04d-%02d-%02d", y+3, 1+i%12, 1+(i/12)%28)
		ins = append(ins, in)
	}
	registrytest.Put(t, s, ins...)
	for i, to := range map[int]registry.Status{5: registry.StatusSuspended, 17: registry.StatusRevoked, 29: registry.StatusWithdrawn, 41: registry.StatusSuspended, 3004: registry.StatusRevoked} {
		registrytest.Move(t, s, fmt.Sprintf("RF-%05d", i), to)
	}
	day := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return day }
	return s
}

// refCert is what the reference search needs of a certificate.
type refCert struct {
	id                                          int64
	number, name, province, city, level, status string
	issue, expiry                               string
	body                                        int64
}

// referenceSearch answers f by reading every certificate: the definition
// the bounded search must agree with.
func referenceSearch(t *testing.T, s *registry.Store, f registry.Filter) []refCert {
	t.Helper()
	if err := f.Validate(s.Schemes()); err != nil {
		t.Fatal(err)
	}
	today := registry.Today(s.Now()).Format(registry.DateLayout)
	rows, err := registrytest.RawDB(t, s).Query(`SELECT id, number, holder_name, province, city, level, status, issue_date, expiry_date, body_id FROM certificates`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []refCert
	for rows.Next() {
		var c refCert
		if err := rows.Scan(&c.id, &c.number, &c.name, &c.province, &c.city, &c.level, &c.status, &c.issue, &c.expiry, &c.body); err != nil {
			t.Fatal(err)
		}
		if (c.status == "valid" || c.status == "suspended") && c.expiry < today {
			c.status = "expired"
		}
		ok := (f.Province == "" || c.province == f.Province) && (f.City == "" || c.city == f.City) &&
			(f.Level == "" || c.level == f.Level) && (f.Status == "" || c.status == string(f.Status)) &&
			(f.Year == 0 || strings.HasPrefix(c.issue, fmt.Sprint(f.Year))) && (f.BodyID == 0 || c.body == f.BodyID)
		for _, term := range strings.Fields(f.Query) {
			ok = ok && strings.Contains(strings.ToLower(c.name), strings.ToLower(term))
		}
		if ok {
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b refCert) int {
		switch f.Sort {
		case registry.SortIssuedAsc:
			return cmp2(a.issue, b.issue, a.id, b.id)
		case registry.SortExpiryAsc:
			return cmp2(a.expiry, b.expiry, a.id, b.id)
		case registry.SortExpiryDesc:
			return -cmp2(a.expiry, b.expiry, a.id, b.id)
		case registry.SortNumber:
			return strings.Compare(registry.NumberKey(a.number), registry.NumberKey(b.number))
		}
		return -cmp2(a.issue, b.issue, a.id, b.id)
	})
	return out
}

func cmp2(a, b string, x, y int64) int {
	if c := strings.Compare(a, b); c != 0 {
		return c
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// referenceFilters are the shapes of issue 14's search mix, on the
// reference registry: filters alone (with and without status, in expiry
// order), common and rare terms, full names whose trigrams are all
// common, two terms, terms with filters, and deep pages.
var referenceFilters = []registry.Filter{
	{Province: "浙江"},
	{Province: "浙江", Status: registry.StatusValid},
	{City: "贵阳", Status: registry.StatusValid},
	{Province: "贵州", Status: registry.StatusValid},
	{Status: registry.StatusExpired},
	{Status: registry.StatusExpired, Province: "广东"},
	{Status: registry.StatusExpired, Province: "浙江"},
	{Status: registry.StatusExpired, City: "宁波", Page: 7},
	{Province: "浙江", Sort: registry.SortExpiryAsc},
	{City: "南京", Sort: registry.SortExpiryDesc, Page: 3},
	{Status: registry.StatusSuspended},
	{Status: registry.StatusRevoked, Province: "浙江"},
	{Level: "five-star", City: "宁波"},
	{Level: "pass", Status: registry.StatusValid, Province: "浙江"},
	{Year: 2023, Province: "江苏"},
	{Query: "有限公司"},
	{Query: "有限公司", Status: registry.StatusValid, Page: 20},
	{Query: "有限公司", Status: registry.StatusValid, Province: "浙江", Page: 3},
	{Query: "宁波东方电器有限公司"},
	{Query: "宁波东方电器股份有限公司", Status: registry.StatusValid},
	{Query: "杭州海天厨具有限责任公司"},
	{Query: "南京东方科技电梯有限公司第三分公司"},
	{Query: "东方电器"},
	{Query: "第三分公司"},
	{Query: "宁波 电器"},
	{Query: "东方 电梯 有限"},
	{Query: "鑫瑞"},
	{Query: "鑫瑞", Province: "浙江"},
	{Query: "科技", Province: "浙江"},
	{Query: "海天电梯", Status: registry.StatusExpired},
	{Query: "东海照明", City: "深圳", Sort: registry.SortExpiryDesc},
	{Query: "股份有限"},
	{Query: "火星"},
	{Query: "北京火星探测器制造有限公司"},
	{Query: "电器", Page: 10},
	{Query: "恒信", Level: "four-star"},
}

// checkAgainstReference asks every reference filter and compares the page
// and the count with the reference search. It returns how many counts
// were given as "at least" and as capped.
func checkAgainstReference(t *testing.T, s *registry.Store, label string) (atLeast, capped int) {
	t.Helper()
	ctx := context.Background()
	for _, f := range referenceFilters {
		s.ForgetSearches()
		res, err := s.Search(ctx, f)
		if err != nil {
			t.Fatalf("%s %+v: %v", label, f, err)
		}
		want := referenceSearch(t, s, f)
		g := f
		g.Validate(s.Schemes())
		from := min((g.Page-1)*g.PerPage, len(want))
		var wantPage, gotPage []string
		for _, c := range want[from:min(from+g.PerPage, len(want))] {
			wantPage = append(wantPage, c.number)
		}
		for _, c := range res.Certificates {
			gotPage = append(gotPage, c.Number)
		}
		if !slices.Equal(gotPage, wantPage) {
			t.Errorf("%s %+v: page\n%v\nwant\n%v", label, f, gotPage, wantPage)
		}
		shown := (g.Page-1)*g.PerPage + len(res.Certificates)
		switch {
		case res.Capped:
			capped++
			if len(want) <= registry.CountCap || res.Total != registry.CountCap {
				t.Errorf("%s %+v: capped at %d, but %d match", label, f, res.Total, len(want))
			}
		case res.AtLeast:
			atLeast++
			if res.Total > len(want) || res.Total < shown {
				t.Errorf("%s %+v: at least %d, but %d match (%d shown)", label, f, res.Total, len(want), shown)
			}
		default:
			if res.Total != len(want) {
				t.Errorf("%s %+v: total %d, want %d", label, f, res.Total, len(want))
			}
		}
	}
	return atLeast, capped
}

// Every search shape gives the page and the count that reading every
// certificate gives: before the store has learned anything (bounded counts
// that may say "at least"), after it has learned its terms and filter
// counts (exact counts of filters alone), and after a change, when the
// counts it learned are out of date and must not be used.
func TestSearchAgreesWithReference(t *testing.T) {
	s := referenceStore(t)
	ctx := context.Background()

	atLeast, capped := checkAgainstReference(t, s, "unlearned")
	if atLeast == 0 || capped == 0 {
		t.Errorf("unlearned: %d counts were a lower bound and %d capped; the shapes should reach both", atLeast, capped)
	}

	if err := s.LearnSearchTerms(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.LearnFilterCounts(ctx); err != nil {
		t.Fatal(err)
	}
	// Filters alone are then counted exactly, where the budget said "at
	// least": valid certificates in 浙江 (more than the budget).
	res, err := s.Search(ctx, registry.Filter{Province: "浙江", Status: registry.StatusValid})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(referenceSearch(t, s, registry.Filter{Province: "浙江", Status: registry.StatusValid})); res.AtLeast || min(want, registry.CountCap) != res.Total {
		t.Errorf("learned: valid in 浙江: %d (at least %v), want %d", res.Total, res.AtLeast, want)
	}
	checkAgainstReference(t, s, "learned")

	// A change: a new certificate in 贵州, and one revoked.
	in := registrytest.SampleInput("RF-NEW-1")
	in.Province, in.City, in.HolderName = "贵州", "贵阳", "贵阳东方电器有限公司"
	in.IssueDate, in.ExpiryDate = "2026-05-01", "2029-04-30"
	registrytest.Put(t, s, in)
	registrytest.Move(t, s, "RF-00100", registry.StatusRevoked)
	checkAgainstReference(t, s, "changed")

	// The next day: statuses move with the day even if nothing changed.
	s.Now = func() time.Time { return time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC) }
	checkAgainstReference(t, s, "next year")
}
