package site

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/certreg/certreg/qrimage"
	"github.com/certreg/certreg/site/browsertest"
	"github.com/certreg/certreg/views"
)

// overflowJS measures a page as a phone w px wide shows it: how far the
// document scrolls sideways, and which elements reach past the screen's
// edges (visually hidden text and the skip link, placed off-screen on
// purpose, aside). The width is the emulated screen's, not innerWidth: a
// mobile browser widens its layout viewport to fit an over-wide page, so
// innerWidth grows with the very overflow being measured.
func overflowJS(w int) string {
	return fmt.Sprintf(overflowTmpl, w)
}

const overflowTmpl = `(() => {
	const w = %d;
	const out = {scroll: document.documentElement.scrollWidth - w, wide: []};
	for (const e of document.body.querySelectorAll("*")) {
		if (e.closest(".vh, .skip, [hidden], details:not([open]) > :not(summary)")) continue;
		const r = e.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue;
		if (r.right > w + 0.5 || r.left < -0.5) {
			const id = e.tagName.toLowerCase() + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
			out.wide.push(id + " [" + Math.round(r.left) + "," + Math.round(r.right) + "]");
		}
	}
	out.wide = out.wide.slice(0, 5);
	out.inner = window.innerWidth;
	return JSON.stringify(out);
})()`

// phoneCheck loads url at width × 640 and reports any sideways overflow;
// it saves a full-page screenshot as name.
func phoneCheck(ctx context.Context, t *testing.T, url string, width int, dir, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 640, chromedp.EmulateMobile, chromedp.EmulateScale(1)), chromedp.Navigate(url)); err != nil {
		t.Fatalf("load %s at %d px: %v", url, width, err)
	}
	checkOverflow(ctx, t, url, width, dir, name)
}

// checkOverflow measures the page the tab shows now (see phoneCheck).
func checkOverflow(ctx context.Context, t *testing.T, what string, width int, dir, name string) {
	t.Helper()
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflowJS(width)))
	if err != nil {
		t.Fatalf("measure %s: %v", what, err)
	}
	var m struct {
		Scroll int      `json:"scroll"`
		Wide   []string `json:"wide"`
		Inner  int      `json:"inner"`
	}
	if err := json.Unmarshal([]byte(res), &m); err != nil {
		t.Fatal(err)
	}
	if m.Scroll > 0 || len(m.Wide) > 0 || m.Inner != width {
		t.Errorf("%s at %d px: scrolls sideways by %d px (the browser widened its viewport to %d px); elements past the edge: %v", what, width, m.Scroll, m.Inner, m.Wide)
	}
	if dir != "" {
		if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, name), shot, 0o644)
		}
	}
}

// verdictKinds are a URL for each verdict a reviewer can meet, and the
// damaged link: the eight verdicts and "cannot verify".
func verdictKinds(t *testing.T, s *Server) [][2]string {
	valid := qrURL(t, s, sampleNumber(t, "valid"))
	i := strings.Index(valid, "/V/") + 30
	repl := "A"
	if valid[i] == 'A' {
		repl = "B"
	}
	c := mustCert(t, s, sampleNumber(t, "valid"))
	return [][2]string{
		{"valid", pathOf(valid)},
		{"suspended", pathOf(qrURL(t, s, sampleNumber(t, "suspended")))},
		{"revoked", pathOf(qrURL(t, s, sampleNumber(t, "revoked")))},
		{"withdrawn", pathOf(qrURL(t, s, sampleNumber(t, "withdrawn")))},
		{"expired", pathOf(qrURL(t, s, sampleNumber(t, "expired")))},
		{"not-registered", pathOf(valid[:strings.LastIndex(valid, "/")] + "/NOPE-0001")},
		{"forged", pathOf(valid[:i] + repl + valid[i+1:])},
		{"mismatch", views.VerifyCheckPath + "?number=" + url.QueryEscape(c.Number) + "&holder=" + url.QueryEscape("另一家示例有限公司")},
		{"damaged", "/V/ABCDEFGH/X"},
	}
}

