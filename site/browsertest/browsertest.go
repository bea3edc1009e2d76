// Package browsertest starts Debian's headless Chromium for tests that need
// a real browser: what a page looks like at 360 px, whether it scrolls
// sideways, what axe-core finds. Any package's tests can use it.
//
// Tests skip when Chromium is absent, except when the environment has
// CI=true: there a missing browser fails the test, so that CI cannot pass
// by skipping. A package that calls Report from its TestMain says, at the
// end of `go test`, which browser tests skipped and why, on the terminal:
// go test prints nothing else of a package that passes.
//
// axe-core is the npm package, not vendored: AxeSource looks for
// axe.min.js at $AXE_CORE_JS (a file), then in node_modules/axe-core/ in
// $AXE_CORE_DIR, the current directory and each parent, /work/axe and the
// system's node folders. Install it with
//
//	npm install --prefix DIR axe-core   # then AXE_CORE_DIR=DIR
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// inCI reports whether the tests run in CI, where nothing may be skipped.
func inCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail skips the test locally, noting why for Report, and fails it
// in CI.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf("CI=true: "+format, args...)
	}
	why := fmt.Sprintf(format, args...)
	skipped.Lock()
	skipped.tests = append(skipped.tests, t.Name())
	skipped.why = append(skipped.why, why)
	skipped.Unlock()
	t.Skip(why)
}

// skipped are the browser tests skipped so far, and why.
var skipped struct {
	sync.Mutex
	tests, why []string
}

// Report writes which browser tests were skipped and why, if any were, to
// the terminal, so that it shows among go test's summary lines (which hide
// everything a passing package prints) rather than only with -v. Without
// a terminal (CI, where skipping fails instead) it writes to stderr. Call
// it from TestMain after m.Run.
func Report(pkg string) {
	skipped.Lock()
	defer skipped.Unlock()
	if len(skipped.tests) == 0 {
		return
	}
	reasons := slices.Compact(slices.Sorted(slices.Values(skipped.why)))
	msg := fmt.Sprintf("%s: %d browser tests skipped (%s): %s\n", pkg, len(skipped.tests),
		strings.Join(reasons, "; "), strings.Join(skipped.tests, ", "))
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		tty.WriteString(msg)
		return
	}
	os.Stderr.WriteString(msg)
}

// chromium returns the browser's path, or "" if there is none.
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat(ChromiumPath); err == nil {
		return ChromiumPath
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// New starts a headless Chromium with a fresh profile for the test and
// returns a context for chromedp actions in one tab. The browser stops when
// the test ends. Every action under the context times out after a minute.
func New(t testing.TB) context.Context {
	t.Helper()
	path := chromium()
	if path == "" {
		skipOrFail(t, "no Chromium at %s (apt-get install chromium fonts-noto-cjk)", ChromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		// A Chinese reviewer's browser: sites that pick a language from
		// Accept-Language answer in Chinese.
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// Generous: a shared 2-core CI machine runs the other packages' tests
	// beside this one, and a stuck browser must still end the test.
	ctx, cancelTime := context.WithTimeout(ctx, 6*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		if inCI() {
			t.Fatalf("start Chromium: %v", err)
		}
		skipOrFail(t, "cannot start Chromium: %v", err)
	}
	return ctx
}

// Screenshot loads url in a viewport width px wide (a phone: 360), saves a
// full-page PNG as name in dir (the test's artefact folder, e.g. from
// ArtefactDir), and returns the page's horizontal overflow in CSS pixels:
// how much wider than the viewport the document is. 0 means no sideways
// scrolling.
func Screenshot(ctx context.Context, t testing.TB, url string, width int, dir, name string) (overflow int) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(int64(width), 800, chromedp.EmulateMobile, chromedp.EmulateScale(1)),
		chromedp.Navigate(url),
	)
	if err != nil {
		t.Fatalf("load %s at %d px: %v", url, width, err)
	}
	// Against the emulated width, not innerWidth: a mobile browser widens
	// its layout viewport to fit an over-wide page, and innerWidth with it.
	overflow, err = chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`Math.max(document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth) - %d`, width)))
	if err != nil {
		t.Fatalf("measure %s: %v", url, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", url, err)
	}
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return overflow
}

// ArtefactDir returns a folder for screenshots: $BROWSERTEST_OUT when set
// (so that a person can look at them after the run), else a temporary one.
func ArtefactDir(t testing.TB) string {
	if d := os.Getenv("BROWSERTEST_OUT"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// AxeSource returns the source of axe-core's axe.min.js.
func AxeSource() (string, error) {
	var candidates []string
	if f := os.Getenv("AXE_CORE_JS"); f != "" {
		candidates = append(candidates, f)
	}
	rel := filepath.Join("node_modules", "axe-core", "axe.min.js")
	if d := os.Getenv("AXE_CORE_DIR"); d != "" {
		candidates = append(candidates, filepath.Join(d, rel), filepath.Join(d, "axe.min.js"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidates = append(candidates, filepath.Join(d, rel))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	candidates = append(candidates, filepath.Join("/work/axe", rel), "/usr/lib/node_modules/axe-core/axe.min.js",
		"/usr/local/lib/node_modules/axe-core/axe.min.js", "/usr/share/nodejs/axe-core/axe.min.js")
	for _, c := range candidates {
		if b, err := os.ReadFile(c); err == nil {
			return string(b), nil
		}
	}
	return "", errors.New("axe-core not found: set AXE_CORE_JS to axe.min.js or AXE_CORE_DIR to a folder with node_modules/axe-core (npm install --prefix DIR axe-core)")
}

// Violation is one rule axe-core found broken on a page.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// String writes the violation for a test's failure: its rule, impact and
// the elements at fault.
func (v Violation) String() string {
	var where []string
	for i, n := range v.Nodes {
		if i == 3 {
			where = append(where, fmt.Sprintf("… %d more", len(v.Nodes)-3))
			break
		}
		where = append(where, fmt.Sprint(n.Target))
	}
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, ", "))
}

// Axe runs axe-core on the page the tab shows now and returns its
// violations of impact serious or critical. The script is injected through
// the DevTools protocol, so the page's Content-Security-Policy stays as
// strict as it is in production.
func Axe(ctx context.Context, t testing.TB) []Violation {
	t.Helper()
	src, err := AxeSource()
	if err != nil {
		skipOrFail(t, "%v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var all []Violation
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("axe-core result: %v", err)
	}
	var bad []Violation
	for _, v := range all {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, v)
		}
	}
	return bad
}
