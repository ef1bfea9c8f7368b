package web

import (
	"bytes"
	"context"

	"image"
	"image/draw"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/espai/espai/internal/apptest"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// TestBrowserWholeJourney is the product end to end, in two browser
// contexts of one headless Chromium: a desktop at the Ajuntament de Girona
// and Laia's phone, then the auditor's desktop. The clerk opens a request
// for proof of residence; the phone reads the QR code off the clerk's screen
// and opens it; Laia approves; the clerk's screen shows the verdict without
// a click; Laia finds the exchange with its receipt verified; the auditor
// verifies the ledger and sees the exchange counted.
func TestBrowserWholeJourney(t *testing.T) {
	browser := newChrome(t)
	ts, _ := serve(t)

	// The auditor's figures before.
	auditor := openTab(t, browser, ts.URL, tabOptions{width: 1280, height: 900, screenshots: true, desktop: true, isolated: true})
	auditor.consoleSignIn("elena.marti", "elena-demo-2026")
	auditor.open("/console/audit/stats")
	exchangesBefore := eval[int](auditor, `+document.querySelector('[data-chart="admin"]').dataset.total`)
	consentsBefore := eval[int](auditor, `+document.querySelector('[data-consents-given]').dataset.consentsGiven`)

	// The clerk opens a request from the school-admission template.
	desk := openTab(t, browser, ts.URL, tabOptions{width: 1280, height: 900, screenshots: true, desktop: true, isolated: true})
	desk.consoleSignIn("pere.vila", "pere-demo-2026")
	desk.follow(`nav.menu a[href="/console/verifier"]`)
	desk.check("staff-templates")
	desk.follow(`li[data-purpose="preinscripcio-escolar"] form button[type=submit]`)
	if desk.count(`#live[data-state="pending"]`) != 1 || desk.count("figure.qr svg") != 1 {
		t.Fatalf("the request page shows no pending request with a QR code: %q", desk.text("main"))
	}
	desk.check("staff-request-qr")

	// The phone reads the code on the clerk's screen.
	link, err := url.Parse(desk.readQR("figure.qr svg"))
	if err != nil || link.Scheme != "http" || link.Path != "/requests" || link.Query().Get("request_uri") == "" {
		t.Fatalf("the QR code holds %v (%v), want a link to the citizen space's request page", link, err)
	}

	// The phone's camera opens the link it read: the citizen logs in and
	// lands on the request.
	phone := openTab(t, browser, ts.URL, tabOptions{width: phoneWidth, height: phoneHeight, screenshots: true, isolated: true})
	// (The deployment's public URL is fixed in tests; the server is at ts.URL.)
	phone.open(link.RequestURI())
	if p := phone.path(); p != "/login" {
		t.Fatalf("a logged-out phone opening the link is at %s, want the login", p)
	}
	phone.do("type the DNI and passphrase",
		chromedp.SendKeys(chromedp.ID("citizen"), apptest.Laia),
		chromedp.SendKeys(chromedp.ID("passphrase"), apptest.LaiaPassphrase))
	phone.follow(`form[action="/login"] button[type=submit]`)
	if p := phone.path(); !strings.HasPrefix(p, "/requests?client_id=") {
		t.Fatalf("after login the phone is at %s, want the request", p)
	}
	if who := phone.text("main section"); !strings.Contains(who, "Ajuntament de Girona") || !strings.Contains(who, "Llei 12/2009") {
		t.Fatalf("the phone does not show who asks and why: %q", who)
	}
	phone.check("phone-request")
	phone.follow(`form[action="/requests/approve"] button[type=submit]`)
	if phone.count(`[data-outcome="accepted"]`) != 1 {
		t.Fatalf("not accepted on the phone: %q", phone.text("main"))
	}
	phone.check("phone-approved")

	// The clerk's screen updates by itself.
	desk.waitAcrossReloads("the verdict on the clerk's screen", `document.querySelector('section.verdict[data-outcome="accepted"]') !== null`)
	if n, ok := desk.count(`li[data-check][data-ok="true"]`), desk.count(`li[data-check][data-ok="false"]`); n < 5 || ok != 0 {
		t.Fatalf("verdict checks: %d passed, %d failed", n, ok)
	}
	if !strings.Contains(desk.text("section.verdict"), "Girona") {
		t.Fatalf("the verdict lacks the municipality: %q", desk.text("section.verdict"))
	}
	desk.check("staff-verdict")

	// Laia sees the exchange, its receipt verified in place.
	phone.follow(`nav.menu a[href="/data"]`)
	if !eval[bool](phone, `[...document.querySelectorAll('main li.card')].some(li =>
		li.textContent.includes("Ajuntament de Girona") && li.textContent.includes("Preinscripció escolar") &&
		li.querySelector('[data-verified="true"]') !== null)`) {
		t.Fatalf("the exchange is not in Who used my data, verified: %q", phone.text("main"))
	}
	phone.check("phone-data")

	// The auditor verifies the ledger and sees the exchange counted.
	auditor.open("/console/audit")
	auditor.check("auditor-ledger")
	auditor.follow(`form[action="/console/audit/verify"] button[type=submit]`)
	if auditor.count(`[data-audit^="passed"]`) != 1 || auditor.count(`[data-check-state="fail"]`) != 0 {
		t.Fatalf("verify now: %q", auditor.text("main"))
	}
	auditor.check("auditor-verified")
	auditor.open("/console/audit/stats")
	if got := eval[int](auditor, `+document.querySelector('[data-chart="admin"]').dataset.total`); got != exchangesBefore+1 {
		t.Fatalf("exchanges counted: %d, before %d", got, exchangesBefore)
	}
	if got := eval[int](auditor, `+document.querySelector('[data-consents-given]').dataset.consentsGiven`); got != consentsBefore+1 {
		t.Fatalf("consents counted: %d, before %d", got, consentsBefore)
	}
	auditor.check("auditor-stats")
	// Nothing personal on the auditor's screens.
	if body := auditor.text("body"); strings.Contains(body, apptest.Laia) || strings.Contains(body, "Laia") {
		t.Fatal("the auditor's statistics show personal data")
	}
}

// consoleSignIn signs a staff member in at /console/login.
func (tb *tab) consoleSignIn(login, password string) {
	tb.t.Helper()
	tb.open("/console/login")
	tb.check("console-login-" + login)
	tb.do("type the login and password",
		chromedp.SendKeys(chromedp.ID("login"), login),
		chromedp.SendKeys(chromedp.ID("password"), password))
	tb.follow(`form[action="/console/login"] button[type=submit]`)
	if p := tb.path(); p != "/console" {
		tb.t.Fatalf("after signing in: at %s", p)
	}
}

// waitAcrossReloads waits until a JavaScript condition holds on a page that
// reloads itself meanwhile (the request page does when its state changes).
func (tb *tab) waitAcrossReloads(what, cond string) {
	tb.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	tb.t.Fatalf("wait for %s: not within %s", what, stepTimeout)
}

// readQR photographs the QR code matched by sel, as a phone camera would,
// and decodes it: at a few zoom levels, on a white margin, trying hard
// (anti-aliased module edges sometimes defeat one attempt).
func (tb *tab) readQR(sel string) string {
	tb.t.Helper()
	var last error
	for _, scale := range []float64{2, 3, 4, 1.5} {
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		shot, err := chromedp.Run(ctx, chromedp.ScreenshotScale(chromedp.CSS(sel), scale))
		cancel()
		if err != nil {
			tb.t.Fatalf("photograph the QR code: %v", err)
		}
		text, err := decodeQR(shot)
		if err == nil {
			return text
		}
		last = err
	}
	tb.t.Fatalf("the QR code on screen does not decode: %v", last)
	return ""
}

// decodeQR reads a QR code from a PNG picture, on a white margin.
func decodeQR(pic []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(pic))
	if err != nil {
		return "", err
	}
	b := img.Bounds()
	const margin = 40
	canvas := image.NewRGBA(image.Rect(0, 0, b.Dx()+2*margin, b.Dy()+2*margin))
	draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(canvas, b.Sub(b.Min).Add(image.Pt(margin, margin)), img, b.Min, draw.Over)
	bmp, err := gozxing.NewBinaryBitmapFromImage(canvas)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// TestBrowserConsolesAccessible opens every console page of every role in
// Chromium: axe-core finds no serious or critical WCAG 2.1 AA violation, no
// page scrolls sideways, the console stays free of CSP violations.
func TestBrowserConsolesAccessible(t *testing.T) {
	browser := newChrome(t)
	ts, _ := serve(t)
	for _, c := range []struct {
		login, password string
		pages           []string
	}{
		{"nuria.roca", "nuria-demo-2026", []string{"/console", "/console/issuer", "/console/issuer?q=Puig", "/console/issuer/citizens/" + apptest.Laia}},
		{"pere.vila", "pere-demo-2026", []string{"/console/verifier", "/console/verifier/requests", "/console/verifier/scan", "/console/verifier/exchange"}},
		{"elena.marti", "elena-demo-2026", []string{"/console/audit", "/console/audit/entries/1", "/console/audit/stats"}},
		{"montse.pujol", "montse-demo-2026", []string{"/console/admin"}},
	} {
		tb := openTab(t, browser, ts.URL, tabOptions{width: 1280, height: 900, desktop: true, isolated: true})
		tb.consoleSignIn(c.login, c.password)
		for _, p := range c.pages {
			tb.open(p)
			tb.check(c.login + p)
		}
		// Staff work from tablets too.
		tb.resize(768, 1024)
		tb.open(c.pages[0])
		tb.check(c.login + "-tablet")
	}
}