// Every public page template, every verdict and the batch results, at 320
// and 360 px, in Chinese and English: nothing reaches past the screen's
// edge, and axe-core finds nothing serious.
func TestBrowserNarrowScreens(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 100000, BatchBurst: 1000})
	ctx := browsertest.New(t)
	dir := browsertest.ArtefactDir(t)
	// The measure itself: a page with one over-wide element fails it.
	err := chromedp.Do(ctx, chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateScale(1)), chromedp.Navigate(ts.URL+"/"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const d = document.createElement("div"); d.className = "probe"; d.style.width = "400px"; d.textContent = "x"; document.querySelector("main").append(d); return true })()`)); err != nil {
		t.Fatal(err)
	}
	probe, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflowJS(320)))
	if err != nil || !strings.Contains(probe, "div.probe") || !strings.Contains(probe, `"scroll":`) || strings.Contains(probe, `"scroll":0`) {
		t.Fatalf("the overflow measure misses a 400 px element at 320 px: %s %v", probe, err)
	}
	var pages [][2]string // screenshot name, path
	for _, p := range append(browserPages(t), views.VerifyPath, views.VerifyBatchPath) {
		pages = append(pages, [2]string{shotName(p[:min(len(p), 40)]), p})
	}
	for _, k := range verdictKinds(t, s) {
		pages = append(pages, [2]string{"_verdict_" + k[0], k[1]})
	}
	// A receipt (of a certificate whose number holds a "/").
	qs := strings.TrimPrefix(pathOf(qrURL(t, s, sampleNumber(t, "/"))), "/V/")
	token, number, _ := strings.Cut(qs, "/")
	rc := post(t, ts, views.ReceiptsPath, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"kind": {"qr"}, "token": {token}, "number": {number}}.Encode()))
	if rc.status != 303 {
		t.Fatalf("make a receipt: %d %s", rc.status, rc.body)
	}
	pages = append(pages, [2]string{"_receipt", rc.header.Get("Location")})
	for _, p := range pages {
		for _, prefix := range []string{"", "/en"} {
			for _, w := range []int{320, 360} {
				phoneCheck(ctx, t, ts.URL+prefix+p[1], w, dir, fmt.Sprintf("narrow%d%s%s.png", w, shotName(prefix), p[0]))
				if p[1] != "/statistics" {
					continue
				}
				// Chart labels as drawn: the font size times the SVG's
				// scale on this screen.
				px, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`Array.from(document.querySelectorAll(".chart svg text")).map(e => { const svg = e.ownerSVGElement; return parseFloat(getComputedStyle(e).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width })`))
				if err != nil || len(px) == 0 {
					t.Fatalf("chart labels: %v %v", px, err)
				}
				if smallest := slices.Min(px); smallest < 12 {
					t.Errorf("%s statistics at %d px: chart text %.1f px high, want at least 12", prefix, w, smallest)
				}
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+prefix+p[1])); err != nil {
				t.Fatal(err)
			}
			for _, v := range browsertest.Axe(ctx, t) {
				t.Errorf("%s: axe: %s", prefix+p[1], v)
			}
		}
	}
	// The batch results: one certificate per card.
	lines := []string{sampleNumber(t, "valid"), sampleNumber(t, "revoked"), sampleNumber(t, "suspended"), sampleNumber(t, "/"), "NOPE-0001", "<bad>"}
	for _, prefix := range []string{"", "/en"} {
		for _, w := range []int{320, 360} {
			err := chromedp.Do(ctx,
				chromedp.EmulateViewport(int64(w), 640, chromedp.EmulateMobile, chromedp.EmulateScale(1)),
				chromedp.Navigate(ts.URL+prefix+views.VerifyBatchPath),
				chromedp.SetValue(chromedp.CSS("#b-lines"), strings.Join(lines, "\n")),
				chromedp.Click(chromedp.CSS(`button[value="html"]`)),
				chromedp.WaitVisible(chromedp.CSS("#results-h")),
			)
			if err != nil {
				t.Fatal(err)
			}
			checkOverflow(ctx, t, prefix+" batch results", w, dir, fmt.Sprintf("narrow%d%s_batch.png", w, shotName(prefix)))
			// Each row is a card of its own: as wide as the list, one
			// above the other.
			cards, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`Array.from(document.querySelectorAll("table.batch tbody tr")).map(r => r.getBoundingClientRect().width)`))
			if err != nil || len(cards) != len(lines) {
				t.Fatalf("batch cards: %v %v", cards, err)
			}
			for _, cw := range cards {
				if cw > float64(w) || cw < float64(w)/2 {
					t.Errorf("%s batch at %d px: a card %.0f px wide", prefix, w, cw)
				}
			}
			if w == 360 {
				for _, v := range browsertest.Axe(ctx, t) {
					t.Errorf("%s batch: axe: %s", prefix, v)
				}
			}
		}
	}
}

// Each verdict at 360 × 640: the verdict word, and for a registered
// certificate the holder, level and expiry (and, when it is not valid,
// since when and why) stand on the first screen.
func TestBrowserVerdictFirstScreen(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 100000})
	ctx := browsertest.New(t)
	for _, k := range verdictKinds(t, s) {
		for _, prefix := range []string{"", "/en"} {
			err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(1)), chromedp.Navigate(ts.URL+prefix+k[1]))
			if err != nil {
				t.Fatal(err)
			}
			res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
				verdict: Array.from(document.querySelectorAll(".verdict-panel .badge-big")).map(e => [e.innerText, e.getBoundingClientRect().bottom + scrollY]),
				facts: Array.from(document.querySelectorAll(".verdict-panel dl.summary-list dt")).map(e => [e.innerText, e.nextElementSibling.innerText, e.nextElementSibling.getBoundingClientRect().bottom + scrollY]),
				qr: document.querySelectorAll("a[href*='/qr/']").length,
				note: (document.querySelector(".verdict-panel .verdict-note") || {}).innerText || ""
			})`))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Verdict [][2]any `json:"verdict"`
				Facts   [][3]any `json:"facts"`
				QR      int      `json:"qr"`
				Note    string   `json:"note"`
			}
			if err := json.Unmarshal([]byte(res), &m); err != nil {
				t.Fatal(err)
			}
			what := prefix + " " + k[0]
			if len(m.Verdict) != 1 || m.Verdict[0][1].(float64) > 640 {
				t.Errorf("%s: verdict word not on the first screen: %v", what, m.Verdict)
			}
			if m.QR != 0 {
				t.Errorf("%s: the verdict page offers %d QR downloads", what, m.QR)
			}
			wantFacts := map[string]int{"valid": 3, "expired": 4, "suspended": 5, "revoked": 5, "withdrawn": 5}[k[0]]
			if len(m.Facts) != wantFacts {
				t.Errorf("%s: %d facts in the panel, want %d: %v", what, len(m.Facts), wantFacts, m.Facts)
			}
			for _, f := range m.Facts {
				if f[2].(float64) > 640 || strings.TrimSpace(f[1].(string)) == "" {
					t.Errorf("%s: %q = %q ends at %.0f px, below the first screen", what, f[0], f[1], f[2])
				}
			}
			if k[0] == "damaged" && m.Note == "" {
				t.Errorf("%s: the panel does not say why", what)
			}
		}
	}
}

