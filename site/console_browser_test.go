package site

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/certreg/certreg/accounts"
	"github.com/certreg/certreg/registry"
	"github.com/certreg/certreg/site/browsertest"
)

// TestBrowserConsoleUploadFlow signs in, uploads a CSV, reads the preview
// and confirms it, in headless Chromium. It serves over plain HTTP on
// 127.0.0.1: Chromium takes 127.0.0.1 for a secure origin, so the
// __Host- session cookie (Secure) is kept there as it is over HTTPS.
func TestBrowserConsoleUploadFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newConsoleFixture(t)
	ts := httptest.NewServer(f.srv.Handler())
	t.Cleanup(ts.Close)
	ctx := browsertest.New(t)

	csv := "number,holder_name,holder_credit_code,province,city,scheme,score,scope,issue_date,expiry_date,body_approval\n" +
		"A-2025-0500,绍兴样例家电服务有限公司,914403001922038216,浙江,绍兴,AS,95,家电售后服务,2025-06-01,2028-05-31," + approvalA + "\n"
	file := filepath.Join(t.TempDir(), "upload.csv")
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/en/console/login")); err != nil {
		t.Fatal(err)
	}
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("login page: axe: %s", v)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/console/login"),
		chromedp.SendKeys(css("#name"), "alice"),
		chromedp.SendKeys(css("#password"), alicePass),
		chromedp.Click(css("form.narrow button[type=submit]")),
		chromedp.WaitVisible(css(".console-bar")),
	)
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	listH1, _ := chromedp.Run(ctx, chromedp.Text(css("h1")))
	if err != nil {
		t.Fatalf("sign in: %v (at %s, h1 %q)", err, loc, listH1)
	}
	if !strings.HasSuffix(loc, "/console/") || listH1 != "本机构证书" {
		t.Fatalf("after sign-in at %s, h1 %q", loc, listH1)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/console/upload"),
		chromedp.SetUploadFiles(css("#file"), []string{file}),
		chromedp.Click(css("#upload")),
		chromedp.WaitVisible(css("#confirm")),
	)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	// The preview page, the list and a certificate's form pass axe-core,
	// in both languages.
	for _, v := range browsertest.Axe(ctx, t) {
		t.Errorf("upload preview: axe: %s", v)
	}
	created, _ := chromedp.Run(ctx, chromedp.Text(css("#n-created")))
	if created != "1" {
		t.Fatalf("the preview creates %q", created)
	}
	if _, err := f.store.Certificate(context.Background(), "A-2025-0500"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatal("the preview wrote")
	}
	if err := chromedp.Do(ctx, chromedp.Click(css("#confirm")), chromedp.WaitVisible(css(".flash"))); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	flashText, _ := chromedp.Run(ctx, chromedp.Text(css(".flash")))
	if !strings.Contains(flashText, "新建 1 张") {
		t.Fatalf("after confirm: %q", flashText)
	}
	for _, p := range []string{"/console/", "/en/console/", "/console/certificates/" + numberA, "/en/console/certificates/new", "/console/keys", "/en/console/account"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+p)); err != nil {
			t.Fatal(err)
		}
		for _, v := range browsertest.Axe(ctx, t) {
			t.Errorf("%s: axe: %s", p, v)
		}
	}
	c, err := f.store.Certificate(context.Background(), "A-2025-0500")
	if err != nil || c.LevelCode != "five-star" {
		t.Fatalf("confirmed certificate: %v", err)
	}
	hist, _ := f.store.History(context.Background(), c.ID)
	if hist[0].Actor != "alice" || hist[0].Source != "console" || hist[0].RemoteAddr != "127.0.0.1" {
		t.Fatalf("history: %+v", hist[0])
	}
}

// TestBrowserAccountTOTPOff shows the account page of a user with the
// second factor on, whose "turn off" form now asks for the password or a
// code, at 320 and 360 px in both languages: no sideways scrolling, axe
// clean, and turning it off without proof shows the message under the
// field.
func TestBrowserAccountTOTPOff(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newConsoleFixture(t)
	ts := httptest.NewServer(f.srv.Handler())
	t.Cleanup(ts.Close)
	u, err := f.store.UserByName(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := accounts.NewTOTPSecret()
	code, _ := accounts.TOTPCode(secret, *f.now)
	if err := accounts.New(f.store).SetTOTP(context.Background(), registry.Actor{Name: "setup", Source: "cli"}, u.ID, secret, code); err != nil {
		t.Fatal(err)
	}
	*f.now = f.now.Add(time.Minute)
	code, _ = accounts.TOTPCode(secret, *f.now)
	ctx := browsertest.New(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/console/login"),
		chromedp.SendKeys(css("#name"), "alice"),
		chromedp.SendKeys(css("#password"), alicePass),
		chromedp.Click(css("form.narrow button[type=submit]")),
		chromedp.WaitVisible(css("#totp")),
		chromedp.SendKeys(css("#password"), alicePass),
		chromedp.SendKeys(css("#totp"), code),
		chromedp.Click(css("form.narrow button[type=submit]")),
		chromedp.WaitVisible(css(".console-bar")),
	)
	if err != nil {
		t.Fatalf("sign in with a code: %v", err)
	}
	dir := browsertest.ArtefactDir(t)
	for _, lang := range []string{"", "/en"} {
		for _, width := range []int{320, 360} {
			name := fmt.Sprintf("account-totp-off%s-%d.png", strings.ReplaceAll(lang, "/", "-"), width)
			if over := browsertest.Screenshot(ctx, t, ts.URL+lang+"/console/account", width, dir, name); over > 0 {
				t.Errorf("%s/console/account at %d px scrolls sideways by %d px", lang, width, over)
			}
		}
		for _, v := range browsertest.Axe(ctx, t) {
			t.Errorf("%s/console/account: axe: %s", lang, v)
		}
	}
	// Turn off without proof: refused, the message under the field.
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 800),
		chromedp.Navigate(ts.URL+"/en/console/account"),
		chromedp.Click(css(`input[value="disable"] ~ p button`)),
		chromedp.WaitVisible(css("#tm-confirm .field-error")),
	)
	if err != nil {
		t.Fatalf("turn off without proof: %v", err)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(css("#tm-confirm")))
	if !strings.Contains(msg, "enter your current password or the 6-digit code") {
		t.Errorf("message under the field: %q", msg)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		os.WriteFile(filepath.Join(dir, "account-totp-off-refused-360.png"), png, 0o644)
	}
	if got, _ := f.store.UserByName(context.Background(), "alice"); !got.TOTP {
		t.Error("the second factor went off without proof")
	}
}
