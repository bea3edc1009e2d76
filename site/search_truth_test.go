package site

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/registry/registrytest"
	"github.com/certreg/certreg/site/i18n"
)

// listed returns the certificate numbers a browse page lists, in order.
func listed(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<a class="num mono" href="[^"]*">([^<]+)</a>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// Search says what it found and how many, and the numbers agree with the
// list: a credit code lists its holder's certificates only; a number's
// start is headed as a start; its tail, or any 4+ characters of it, finds
// it.
func TestSearchTellsTheTruth(t *testing.T) {
	_, ts := newTestSite(t)
	store := demoRegistry(t)
	ctx := context.Background()

	// A credit code: that holder's certificates, as many as the count says.
	var code string
	var held int
	if err := registrytest.RawDB(t, store).QueryRow(`SELECT holder_credit_code, count(*) FROM certificates GROUP BY holder_credit_code HAVING count(*) > 1 ORDER BY holder_credit_code LIMIT 1`).Scan(&code, &held); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", "/en"} {
		r := get(t, ts, prefix+"/certificates?q="+code)
		if r.status != 200 {
			t.Fatalf("credit code: %d", r.status)
		}
		nums := listed(r.body)
		if len(nums) != held {
			t.Errorf("%s credit code %s: lists %d, holder has %d", prefix, code, len(nums), held)
		}
		for _, n := range nums {
			c, err := store.Certificate(ctx, n)
			if err != nil || c.HolderCreditCode != code {
				t.Errorf("%s credit code %s lists %s of another holder", prefix, code, n)
			}
		}
		want := map[string]string{"": "共 " + strconv.Itoa(held) + " 张证书", "/en": strconv.Itoa(held) + " certificates"}[prefix]
		mustContain(t, prefix+" credit code", r.body, want, code)
		if strings.Contains(r.body, "共 0 张") || strings.Contains(r.body, ">0 certificates") {
			t.Errorf("%s credit code: says 0 beside the list", prefix)
		}
	}

	// A number's tail finds it, headed as "contains"; no "0" beside it.
	n := sampleNumber(t, "valid")
	tail := n[len(n)-5:]
	r := get(t, ts, "/certificates?q="+url.QueryEscape(tail))
	if !slices.Contains(listed(r.body), n) {
		t.Errorf("tail %q of %s: not found (%v)", tail, n, listed(r.body))
	}
	if !strings.Contains(r.body, "编号中含有“"+tail+"”的证书") && !strings.Contains(r.body, "编号以“"+tail+"”开头的证书") {
		t.Errorf("tail %q: no heading saying how it matched", tail)
	}
	if strings.Contains(r.body, "共 0 张") {
		t.Errorf("tail %q: says 0 beside the numbers found", tail)
	}
	// The start of a number: headed as a prefix, in both languages, and
	// every certificate listed under it starts so.
	start := n[:len(n)-2]
	for prefix, head := range map[string]string{"": "编号以“" + start + "”开头的证书", "/en": "Certificates whose number starts with “" + start + "”"} {
		r := get(t, ts, prefix+"/certificates?q="+url.QueryEscape(start))
		mustContain(t, prefix+" prefix", r.body, head)
		if strings.Contains(r.body, "完全匹配") || strings.Contains(r.body, "Matching number") {
			t.Errorf("%s prefix %q: headed as an exact match", prefix, start)
		}
		for _, got := range listed(r.body) {
			if !strings.HasPrefix(registry.NumberKey(got), registry.NumberKey(start)) {
				t.Errorf("%s prefix %q lists %s", prefix, start, got)
			}
		}
	}
	// Three characters are not a part of a number worth searching for.
	if r := get(t, ts, "/certificates?q="+url.QueryEscape(tail[2:])); strings.Contains(r.body, "编号中含有") {
		t.Errorf("3 characters searched as a number part")
	}
}

// English pages name provinces in English and use English punctuation
// (holder names, which are data, aside).
func TestEnglishPagesInEnglish(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000})
	var n string
	if err := registrytest.RawDB(t, demoRegistry(t)).QueryRow(`SELECT number FROM certificates WHERE province = '浙江' AND status = 'revoked' LIMIT 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	pages := map[string][]string{
		"/en/certificates/" + n:        {"Zhejiang"},
		"/en/statistics":               {"Zhejiang", "Guangdong"},
		"/en/certificates":             {">Zhejiang</option>"},
		"/en/bodies":                   {},
		"/en" + pathOf(qrURL(t, s, n)): {"What it means for a bid: </strong>", "Revoked on"},
	}
	for p, wants := range pages {
		r := get(t, ts, p)
		if r.status != 200 {
			t.Fatalf("%s: %d", p, r.status)
		}
		mustContain(t, p, r.body, wants...)
		main := r.body[strings.Index(r.body, "<main"):]
		for _, zh := range []string{"：", ">浙江<", "浙江 ", ">广东<"} {
			if strings.Contains(main, zh) {
				t.Errorf("%s: holds %q", p, zh)
			}
		}
	}
	if r := get(t, ts, "/statistics"); !strings.Contains(r.body, "浙江") {
		t.Error("the Chinese statistics lost the Chinese province names")
	}
}

// The list of bodies shows each body's certificate counts, the same as
// its own page and the registry's statistics.
func TestBodyListCounts(t *testing.T) {
	_, ts := newTestSite(t)
	store := demoRegistry(t)
	bs, err := store.Bodies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, ts, "/bodies")
	for _, b := range bs {
		st, err := store.Stats(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		row := regexp.MustCompile(`(?s)>` + regexp.QuoteMeta(b.Approval) + `</td>.*?</tr>`).FindString(r.body)
		want := []string{`data-label="登记证书">` + i18nInt(st.Certificates) + `<`, `data-label="其中有效">` + i18nInt(st.Valid) + `<`}
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("%s: row %q lacks %q", b.Approval, row, w)
			}
		}
	}
}

func i18nInt(n int) string { return i18n.ZH.Int(n) }
