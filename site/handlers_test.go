package site

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// Every route, in both languages where it has two, with what its answer
// must say.
func TestRoutes(t *testing.T) {
	_, ts := newTestSite(t)
	slash := sampleNumber(t, "/")
	revoked := sampleNumber(t, "revoked")
	suspended := sampleNumber(t, "suspended")
	expired := sampleNumber(t, "expired")
	valid := sampleNumber(t, "valid")
	c, err := demoRegistry(t).Certificate(context.Background(), valid)
	if err != nil {
		t.Fatal(err)
	}
	bodies, _ := demoRegistry(t).Bodies(context.Background())
	body := bodies[0]
	q := url.QueryEscape
	for _, tc := range []struct {
		path   string
		status int
		wants  []string
		ctype  string
	}{
		{"/", 200, []string{"查询证书", "登记概况", "最新发证", "最近暂停、撤销或注销", "五星级"}, "text/html"},
		{"/en/", 200, []string{"Check a certificate", "The registry at a glance", "Recently issued", "Five-star"}, "text/html"},
		{"/certificates", 200, []string{"证书查询", "共 3,000 张证书", `rel="next"`}, "text/html"},
		{"/en/certificates", 200, []string{"Find a certificate", "3,000 certificates"}, "text/html"},
		{views.CertificatePath(valid), 200, []string{valid, c.HolderName, c.HolderCreditCode, "badge-valid", "有效", c.BodyApproval, "有效期至", "状态与变更记录", "审核记录", "以上信息截至"}, "text/html"},
		{"/en" + views.CertificatePath(valid), 200, []string{valid, "badge-valid", "Valid", "Valid until", "Status and change history", "This information is as of"}, "text/html"},
		{views.CertificatePath(slash), 200, []string{slash, `href="` + views.CertificateFeedPath(slash) + `"`}, "text/html"},
		{views.CertificatePath(revoked), 200, []string{"badge-revoked", "撤销", "证书已被认证机构撤销"}, "text/html"},
		{views.CertificatePath(suspended), 200, []string{"badge-suspended", "暂停"}, "text/html"},
		{views.CertificatePath(expired), 200, []string{"badge-expired", "过期", "已超过有效期"}, "text/html"},
		{"/en" + views.CertificatePath(expired), 200, []string{"badge-expired", "Expired"}, "text/html"},
		{"/certificates/NO-SUCH-1", 404, []string{"本登记库中没有登记编号为 NO-SUCH-1 的证书"}, "text/html"},
		{"/en/certificates/NO-SUCH-1", 404, []string{"No certificate numbered NO-SUCH-1 is registered here"}, "text/html"},
		{"/certificates/%3Cscript%3E", 404, []string{"&lt;script&gt;"}, "text/html"},
		{views.CertificateFeedPath(valid), 200, []string{"<feed", "发证", valid}, "application/atom+xml"},
		{"/en" + views.CertificateFeedPath(valid), 200, []string{"<feed", "Issued", `xml:lang="en"`}, "application/atom+xml"},
		{views.HolderPath(c.HolderCreditCode), 200, []string{c.HolderName, valid}, "text/html"},
		{"/holders/91350100M000100Y43", 404, []string{"没有以统一社会信用代码"}, "text/html"},
		{"/bodies", 200, []string{body.Approval, body.NameZH}, "text/html"},
		{views.BodyPath(body.Approval), 200, []string{body.Approval, "证书统计", "订阅该机构新发证书"}, "text/html"},
		{"/en" + views.BodyPath(body.Approval), 200, []string{body.Approval, "Certificate counts"}, "text/html"},
		{"/bodies/CNCA-R-1999-999", 404, []string{"没有批准号为 CNCA-R-1999-999 的认证机构"}, "text/html"},
		{views.BodyPath(body.Approval) + "/issued.atom", 200, []string{"<feed", "新发证书"}, "application/atom+xml"},
		{views.BodyPath(body.Approval) + "/status.atom", 200, []string{"<feed", "状态变更"}, "application/atom+xml"},
		{"/schemes", 200, []string{"GB/T 27922-2011", "SB/T 10595-2011"}, "text/html"},
		{"/schemes/AS", 200, []string{"≥ 95", "五星级", "≥ 90", "四星级", "≥ 80", "三星级", "≥ 70", "达标级", "低于 70 分不能获证"}, "text/html"},
		{"/en/schemes/AS", 200, []string{"Five-star", "Compliant", "Below 70"}, "text/html"},
		{"/schemes/CL", 200, []string{"不分等级"}, "text/html"},
		{"/schemes/XX", 404, nil, "text/html"},
		{"/statistics", 200, []string{"<svg", "按等级", "按状态", "按省份", "按发证年份", "浙江"}, "text/html"},
		{"/en/statistics", 200, []string{"<svg", "Certificates by level", "Certificates issued per year"}, "text/html"},
		{"/feeds/issued.atom", 200, []string{"<feed", "<entry>"}, "application/atom+xml"},
		{"/feeds/status.atom", 200, []string{"<feed", "<entry>"}, "application/atom+xml"},
		{"/en/feeds/status.atom", 200, []string{"<feed", "Certificate status changes"}, "application/atom+xml"},
		{"/data", 200, []string{"/data/certificates.csv", "holder_credit_code", "NDJSON"}, "text/html"},
		{"/data/certificates.csv", 200, []string{"number,holder_name,holder_credit_code", valid}, "text/csv"},
		{"/data/certificates.ndjson", 200, []string{`"number":"` + valid + `"`}, "application/x-ndjson"},
		{"/api", 200, []string{"/api/v1/certificates/{number}", "per_page"}, "text/html"},
		{"/en/api", 200, []string{"API", "per_page"}, "text/html"},
		{"/api/v1/certificates/" + views.URLNumber(valid), 200, []string{`"number": "` + valid + `"`, `"effective_status": "valid"`, `"history"`}, "application/json"},
		{"/api/v1/certificates/NO-SUCH-1", 404, []string{`"code": "not_found"`, `"message_en"`}, "application/json"},
		{"/api/v1/certificates?level=five-star&per_page=5", 200, []string{`"certificates"`, `"level": "five-star"`, `"next"`}, "application/json"},
		{"/api/v1/certificates?status=nonsense", 400, []string{`"code": "invalid"`, `"field": "status"`, `unknown status \"nonsense\"`}, "application/json"},
		{"/api/v1/certificates?per_page=1000", 400, []string{`"field": "per_page"`}, "application/json"},
		{"/sitemap.xml", 200, []string{"<sitemapindex", "/sitemaps/pages.xml", "/sitemaps/certificates/1.xml"}, "application/xml"},
		{"/sitemaps/pages.xml", 200, []string{"<urlset", testBase + "/en/statistics", `hreflang="zh-CN"`}, "application/xml"},
		{"/sitemaps/certificates/1.xml", 200, []string{testBase + views.CertificatePath(slash)}, "application/xml"},
		{"/sitemaps/certificates/9.xml", 404, nil, "text/html"},
		{"/robots.txt", 200, []string{"Sitemap: " + testBase + "/sitemap.xml"}, "text/plain"},
		{"/healthz", 200, []string{`"status": "ok"`}, "application/json"},
		{"/certificates?q=" + q("宁波"), 200, []string{"“宁波”的查询结果", "宁波"}, "text/html"},
	} {
		r := get(t, ts, tc.path)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, r.status, tc.status)
			continue
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", tc.path, r.header.Get("Content-Type"), tc.ctype)
		}
		mustContain(t, tc.path, r.body, tc.wants...)
	}
}

