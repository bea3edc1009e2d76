package site

import (
	"net/url"
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
