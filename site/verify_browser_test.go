package site

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/certreg/certreg/site/browsertest"
)

// A reviewer scans a certificate's QR code: the verdict page shows the
// badge at once, reads at phone width, passes axe-core; a receipt made from
// it prints on one A4 page without the site's navigation.
func TestBrowserVerdictAndReceipt(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s, ts := verifySite(t, demoRegistry(t), Limits{LookupBurst: 1000})
	ctx := browsertest.New(t)
	dir := browsertest.ArtefactDir(t)

	valid := pathOf(qrURL(t, s, sampleNumber(t, "valid")))
	revoked := pathOf(qrURL(t, s, sampleNumber(t, "revoked")))
	pages := []string{valid, revoked, pathOf(foreignKeyURL(t, s, sampleNumber(t, "valid"))), "/verify", "/verify/batch"}
	for _, p := range pages {
		for _, prefix := range []string{"", "/en"} {
			url := ts.URL + prefix + p
			if over := browsertest.Screenshot(ctx, t, url, 360, dir, "verify"+shotName(prefix+p[:min(len(p), 20)])+".png"); over > 0 {
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

	err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+valid), chromedp.WaitVisible(chromedp.CSS(".verdict-panel .badge-big")))
	if err != nil {
		t.Fatal(err)
	}
	badge, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".verdict-panel .badge-big")))
	if err != nil || strings.TrimSpace(badge) != "有效" {
		t.Fatalf("badge %q, %v", badge, err)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(ts.URL+revoked), chromedp.WaitVisible(chromedp.CSS(".verdict-panel .badge-big")))
	if err != nil {
		t.Fatal(err)
	}
	if badge, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".verdict-panel .badge-big"))); strings.TrimSpace(badge) != "撤销" {
		t.Errorf("revoked badge %q", badge)
	}

	// Make a receipt: no JavaScript, a plain form.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(".receipt-form button")),
		chromedp.WaitVisible(chromedp.CSS("article.receipt")),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !regexp.MustCompile(`/receipts/[A-Z2-7]{16}$`).MatchString(loc) {
		t.Fatalf("receipt at %s", loc)
	}
	if badge, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".receipt .badge-big"))); strings.TrimSpace(badge) != "撤销" {
		t.Errorf("receipt badge %q", badge)
	}
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("receipt: axe: %s", v)
	}
	qrLoaded, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("img.receipt-qr").complete && document.querySelector("img.receipt-qr").naturalWidth > 0`))
	if !qrLoaded {
		t.Error("the receipt's QR image did not load")
	}

	// Print preview: in print media the navigation is gone and the receipt
	// stays; printed on A4 it takes one page.
	printMedia := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})
	if err := chromedp.Do(ctx, printMedia); err != nil {
		t.Fatal(err)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(dir, "receipt-print.png"), shot, 0o644)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`["header.site-header", "nav.site-nav", ".receipt-form", "article.receipt", ".verdict-panel", "img.receipt-qr"].map(s => { const e = document.querySelector(s); return s + "=" + (e ? getComputedStyle(e).display : "absent") })`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"header.site-header": false, "nav.site-nav": false, "article.receipt": true, ".verdict-panel": true, "img.receipt-qr": true}
	for _, kv := range shown {
		sel, display, _ := strings.Cut(kv, "=")
		if w, ok := want[sel]; ok && w != (display != "none" && display != "absent") {
			t.Errorf("print media: %s has display %s", sel, display)
		}
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "receipt.pdf"), pdf, 0o644)
	if pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)); pages != 1 {
		t.Errorf("the receipt prints on %d pages, want 1", pages)
	}
}