// Every spelling of a number that finds a certificate redirects to its one
// canonical URL, for the page, its feed and its JSON.
func TestCertificateCanonicalURL(t *testing.T) {
	_, ts := newTestSite(t)
	n := sampleNumber(t, "/") // e.g. SSC2500001R1/4101
	canon := views.CertificatePath(n)
	if strings.Count(canon, "/") != 2 || !strings.Contains(canon, "~") {
		t.Fatalf("canonical path %q is not one segment", canon)
	}
	for _, tc := range []struct{ path, want string }{
		{"/certificates/" + n, canon},
		{"/certificates/" + strings.ReplaceAll(n, "/", "%2F"), canon},
		{"/certificates/" + strings.ToLower(views.URLNumber(n)), canon},
		{"/en/certificates/" + n, "/en" + canon},
		{"/certificates/" + n + "/feed.atom", canon + "/feed.atom"},
		{"/api/v1/certificates/" + n, views.APICertificatePath(n)},
		{"/certificates?q=" + url.QueryEscape(n), canon},
		{"/certificates?q=" + url.QueryEscape(strings.ToLower(n)), canon},
	} {
		r := get(t, ts, tc.path)
		if r.status/100 != 3 || r.header.Get("Location") != tc.want {
			t.Errorf("%s: %d → %q, want %q", tc.path, r.status, r.header.Get("Location"), tc.want)
		}
	}
	if r := get(t, ts, canon); r.status != 200 {
		t.Errorf("%s: %d", canon, r.status)
	}
}

