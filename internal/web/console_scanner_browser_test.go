package web

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The verifier console in headless Chromium: a request page that follows
// its state by itself (static/verifier.js), and the scanner reading a
// citizen's QR code with a camera (static/scanner.js with the vendored
// jsQR). Chromium's fake camera plays a Y4M video made here of Laia's QR
// code. Every page passes the checks of browser_helpers_test.go: axe-core
// WCAG 2.1 A/AA (serious or critical violations fail), no horizontal
// scrolling on a phone, no CSP violation or uncaught exception.

// Fake camera frames: 640×480 (what getUserMedia gives by default), the
// code at 3 pixels per module (a version-25 code with its quiet zone is 375
// pixels), a few frames looped by Chromium.
const (
	cvVideoWidth, cvVideoHeight = 640, 480
	cvVideoFrames               = 3
	cvModulePixels              = 3
)

// writeY4M writes a YUV4MPEG2 (4:2:0) video of frames identical frames
// showing picture centred on white: luma from the picture's grey levels in
// the video range (16 black, 235 white), chroma neutral (128).
func writeY4M(t *testing.T, path string, picture image.Image, width, height, frames int) {
	t.Helper()
	b := picture.Bounds()
	ox, oy := (width-b.Dx())/2, (height-b.Dy())/2
	if ox < 0 || oy < 0 || width%2 != 0 || height%2 != 0 {
		t.Fatalf("a %dx%d picture does not fit a %dx%d frame", b.Dx(), b.Dy(), width, height)
	}
	luma := bytes.Repeat([]byte{235}, width*height)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.GrayModel.Convert(picture.At(x, y)).(color.Gray).Y
			luma[(oy+y-b.Min.Y)*width+ox+x-b.Min.X] = byte(16 + int(g)*(235-16)/255)
		}
	}
	chroma := bytes.Repeat([]byte{128}, (width/2)*(height/2))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", width, height)
	for range frames {
		w.WriteString("FRAME\n")
		w.Write(luma)
		w.Write(chroma)
		w.Write(chroma)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// newCameraChrome starts headless Chromium as newChrome does, in the
// background, with a fake camera that plays video (a .y4m file, read when a
// page first asks for the camera: the test writes it meanwhile) and grants
// camera access without asking. Without Chromium the test skips (fails
// under ESPAI_REQUIRE_CHROMIUM=1) at its first tab.
func newCameraChrome(t *testing.T, video string) *chrome {
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
		chromedp.NoSandbox, // as in newChrome: root in CI, only this test's pages on 127.0.0.1
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "ca"),
		chromedp.Flag("accept-lang", "ca-ES,ca"),
		chromedp.WindowSize(phoneWidth, phoneHeight),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	c.ctx = ctx
	t.Cleanup(func() {
		<-c.done
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

// cvNoCamera makes the tab's next documents find no usable camera: their
// getUserMedia fails as when the person refuses the permission (the fake
// UI grants every request, so the refusal is simulated here, in the test,
// and not in the page). The returned function lets later documents have the
// camera again.
func cvNoCamera(tb *tab) (restore func()) {
	tb.t.Helper()
	var id cdppage.ScriptIdentifier
	tb.do("refuse the camera", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused by the test', 'NotAllowedError'));`})
		if err == nil {
			id = res.Identifier
		}
		return err
	}))
	return func() {
		tb.t.Helper()
		tb.do("give the camera back", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdppage.RemoveScriptToEvaluateOnNewDocument, cdppage.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: id})
			return err
		}))
	}
}

// cvAwait waits until a JavaScript condition holds on the page shown, across
// the navigations the page makes by itself (a reload, a form submitted by
// script), which chromedp.Poll does not survive.
func cvAwait(tb *tab, what, cond string, limit time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === 'complete' && !!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	tb.t.Fatalf("wait for %s: not within %s (last error %v); page %s: %.600q", what, limit, last, tb.path(), tb.text("main"))
}

