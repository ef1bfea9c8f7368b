package web

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium, headless, through chromedp:
// one browser per test, pages one after the other in a phone-sized tab.
// Each page visited is checked with axe-core (testdata/axe) for WCAG 2.1 A
// and AA, its console is watched for Content Security Policy violations and
// uncaught exceptions, a phone's page must not scroll horizontally on
// either of phoneSizes, and the tests that keep screenshots keep a PNG of
// each page at each size under $ESPAI_ARTIFACTS/screenshots/<test>
// (default testdata/artifacts at the repository root, which git ignores).
//
// Without Chromium the tests skip, unless ESPAI_REQUIRE_CHROMIUM=1 (as in
// `make test`, which installs it): then they fail.

// A phone: the viewport of the journeys.
const (
	phoneWidth, phoneHeight = 390, 844
	phoneUA                 = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"
	// stepTimeout bounds one browser step, so that a hang fails the test
	// with the step's name instead of reaching the package timeout.
	stepTimeout = 20 * time.Second
)

// chromiumPath finds Debian's Chromium on PATH.
func chromiumPath() (string, bool) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// noChromium skips the test, or fails it under ESPAI_REQUIRE_CHROMIUM=1.
func noChromium(t *testing.T) {
	t.Helper()
	msg := "no chromium or chromium-browser on PATH: install Debian's chromium (apt-get install chromium; `make test` does) to run the browser tests"
	if os.Getenv("ESPAI_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg + " (ESPAI_REQUIRE_CHROMIUM=1)")
	}
	t.Skip(msg)
}

// chrome is the test's headless Chromium.
type chrome struct {
	ctx     context.Context
	done    chan struct{} // closed when the browser has started, or failed to
	err     error
	missing bool // no Chromium on this machine
}

// newChrome starts one headless Chromium for the test, in the background
// (it takes a second or two, while the test builds its deployment), and
// closes it when the test ends. Without Chromium, the test skips (or fails)
// at its first tab.
func newChrome(t *testing.T) *chrome {
	t.Helper()
	c := &chrome{done: make(chan struct{})}
	path, ok := chromiumPath()
	if !ok {
		c.missing = true
		close(c.done)
		return c
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		// Tests run as root in CI, where Chromium's sandbox cannot start;
		// the browser only loads this test's own pages on 127.0.0.1.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// The machine has no network but loopback: keep Chromium from
		// reaching out (updates, QUIC probes, field trials).
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "ca"),
		chromedp.Flag("accept-lang", "ca-ES,ca"),
		chromedp.WindowSize(phoneWidth, phoneHeight),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	c.ctx = ctx
	t.Cleanup(func() {
		<-c.done // let a browser still starting finish before closing it
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser, with no deadline: a deadline on it
	// would bound the browser's life.
	go func() {
		c.err = chromedp.Do(ctx)
		close(c.done)
	}()
	return c
}

// ready waits until the browser has started.
func (c *chrome) ready(t *testing.T) context.Context {
	t.Helper()
	<-c.done
	if c.missing {
		noChromium(t)
	}
	if c.err != nil {
		t.Fatalf("start chromium: %v", c.err)
	}
	return c.ctx
}

// tab is one browser tab emulating a phone, with its checks.
type tab struct {
	t       *testing.T
	ctx     context.Context
	base    string
	shots   *shotDir // where the tab keeps a screenshot of each page checked; nil: none
	scale   float64  // device pixels per CSS pixel
	desktop bool     // a desktop screen, not a phone
	// width and height are the tab's screen, in CSS pixels, which check
	// comes back to after trying the other phone sizes.
	width, height int64

	mu       sync.Mutex
	problems []string // CSP violations and uncaught exceptions seen
}

// newTab opens a tab on the test's browser, emulating a phone of width×height
// CSS pixels. A tab that keeps screenshots renders at 2 device pixels per
// CSS pixel, for legible pictures; the others at 1, which is faster.
func newTab(t *testing.T, browser *chrome, base string, width, height int64, screenshots bool) *tab {
	t.Helper()
	return openTab(t, browser, base, tabOptions{width: width, height: height, screenshots: screenshots})
}

// tabOptions say what a tab emulates: a phone (default) or a desktop, in the
// browser's default context or in a context of its own (own cookies and
// storage: another person at another device).
type tabOptions struct {
	width, height int64
	screenshots   bool
	// scale is the device pixels per CSS pixel; 0: 2 in a tab that keeps
	// screenshots (legible pictures), 1 otherwise (faster).
	scale    float64
	desktop  bool
	isolated bool
}

// desktopUA is the user agent of desktop tabs: staff at their desks.
const desktopUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

func openTab(t *testing.T, browser *chrome, base string, o tabOptions) *tab {
	t.Helper()
	var copts []chromedp.ContextOption
	if o.isolated {
		copts = append(copts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(browser.ready(t), copts...)
	width, height, screenshots := o.width, o.height, o.screenshots
	t.Cleanup(cancel)
	// Open the tab with no deadline: the first Run binds the tab's life to
	// its context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	tb := &tab{t: t, ctx: ctx, base: base, scale: 1, desktop: o.desktop, width: width, height: height}
	ua := phoneUA
	if o.desktop {
		ua = desktopUA
	}
	if screenshots {
		tb.shots, tb.scale = screenshotDir(t), 2
	}
	if o.scale > 0 {
		tb.scale = o.scale
	}
	tb.resize(width, height)
	tb.do("emulate a phone's browser",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "ca-ES,ca"})
			return err
		}),
	)
	// axe-core in every document the tab loads, through the DevTools
	// protocol, so the page's CSP stays as it is.
	src, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	tb.do("add axe-core", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				tb.mu.Lock()
				tb.problems = append(tb.problems, fmt.Sprintf("%s %s:%d: %s", m.Type, m.URL, m.Line+1, m.Text))
				tb.mu.Unlock()
			}
		}
	}()
	return tb
}