// Every filter narrows the results to what it names, in both languages,
// and every filter state has one canonical URL.
func TestBrowseFilters(t *testing.T) {
	s, ts := newTestSite(t)
	store := demoRegistry(t)
	today := registry.Today(fixedNow)
	bodies, _ := store.Bodies(context.Background())
	for _, tc := range []struct {
		query string
		check func(c *registry.Certificate) bool
	}{
		{"level=five-star", func(c *registry.Certificate) bool { return c.LevelCode == "five-star" }},
		{"scheme=BB", func(c *registry.Certificate) bool { return c.SchemeCode == "BB" }},
		{"scheme=AS&level=compliant", func(c *registry.Certificate) bool { return c.SchemeCode == "AS" && c.LevelCode == "compliant" }},
		{"status=valid", func(c *registry.Certificate) bool { return c.EffectiveStatus(fixedNow) == registry.StatusValid }},
		{"status=suspended", func(c *registry.Certificate) bool { return c.EffectiveStatus(fixedNow) == registry.StatusSuspended }},
		{"status=revoked", func(c *registry.Certificate) bool { return c.Status == registry.StatusRevoked }},
		{"status=withdrawn", func(c *registry.Certificate) bool { return c.Status == registry.StatusWithdrawn }},
		{"status=expired", func(c *registry.Certificate) bool {
			return (c.Status == registry.StatusValid || c.Status == registry.StatusSuspended) && c.ExpiryDate.Before(today)
		}},
		{"province=" + url.QueryEscape("浙江"), func(c *registry.Certificate) bool { return c.Province == "浙江" }},
		{"city=" + url.QueryEscape("宁波"), func(c *registry.Certificate) bool { return c.City == "宁波" }},
		{"level=five-star&city=" + url.QueryEscape("宁波"), func(c *registry.Certificate) bool { return c.City == "宁波" && c.LevelCode == "five-star" }},
		{"body=" + bodies[1].Approval, func(c *registry.Certificate) bool { return c.BodyID == bodies[1].ID }},
		{"year=2025", func(c *registry.Certificate) bool { return c.IssueDate.Year() == 2025 }},
		{"q=" + url.QueryEscape("电器"), func(c *registry.Certificate) bool { return strings.Contains(c.HolderName, "电器") }},
		{"q=" + url.QueryEscape("宁波 电器"), func(c *registry.Certificate) bool {
			return strings.Contains(c.HolderName, "宁波") && strings.Contains(c.HolderName, "电器")
		}},
		{"q=" + url.QueryEscape("有限公司"), func(c *registry.Certificate) bool { return strings.Contains(c.HolderName, "有限公司") }},
		{"q=" + url.QueryEscape("银"), func(c *registry.Certificate) bool { return strings.Contains(c.HolderName, "银") }},
	} {
		for _, prefix := range []string{"", "/en"} {
			path := prefix + "/certificates?" + tc.query
			r := get(t, ts, path)
			if r.status != 200 {
				t.Errorf("%s: %d (Location %q)", path, r.status, r.header.Get("Location"))
				continue
			}
			// The result list links each certificate; check each.
			var n int
			for _, l := range Links([]byte(r.body), testBase) {
				num, ok := strings.CutPrefix(l, prefix+"/certificates/")
				if !ok || strings.Contains(num, "/") {
					continue
				}
				c, err := store.Certificate(context.Background(), views.ParseURLNumber(num))
				if err != nil {
					t.Fatalf("%s links %s: %v", path, l, err)
				}
				n++
				if !tc.check(c) {
					t.Errorf("%s lists %s (%s, %s %s, %s, %s)", path, c.Number, c.HolderName, c.SchemeCode, c.LevelCode, c.Status, c.City)
				}
			}
			if n == 0 {
				t.Errorf("%s: no results", path)
			}
		}
	}
	_ = s
}