// The whole path at 360 px, in both languages: search 宁波 → a
// certificate → its QR code, read from the screen, opens the verdict page
// it links to → the verdict shows holder, level and expiry on the first
// screen → a receipt made from the certificate page shows the same, and
// again when opened later.
func TestBrowserReviewerPath(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	_, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 100000})
	ctx := browsertest.New(t)
	dir := browsertest.ArtefactDir(t)
	for _, prefix := range []string{"", "/en"} {
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(1)),
			chromedp.Navigate(ts.URL+prefix+"/"),
			chromedp.SendKeys(chromedp.CSS("#home-q"), "宁波"),
			chromedp.Submit(chromedp.CSS("#home-q")),
			chromedp.WaitVisible(chromedp.CSS("#results-h")),
			chromedp.Click(chromedp.CSS("ul.results li a.num")),
			chromedp.WaitVisible(chromedp.CSS(".status-panel .badge-big")),
		)
		if err != nil {
			t.Fatal(err)
		}
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if !strings.Contains(loc, prefix+"/certificates/") {
			t.Fatalf("%s: the result opened %s", prefix, loc)
		}
		checkOverflow(ctx, t, prefix+" certificate page", 360, dir, "path"+shotName(prefix)+"_certificate.png")
		holder, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".status-panel dd.holder")))
		if !strings.Contains(holder, "宁波") {
			t.Errorf("%s: status box holder %q", prefix, holder)
		}
		// The QR code as drawn on the screen reads back to the verdict
		// page the "verify" link opens.
		shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(".qr-svg")))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		content, err := qrimage.Decode(img)
		if err != nil {
			t.Fatalf("%s: the QR code on the certificate page does not read: %v", prefix, err)
		}
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".cert-actions a[rel=nofollow]").getAttribute("href")`))
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.ToUpper(testBase) + strings.TrimPrefix(href, prefix); content != want {
			t.Errorf("%s: the QR code reads %q, the verify link is %q", prefix, content, href)
		}
		if !strings.HasPrefix(href, prefix+"/V/") {
			t.Errorf("%s: verify link %q", prefix, href)
		}
		// Follow it.
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".cert-actions a[rel=nofollow]")), chromedp.WaitVisible(chromedp.CSS(".verdict-panel .badge-big")))
		if err != nil {
			t.Fatal(err)
		}
		checkOverflow(ctx, t, prefix+" verdict page", 360, dir, "path"+shotName(prefix)+"_verdict.png")
		facts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".verdict-panel dl.summary-list dd")).filter(e => e.getBoundingClientRect().bottom + scrollY <= 640).map(e => e.innerText)`))
		if err != nil || len(facts) < 3 || facts[0] != holder {
			t.Errorf("%s: first screen of the verdict page shows %q (holder %q), %v", prefix, facts, holder, err)
		}
		verdict, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".verdict-panel .badge-big")))
		// Back to the certificate page: make a receipt there.
		err = chromedp.Do(ctx,
			chromedp.Navigate(loc),
			chromedp.WaitVisible(chromedp.CSS(".cert-actions button")),
			chromedp.Click(chromedp.CSS(".cert-actions button")),
			chromedp.WaitVisible(chromedp.CSS("article.receipt")),
		)
		if err != nil {
			t.Fatal(err)
		}
		receiptURL, _ := chromedp.Run(ctx, chromedp.Location())
		if !regexp.MustCompile(prefix + `/receipts/[A-Z2-7]{16}$`).MatchString(receiptURL) {
			t.Fatalf("%s: receipt at %s", prefix, receiptURL)
		}
		checkOverflow(ctx, t, prefix+" receipt", 360, dir, "path"+shotName(prefix)+"_receipt.png")
		for range 2 { // as made, then opened again later
			badge, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".receipt .badge-big")))
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("article.receipt")))
			if strings.TrimSpace(badge) != strings.TrimSpace(verdict) || !strings.Contains(body, holder) {
				t.Errorf("%s: receipt shows %q, the verdict was %q for %q", prefix, badge, verdict, holder)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(receiptURL), chromedp.WaitVisible(chromedp.CSS("article.receipt"))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The language switch is remembered: after choosing English, "/" opens
// in English for a browser that prefers Chinese; after choosing Chinese
// again, in Chinese. The cookie holds the choice and nothing else.
func TestBrowserLanguageRemembered(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	_, ts := newTestSite(t)
	ctx := browsertest.New(t)
	lang := func() string {
		l, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/certificates"), chromedp.Click(chromedp.CSS("a.lang-switch")), chromedp.WaitReady(chromedp.CSS(`html[lang="en"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if l := lang(); l != "en" || !strings.HasSuffix(loc, "/en/") {
		t.Errorf("after choosing English, / opened %s in %q", loc, l)
	}
	cookie, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	if cookie != "certreg_lang=en" {
		t.Errorf("cookie %q, want only the choice", cookie)
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("a.lang-switch")), chromedp.WaitReady(chromedp.CSS(`html[lang="zh-CN"]`)),
		chromedp.Navigate(ts.URL+"/"), chromedp.WaitReady(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if l := lang(); l != "zh-CN" {
		t.Errorf("after choosing Chinese, / opened in %q", l)
	}
}