// resize emulates a phone screen of width×height CSS pixels, with touch (or
// a desktop screen, for desktop tabs).
func (tb *tab) resize(width, height int64) {
	tb.t.Helper()
	if tb.desktop {
		tb.do(fmt.Sprintf("emulate a %dx%d desktop", width, height), chromedp.EmulateViewport(width, height, chromedp.EmulateScale(tb.scale)))
		return
	}
	tb.do(fmt.Sprintf("emulate a %dx%d phone", width, height),
		chromedp.EmulateViewport(width, height, chromedp.EmulateScale(tb.scale), chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// do runs browser steps, failing the test with the step's name.
func (tb *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", step, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluate %.60q: %v", expr, err)
	}
	return v
}

// open navigates to a path of the test server.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do("open "+path, chromedp.Navigate(tb.base+path))
}

// follow taps an element that leads to another page (a link, a submit
// button) and waits for that page.
func (tb *tab) follow(sel string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Tap(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("tap %s: %v", sel, err)
	}
	if resp != nil && resp.Status >= 400 {
		tb.t.Fatalf("tap %s: %s answered %d", sel, resp.URL, resp.Status)
	}
}

// path is the path of the page shown.
func (tb *tab) path() string {
	tb.t.Helper()
	return eval[string](tb, `location.pathname + location.search`)
}

// count is how many elements match a CSS selector.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// text is the text of the first element that matches a CSS selector.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel))
}

// waitFor waits until a JavaScript condition holds.
func (tb *tab) waitFor(what, cond string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		tb.t.Fatalf("wait for %s: %v", what, err)
	}
}

// phoneSizes are the screens, in CSS pixels, every page shown on a phone
// must fit without horizontal scrolling: a small Android phone and a
// current iPhone.
var phoneSizes = [][2]int64{{360, 640}, {390, 844}}

// check runs the checks every page must pass: a clean console,
// accessibility, and at each screen size no horizontal scrolling, keeping a
// screenshot under name at each size in a tab that keeps them. A phone
// tab's sizes are phoneSizes (its own first if it is not one of them), a
// desktop tab's its own; the tab is back at its own size afterwards.
//
// axe-core runs once, at the tab's own size: the citizen's stylesheet has
// no breakpoint between the phone sizes, so the other would give the same
// answer at a cost of up to a second per page.
func (tb *tab) check(name string) {
	tb.t.Helper()
	tb.consoleClean(name)
	tb.accessible(name)
	sizes := [][2]int64{{tb.width, tb.height}}
	if !tb.desktop {
		for _, sz := range phoneSizes {
			if sz != sizes[0] {
				sizes = append(sizes, sz)
			}
		}
	}
	for i, sz := range sizes {
		at := name
		if len(sizes) > 1 {
			at = fmt.Sprintf("%s-%dx%d", name, sz[0], sz[1])
			if i > 0 {
				tb.resize(sz[0], sz[1])
			}
		}
		tb.fits(at)
		if tb.shots != nil {
			tb.screenshot(at)
		}
	}
	if len(sizes) > 1 {
		tb.resize(tb.width, tb.height)
	}
}

