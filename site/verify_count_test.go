package site

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/views"
)

// browserUA is a phone browser's User-Agent: a person.
const browserUA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"

// getAs fetches path from ts as a client at address ip (any 127.x.y.z)
// with a User-Agent and other headers, without following redirects.
func getAs(t testing.TB, ts *httptestServer, path, ip, ua string, hdr ...string) response {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c := &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", ua)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// The counter counts a person's check once per client, certificate and
// day; crawlers, scripts and prefetches read the page without adding to
// it.
func TestVerificationCounter(t *testing.T) {
	store := newStore(t)
	in := registry.Input{
		Number: "AS-2024-0001", HolderName: "宁波示例电器有限公司", HolderCreditCode: "914403001922038216",
		Province: "浙江", City: "宁波", Scheme: "AS", Score: "96", Scope: "家用电器的售后服务",
		IssueDate: "2024-03-05", ExpiryDate: "2027-03-04", BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心",
	}
	ctx := context.Background()
	if _, err := store.PutCertificates(ctx, registry.Actor{Name: "t", Source: "cli"}, []registry.Input{in}, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	s, ts := verifySite(t, store, Limits{LookupBurst: 1000})
	c := mustCert(t, s, in.Number)
	p := pathOf(qrURL(t, s, in.Number))
	count := func() int64 {
		n, _, err := store.VerificationCount(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Not counted: crawlers and tools by their User-Agent, none at all,
	// and what a browser fetches ahead on its own.
	for _, tc := range []struct {
		ua  string
		hdr []string
	}{
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", nil},
		{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", nil},
		{"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", nil},
		{"Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)", nil},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", nil},
		{"curl/8.5.0", nil},
		{"python-requests/2.31", nil},
		{CrawlerUserAgent, nil},
		{"", nil},
		{browserUA, []string{"Sec-Purpose", "prefetch"}},
		{browserUA, []string{"Sec-Purpose", "prefetch;prerender"}},
		{browserUA, []string{"Purpose", "prefetch"}},
		{browserUA, []string{"X-Moz", "prefetch"}},
	} {
		r := getAs(t, ts, p, "127.0.0.2", tc.ua, tc.hdr...)
		if r.status != 200 {
			t.Fatalf("%q %v: %d", tc.ua, tc.hdr, r.status)
		}
		if n := count(); n != 0 {
			t.Fatalf("after %q %v: count %d, want 0", tc.ua, tc.hdr, n)
		}
	}
	// A person: counted once, however often they reload the page that
	// day, in either language.
	for range 3 {
		getAs(t, ts, p, "127.0.0.2", browserUA)
		getAs(t, ts, "/en"+p, "127.0.0.2", browserUA)
	}
	if n := count(); n != 1 {
		t.Fatalf("one person, six views: count %d, want 1", n)
	}
	// Another person: one more.
	r := getAs(t, ts, p, "127.0.0.3", browserUA)
	if n := count(); n != 2 {
		t.Fatalf("two people: count %d, want 2", n)
	}
	mustContain(t, "second person", r.body, "本证书在本登记库累计被核验 2 次")
	// A crawler sees the count as it is.
	r = getAs(t, ts, p, "127.0.0.4", "Googlebot/2.1")
	mustContain(t, "crawler", r.body, "本证书在本登记库累计被核验 2 次")
	// The next day the first person counts again.
	today := store.Now
	store.Now = func() time.Time { return today().Add(24 * time.Hour) }
	defer func() { store.Now = today }()
	getAs(t, ts, p, "127.0.0.2", browserUA)
	if n := count(); n != 3 {
		t.Fatalf("the next day: count %d, want 3", n)
	}
}

// A crawl of the whole site, as a search engine would make it following
// every link, then one person's view of a certificate's verdict page:
// the counter says 1.
func TestCrawlThenPersonCountsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crawl")
	}
	store := newStore(t)
	in := registry.Input{
		Number: "AS-2024-0001", HolderName: "宁波示例电器有限公司", HolderCreditCode: "914403001922038216",
		Province: "浙江", City: "宁波", Scheme: "AS", Score: "96", Scope: "家用电器的售后服务",
		IssueDate: "2024-03-05", ExpiryDate: "2027-03-04", BodyApproval: "CNCA-R-2002-001", BodyName: "示例认证中心",
	}
	ctx := context.Background()
	if _, err := store.PutCertificates(ctx, registry.Actor{Name: "t", Source: "cli"}, []registry.Input{in}, registry.ImportOptions{CreateBodies: true}); err != nil {
		t.Fatal(err)
	}
	s, ts := verifySite(t, store, Limits{LookupBurst: 1000})
	page := 0
	_, err := Walk(ctx, s.Handler(), testBase, []string{"/", "/en/", "/robots.txt", "/sitemap.xml", views.CertificatePath(in.Number)}, 10000, func(path string, resp *http.Response, body []byte) error {
		if path == views.CertificatePath(in.Number) || path == "/en"+views.CertificatePath(in.Number) {
			page++
			if !strings.Contains(string(body), `rel="nofollow" href="`+strings.TrimSuffix(path, views.CertificatePath(in.Number))+`/V/`) {
				t.Errorf("%s: no nofollow link to the verdict", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if page == 0 {
		t.Fatal("the crawl never reached the certificate page")
	}
	c := mustCert(t, s, in.Number)
	if n, _, _ := store.VerificationCount(ctx, c.ID); n != 0 {
		t.Fatalf("after the crawl: count %d, want 0", n)
	}
	// A crawler that ignores nofollow but names itself still counts for
	// nothing.
	getAs(t, ts, pathOf(qrURL(t, s, in.Number)), "127.0.0.5", "Mozilla/5.0 (compatible; YandexBot/3.0)")
	r := getAs(t, ts, pathOf(qrURL(t, s, in.Number)), "127.0.0.6", browserUA)
	mustContain(t, "person", r.body, "本证书在本登记库累计被核验 1 次")
	if n, _, _ := store.VerificationCount(ctx, c.ID); n != 1 {
		t.Fatalf("after one person: count %d, want 1", n)
	}
	robots := get(t, ts, "/robots.txt")
	for _, p := range []string{"/V/", "/qr/", "/receipts/"} {
		if !strings.Contains(robots.body, "\nDisallow: "+p+"\n") {
			t.Errorf("robots.txt does not disallow %s:\n%s", p, robots.body)
		}
	}
}

// /verify takes a number alone: the verdict of the record, saying that the
// holder was not checked.
func TestManualCheckNumberAlone(t *testing.T) {
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000})
	n := sampleNumber(t, "revoked")
	for prefix, want := range map[string]string{"": "只核验了证书编号，未核验获证组织", "/en": "Only the number was checked, not the holder"} {
		r := get(t, ts, prefix+views.VerifyCheckPath+"?number="+n+"&holder=")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", prefix, r.status, r.body)
		}
		mustContain(t, prefix+" number alone", r.body, "verdict-panel verdict-revoked", want, mustCert(t, s, n).HolderName)
	}
	if r := get(t, ts, views.VerifyPath); strings.Contains(r.body, `id="v-holder" name="holder" value="" required`) {
		t.Error("the form still requires the holder")
	}
}