func TestBrowseSortAndPaging(t *testing.T) {
	_, ts := newTestSite(t)
	var api struct {
		Total        int
		TotalCapped  bool `json:"total_capped"`
		Certificates []registry.Record
		Next         string
	}
	for _, sort := range registry.Sorts {
		r := get(t, ts, "/api/v1/certificates?per_page=50&sort="+sort)
		if r.status != 200 {
			t.Fatalf("sort %s: %d %s", sort, r.status, r.body)
		}
		if err := json.Unmarshal([]byte(r.body), &api); err != nil {
			t.Fatal(err)
		}
		if len(api.Certificates) != 50 || api.Total != 3000 && !(api.Total == registry.CountCap && api.TotalCapped) {
			t.Fatalf("sort %s: %d certificates, total %d", sort, len(api.Certificates), api.Total)
		}
		for i := 1; i < len(api.Certificates); i++ {
			a, b := api.Certificates[i-1], api.Certificates[i]
			var ok bool
			switch sort {
			case registry.SortIssuedDesc:
				ok = a.IssueDate >= b.IssueDate
			case registry.SortIssuedAsc:
				ok = a.IssueDate <= b.IssueDate
			case registry.SortExpiryAsc:
				ok = a.ExpiryDate <= b.ExpiryDate
			case registry.SortExpiryDesc:
				ok = a.ExpiryDate >= b.ExpiryDate
			case registry.SortNumber:
				ok = strings.ToUpper(a.Number) <= strings.ToUpper(b.Number)
			}
			if !ok {
				t.Fatalf("sort %s: %s before %s", sort, a.Number, b.Number)
			}
		}
	}
	// Pages do not overlap and together list everything once.
	seen := map[string]bool{}
	for p := 1; p <= 3; p++ {
		r := get(t, ts, "/api/v1/certificates?per_page=100&page="+string(rune('0'+p)))
		json.Unmarshal([]byte(r.body), &api)
		for _, c := range api.Certificates {
			if seen[c.Number] {
				t.Fatalf("page %d repeats %s", p, c.Number)
			}
			seen[c.Number] = true
		}
	}
	// Messy query strings are redirected to one canonical URL.
	for _, tc := range []struct{ in, want string }{
		{"/certificates?q=&level=&sort=issued-desc&page=1", "/certificates"},
		{"/certificates?city=" + url.QueryEscape("宁波") + "&level=five-star&utm=x", "/certificates?level=five-star&city=%E5%AE%81%E6%B3%A2"},
		{"/en/certificates?page=2&status=valid", "/en/certificates?status=valid&page=2"},
	} {
		r := get(t, ts, tc.in)
		if r.status != http.StatusFound || r.header.Get("Location") != tc.want {
			t.Errorf("%s: %d → %q, want %q", tc.in, r.status, r.header.Get("Location"), tc.want)
		}
	}
	// Bad values are a 400 with a message, never a 500.
	for _, bad := range []string{"status=expiredx", "level=six-star", "scheme=ZZ", "year=abc", "year=1800", "page=0", "page=99999", "sort=random", "body=CNCA-R-1999-999", "q=" + strings.Repeat("长", 101)} {
		r := get(t, ts, "/certificates?"+bad)
		if r.status != 400 || !strings.Contains(r.body, "请求有误") {
			t.Errorf("%s: %d", bad, r.status)
		}
	}
	// An empty result says so and suggests what to try.
	r := get(t, ts, "/certificates?q="+url.QueryEscape("不存在的名字"))
	mustContain(t, "empty result", r.body, "没有符合条件的证书。", "可只输入名称中的两三个字")
	r = get(t, ts, "/en/certificates?q="+url.QueryEscape("不存在的名字"))
	mustContain(t, "empty result (en)", r.body, "No certificate matches.", "try two or three characters")
}

// A holder named like a script is shown as text everywhere it appears.
func TestXSSHolderNameIsText(t *testing.T) {
	store := newStore(t)
	ctx := context.Background()
	if _, err := store.AddBody(ctx, registry.Actor{Name: "test", Source: "test"}, registry.Body{Approval: "CNCA-R-2002-001", NameZH: "测试认证中心"}); err != nil {
		t.Fatal(err)
	}
	evil := `<script>alert("x")</script>有限公司`
	_, err := store.PutCertificates(ctx, registry.Actor{Name: "test", Source: "test"}, []registry.Input{{
		Number: "XSS-0001", HolderName: evil, HolderCreditCode: "914403001922038216", Province: "浙江", City: "宁波",
		Scheme: "AS", Score: "96", Scope: `<img src=x onerror=alert(1)> 家电的售后服务`, IssueDate: "2025-01-10", ExpiryDate: "2028-01-09",
		BodyApproval: "CNCA-R-2002-001",
	}}, registry.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts := newSiteFor(t, store)
	for _, p := range []string{"/", "/certificates/XSS-0001", "/en/certificates/XSS-0001", "/certificates?q=" + url.QueryEscape("<script>"),
		"/holders/914403001922038216", "/bodies/CNCA-R-2002-001", "/feeds/issued.atom", "/certificates/XSS-0001/feed.atom"} {
		r := get(t, ts, p)
		if r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
			continue
		}
		if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
			t.Errorf("%s: markup from data is not escaped", p)
		}
		if !strings.Contains(r.body, "&lt;script&gt;") {
			t.Errorf("%s: the name is not shown as text", p)
		}
	}
	r := get(t, ts, "/api/v1/certificates/XSS-0001")
	if !strings.Contains(r.body, `\u003cscript\u003e`) && !strings.Contains(r.body, `<script>`) {
		t.Errorf("API lost the name: %s", r.body)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("API headers: %v", r.header)
	}
}