func (tb *tab) consoleClean(name string) {
	tb.t.Helper()
	tb.mu.Lock()
	problems := tb.problems
	tb.problems = nil
	tb.mu.Unlock()
	for _, p := range problems {
		tb.t.Errorf("%s: console: %s", name, p)
	}
}

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

// axeTags are the rule sets run on every page: WCAG 2.0 and 2.1, A and AA.
const axeRun = `axe.run(document, {
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
	resultTypes: ['violations'],
}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help,
	nodes: v.nodes.map(n => n.target.join(' ')),
})))`

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// accessible runs axe-core on the page and fails on any serious or
// critical WCAG 2.1 A/AA violation; lesser ones are logged.
func (tb *tab) accessible(name string) {
	tb.t.Helper()
	if !eval[bool](tb, `typeof window.axe === 'object'`) {
		tb.t.Fatalf("%s: axe-core is not in the page", name)
	}
	for _, v := range eval[[]axeViolation](tb, axeRun) {
		msg := fmt.Sprintf("%s: axe %s (%s): %s; nodes: %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, " | "))
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.t.Error(msg)
		} else {
			tb.t.Log(msg)
		}
	}
}

// overflowJS reports the page's width against the viewport's, and the
// elements that stick out to the right.
const overflowJS = `(() => {
	const vw = Math.min(window.innerWidth, document.documentElement.clientWidth);
	const out = [];
	for (const el of document.body.querySelectorAll('*')) {
		const r = el.getBoundingClientRect();
		if (r.width > 0 && r.right > vw + 0.5 && out.length < 5) {
			out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') + ' right=' + Math.round(r.right));
		}
	}
	return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, viewport: vw, wide: out};
})()`

type overflow struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Viewport    int      `json:"viewport"`
	Wide        []string `json:"wide"`
}

// fits fails when the page scrolls horizontally.
func (tb *tab) fits(name string) {
	tb.t.Helper()
	o := eval[overflow](tb, overflowJS)
	if o.ScrollWidth > o.InnerWidth || o.ScrollWidth > o.Viewport {
		tb.t.Errorf("%s: scrolls horizontally: scrollWidth %d > innerWidth %d (viewport %d); too wide: %s",
			name, o.ScrollWidth, o.InnerWidth, o.Viewport, strings.Join(o.Wide, ", "))
		tb.screenshot(name + "-overflow")
	}
}

// screenshot keeps a PNG of the whole page in the test's screenshot
// directory (also from a tab that keeps none, for a page that fails).
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := tb.shots
	if dir == nil {
		dir = screenshotDir(tb.t)
	}
	file := dir.next(name)
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot: %s", file)
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

func safeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-") }

// shotDir is a test's screenshot directory. The test's tabs share it, and
// number their screenshots in one sequence, in the order taken.
type shotDir struct {
	path string
	mu   sync.Mutex
	n    int
}

// next is the file for the next screenshot, of a page called name.
func (d *shotDir) next(name string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	return filepath.Join(d.path, fmt.Sprintf("%02d-%s.png", d.n, safeName(name)))
}

// shotDirs are the screenshot directories of the tests running, by test.
var shotDirs sync.Map // *testing.T → *shotDir

// screenshotDir is this test's screenshot directory,
// $ESPAI_ARTIFACTS/screenshots/<test>, by default under the repository's
// testdata/artifacts; emptied when the test first asks for it.
func screenshotDir(t *testing.T) *shotDir {
	t.Helper()
	if d, ok := shotDirs.Load(t); ok {
		return d.(*shotDir)
	}
	root := os.Getenv("ESPAI_ARTIFACTS")
	if root == "" {
		repo, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		root = filepath.Join(repo, "testdata", "artifacts")
	}
	dir := filepath.Join(root, "screenshots", safeName(t.Name()))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d, _ := shotDirs.LoadOrStore(t, &shotDir{path: dir})
	t.Cleanup(func() { shotDirs.Delete(t) })
	return d.(*shotDir)
}

// repoRoot is the directory of go.mod above the test's directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
}