// TestConsoleVerifierScannerBrowser: Pere, on the console in Chromium,
// opens a request from a template; Laia answers it on her phone (in
// process) and the page shows the verdict by itself. Then the scanner:
// with the camera denied the page says so; with it allowed, the fake camera
// shows Laia's QR code, the page reads it, submits it and shows it
// accepted; scanning the same code again shows it refused.
func TestConsoleVerifierScannerBrowser(t *testing.T) {
	start := time.Now()
	video := filepath.Join(t.TempDir(), "laia-qr.y4m")
	browser := newCameraChrome(t, video)
	ts, s := serve(t)
	a := s.cfg.App
	ws := cvLaia(t, a)

	// Laia's QR code, on the fake camera.
	qr, err := cvLaiaQR(t, a, ws).Code.PNG(cvModulePixels)
	if err != nil {
		t.Fatal(err)
	}
	picture, err := png.Decode(bytes.NewReader(qr))
	if err != nil {
		t.Fatal(err)
	}
	writeY4M(t, video, picture, cvVideoWidth, cvVideoHeight, cvVideoFrames)

	tb := newTab(t, browser, ts.URL, phoneWidth, phoneHeight, false)

	tb.open("/console/login")
	tb.do("type Pere's login",
		chromedp.SendKeys(chromedp.ID("login"), cvPere),
		chromedp.SendKeys(chromedp.ID("password"), cvPerePassword))
	tb.follow(`form[action="/console/login"] button[type=submit]`)
	if p := tb.path(); p != "/console" {
		t.Fatalf("after the console login: at %s", p)
	}

	tb.open("/console/verifier")
	if tb.count(`li[data-purpose="preinscripcio-escolar"]`) != 1 {
		t.Fatalf("no school pre-enrolment template: %q", tb.text("main"))
	}
	tb.check("verifier-templates")

	tb.follow(`li[data-purpose="preinscripcio-escolar"] button[type=submit]`)
	id, ok := strings.CutPrefix(tb.path(), "/console/verifier/requests/")
	if !ok || tb.count("figure.qr svg") != 1 || !strings.HasPrefix(eval[string](tb, `document.getElementById('uri').value`), "openid4vp://") {
		t.Fatalf("request page: at %s: %q", tb.path(), tb.text("main"))
	}
	tb.check("request-pending")
	cvLaiaAnswers(t, a, ws, id)
	// No click: the page's script sees the state change and reloads.
	cvAwait(tb, "the answered request", `document.querySelector('[data-outcome="accepted"]')`, 30*time.Second)
	if tb.count(`[data-ok="false"]`) != 0 || tb.count(`[data-claim="municipality"]`) != 1 || tb.count("figure.qr") != 0 {
		t.Fatalf("answered request: %q", tb.text("main"))
	}
	tb.check("request-accepted")

	tb.open("/console/verifier/requests")
	if tb.count(fmt.Sprintf(`tr[data-request=%q][data-state="accepted"]`, id)) != 1 {
		t.Fatalf("the request is not listed as accepted: %q", tb.text("main"))
	}
	tb.check("requests")

	// The scanner without the camera: the page says so, paste and upload remain.
	restore := cvNoCamera(tb)
	tb.open("/console/verifier/scan")
	cvAwait(tb, "the camera refused", `!document.getElementById('scanner-start').hidden`, 30*time.Second)
	if st := tb.text("#scanner-status"); !strings.Contains(st, "permís") {
		t.Fatalf("camera refused: status %q", st)
	}
	tb.check("scan-no-camera")

	// With the camera: it reads Laia's code and the verdict is shown.
	restore()
	tb.open("/console/verifier/scan")
	cvAwait(tb, "the scanned verdict", `document.querySelector('[data-outcome]')`, 30*time.Second)
	if p := tb.path(); p != "/console/verifier/scan" || tb.count(`[data-outcome="accepted"]`) != 1 || tb.count(`[data-ok="false"]`) != 0 || tb.count(`[data-claim="municipality"]`) != 1 {
		t.Fatalf("camera scan: at %s: %q", p, tb.text("main"))
	}
	if !strings.Contains(tb.text(`main`), "Girona") {
		t.Fatalf("the municipality is not shown: %q", tb.text("main"))
	}
	tb.check("scan-accepted")

	// The same code again: the camera reads it, the verifier refuses it.
	tb.follow(`a[data-again]`)
	cvAwait(tb, "the second scan's verdict", `document.querySelector('[data-outcome]')`, 30*time.Second)
	if tb.count(`[data-outcome="refused"]`) != 1 || tb.count(`[data-check="nonce"][data-ok="false"]`) != 1 || tb.count("[data-reason]") != 1 {
		t.Fatalf("replayed code: %q", tb.text("main"))
	}
	tb.check("scan-replayed")
	t.Logf("browser journey: %s", time.Since(start).Round(time.Millisecond))
}
