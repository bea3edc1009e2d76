package site

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/certreg/certreg/site/browsertest"
	"github.com/certreg/certreg/views"
)

// browserPages are the page templates checked in the browser, one URL each,
// in both languages.
func browserPages(t *testing.T) []string {
	return []string{
		"/",
		"/certificates",
		"/certificates?q=" + url.QueryEscape("宁波"),
		"/certificates?q=" + url.QueryEscape("没有这样的公司"),
		views.CertificatePath(sampleNumber(t, "/")),
		views.CertificatePath(sampleNumber(t, "revoked")),
		views.CertificatePath(sampleNumber(t, "suspended")),
		holderPath(t),
		"/bodies",
		bodyPath(t),
		"/schemes",
		"/schemes/AS",
		"/statistics",
		"/data",
		"/api",
		"/no/such/page",
	}
}

func TestBrowserPhoneWidthAndAccessibility(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	_, ts := newTestSite(t)
	ctx := browsertest.New(t)
	dir := browsertest.ArtefactDir(t)
	for _, p := range browserPages(t) {
		for _, prefix := range []string{"", "/en"} {
			url := ts.URL + prefix + p
			name := "phone" + shotName(prefix+p) + ".png"
			if over := browsertest.Screenshot(ctx, t, url, 360, dir, name); over > 0 {
				t.Errorf("%s scrolls sideways by %d px at 360 px", prefix+p, over)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			for _, v := range browsertest.Axe(ctx, t) {
				t.Errorf("%s: axe: %s", prefix+p, v)
			}
		}
	}
}

func shotName(p string) string {
	b := []byte(p)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// A reviewer's path: type part of a holder's name on the home page, open a
// result, read the certificate, switch to English; then filter to
// five-star certificates in 宁波 with the form (no JavaScript needed).
func TestBrowserSearchToCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	_, ts := newTestSite(t)
	ctx := browsertest.New(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.SendKeys(chromedp.CSS("#home-q"), "宁波"),
		chromedp.Submit(chromedp.CSS("#home-q")),
		chromedp.WaitVisible(chromedp.CSS("#results-h")),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "127.0.0.1"+strings.TrimPrefix(ts.URL, "http://127.0.0.1")+"/certificates?q=%E5%AE%81%E6%B3%A2") {
		t.Fatalf("search landed on %s", loc)
	}
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("ul.results li a.num")))
	if err != nil {
		t.Fatal(err)
	}
	holder, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("ul.results li .holder")))
	if !strings.Contains(holder, "宁波") {
		t.Errorf("first result %q does not contain 宁波", holder)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("ul.results li a.num")), chromedp.WaitVisible(chromedp.CSS(".badge-big"))); err != nil {
		t.Fatal(err)
	}
	h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if !strings.Contains(h1, strings.TrimSpace(first)) {
		t.Errorf("certificate page heading %q, want %q", h1, first)
	}
	// Switch language: the twin page in English.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("a.lang-switch")), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] .badge-big`))); err != nil {
		t.Fatal(err)
	}
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(loc, "/en/certificates/") || lang != "en" || !strings.Contains(body, "Valid until") {
		t.Errorf("after switching: %s lang=%q", loc, lang)
	}
	// Filters: five-star after-sales certificates in 宁波.
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/certificates"),
		chromedp.SetValue(chromedp.CSS("#f-scheme"), "AS"),
		chromedp.SetValue(chromedp.CSS("#f-level"), "five-star"),
		chromedp.SetValue(chromedp.CSS("#f-city"), "宁波"),
		chromedp.Click(chromedp.CSS("form.filters button[type=submit]")),
		// Only the filtered page renders the choice as the selected option:
		// waiting for p.summary could match the page before the submit and
		// lose its nodes when the new page replaces it.
		chromedp.WaitReady(chromedp.CSS(`#f-level option[value="five-star"][selected]`)),
		chromedp.WaitVisible(chromedp.CSS("p.summary")),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/certificates?scheme=AS&level=five-star&city=%E5%AE%81%E6%B3%A2") {
		t.Errorf("filter URL %s", loc)
	}
	metas, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("ul.results li")).map(li => li.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(metas) == 0 {
		t.Fatal("no five-star certificates in 宁波")
	}
	for _, m := range metas {
		if !strings.Contains(m, "五星级") || !strings.Contains(m, "宁波") {
			t.Errorf("result not five-star in 宁波: %q", m)
		}
	}
	// The selects keep the choice after the page reloads.
	sel, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#f-level").value`))
	if sel != "five-star" {
		t.Errorf("level select shows %q", sel)
	}
}

func holderPath(t *testing.T) string {
	c, err := demoRegistry(t).Certificate(context.Background(), sampleNumber(t, "valid"))
	if err != nil {
		t.Fatal(err)
	}
	return views.HolderPath(c.HolderCreditCode)
}

func bodyPath(t *testing.T) string {
	bs, err := demoRegistry(t).Bodies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return views.BodyPath(bs[0].Approval)
}