// newSiteFor serves store over HTTP, with a cache that re-checks the
// generation on every request.
func newSiteFor(t testing.TB, store *registry.Store) *httptestServer {
	t.Helper()
	s := New(store, Config{BaseURL: testBase, CacheCheck: time.Nanosecond})
	ts := newHTTPTest(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// A cached page changes as soon as the registry does: a status change
// shows on the next view, with a new ETag.
func TestCacheInvalidatedByWrites(t *testing.T) {
	store := newStore(t)
	ctx := context.Background()
	actor := registry.Actor{Name: "test", Source: "test"}
	store.AddBody(ctx, actor, registry.Body{Approval: "CNCA-R-2002-001", NameZH: "测试认证中心"})
	if _, err := store.PutCertificates(ctx, actor, []registry.Input{{
		Number: "CACHE-0001", HolderName: "缓存测试有限公司", HolderCreditCode: "914403001922038216", Province: "浙江",
		Scheme: "AS", Score: "91", Scope: "售后服务", IssueDate: "2025-01-10", ExpiryDate: "2028-01-09", BodyApproval: "CNCA-R-2002-001",
	}}, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s := New(store, Config{BaseURL: testBase, CacheCheck: 50 * time.Millisecond})
	ts := newHTTPTest(s.Handler())
	defer ts.Close()
	first := get(t, ts, "/certificates/CACHE-0001")
	again := get(t, ts, "/certificates/CACHE-0001")
	if first.header.Get("ETag") != again.header.Get("ETag") || !strings.Contains(first.body, "badge-valid") {
		t.Fatalf("not cached or not valid: %q %q", first.header.Get("ETag"), again.header.Get("ETag"))
	}
	if _, err := store.ChangeStatus(ctx, actor, registry.StatusChange{Number: "CACHE-0001", To: registry.StatusSuspended, Reason: "测试"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	after := get(t, ts, "/certificates/CACHE-0001", "If-None-Match", first.header.Get("ETag"))
	if after.status != 200 || !strings.Contains(after.body, "badge-suspended") || after.header.Get("ETag") == first.header.Get("ETag") {
		t.Fatalf("after suspension: %d, ETag %q, suspended shown: %v", after.status, after.header.Get("ETag"), strings.Contains(after.body, "badge-suspended"))
	}
	// The home page's totals follow too.
	home := get(t, ts, "/")
	mustContain(t, "home after write", home.body, "CACHE-0001")
	// Totals are recomputed in the background after a write; the page
	// with old totals is not cached, so the new ones show within moments.
	in := registry.Input{Number: "CACHE-0002", HolderName: "第二缓存测试有限公司", HolderCreditCode: "91440300708461136T", Province: "江苏",
		Scheme: "AS", Score: "96", Scope: "售后服务", IssueDate: "2025-02-10", ExpiryDate: "2028-02-09", BodyApproval: "CNCA-R-2002-001"}
	if _, err := store.PutCertificates(ctx, actor, []registry.Input{in}, registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(get(t, ts, "/").body, `<span class="n">2</span>证书`) {
		if time.Now().After(deadline) {
			t.Fatal("home totals never showed the second certificate")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// And a write through the server itself (any non-GET) is seen at once.
	s.Invalidate()
	if _, err := store.ChangeStatus(ctx, actor, registry.StatusChange{Number: "CACHE-0001", To: registry.StatusValid, Reason: "恢复"}); err != nil {
		t.Fatal(err)
	}
	s.Invalidate()
	if r := get(t, ts, "/certificates/CACHE-0001"); !strings.Contains(r.body, "badge-valid") {
		t.Fatal("reinstatement not shown after Invalidate")
	}
}

func TestAPIPerPageAndDeepPages(t *testing.T) {
	_, ts := newTestSite(t)
	if r := get(t, ts, "/api/v1/certificates?per_page=1&page=500&sort=number"); r.status != 200 || !strings.Contains(r.body, `"page": 500`) {
		t.Errorf("page 500 of 1: %d %s", r.status, r.body)
	}
	if r := get(t, ts, "/api/v1/certificates?per_page=1&page=1001"); r.status != 400 || !strings.Contains(r.body, `"field": "page"`) {
		t.Errorf("past the cap: %d", r.status)
	}
}
