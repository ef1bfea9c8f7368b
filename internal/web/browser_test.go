package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/espai/espai/internal/apptest"
)

// Browser tests: the citizen's space in headless Chromium on a phone-sized
// screen. See browser_helpers_test.go for the checks every page gets
// (axe-core WCAG 2.1 AA, no horizontal scrolling, no CSP violation) and for
// where the screenshots go.

// TestBrowserJourney: Laia, on her phone, logs in, sees her alerts, opens a
// credential and shows it as a QR code with two claims, answers an
// administration's request, finds the exchange verified in "Who used my
// data", withdraws the consent she gave, and logs out.
func TestBrowserJourney(t *testing.T) {
	browser := newChrome(t)
	ts, _ := serve(t)
	// An earlier login from her iPhone: today's, from the Android phone, is
	// then from a new device, which home raises as an alert.
	iphone := newBrowser(t, ts.URL)
	iphone.ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"
	if code, _ := iphone.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("earlier login: %d", code)
	}

	tb := newTab(t, browser, ts.URL, phoneWidth, phoneHeight, true)
	tb.open("/login")
	tb.check("login")
	tb.signIn()
	if h := tb.text("h1"); !strings.Contains(h, "Laia") {
		t.Fatalf("home greets %q", h)
	}
	if tb.count(`[data-alert="new_device"]`) != 1 {
		t.Fatalf("home shows no new-device alert: %q", tb.text("main"))
	}
	tb.check("home")

	tb.follow(`nav.menu a[href="/credentials"]`)
	tb.check("credentials")
	census := tb.census()
	tb.follow(fmt.Sprintf(`main a[href=%q]`, census))
	if tb.count("dl.facts dt") < 4 {
		t.Fatal("the credential's details are not shown")
	}
	tb.check("credential")

	tb.follow(fmt.Sprintf(`main a[href=%q]`, census+"/qr"))
	tb.check("qr-form")
	tb.do("choose two claims",
		chromedp.Tap(chromedp.CSS(`input[name=claim][value=givenName]`)),
		chromedp.Tap(chromedp.CSS(`input[name=claim][value=municipality]`)))
	tb.follow(`main form button[type=submit]`)
	if tb.count("figure.qr svg") != 1 || !strings.Contains(tb.text("figure.qr figcaption"), "givenName, municipality") {
		t.Fatalf("no QR code with the chosen claims: %q", tb.text("main"))
	}
	tb.check("qr")

	// The Ajuntament de Girona asks for proof of residence; Laia pastes the
	// link it gave her.
	code, body := call(t, "POST", ts.URL+"/api/v1/verifier/requests", "demo-girona-verifier", map[string]any{"purpose": "preinscripcio-escolar"})
	if code != http.StatusCreated {
		t.Fatalf("create request: %d", code)
	}
	var req struct {
		ID string `json:"id"`
		QR string `json:"qr_uri"`
	}
	if err := json.Unmarshal(body, &req); err != nil || !strings.HasPrefix(req.QR, "openid4vp://") {
		t.Fatalf("request: %v %q", err, req.QR)
	}
	tb.follow(`nav.menu a[href="/requests"]`)
	tb.check("requests")
	tb.do("paste the link", chromedp.SetValue(chromedp.ID("uri"), req.QR))
	tb.follow(`form[action="/requests"] button[type=submit]`)
	if who := tb.text("main section"); !strings.Contains(who, "Ajuntament de Girona") || !strings.Contains(who, "Llei 12/2009") {
		t.Fatalf("the request is not shown: %q", who)
	}
	tb.check("request")
	tb.follow(`form[action="/requests/approve"] button[type=submit]`)
	if tb.count(`[data-outcome="accepted"]`) != 1 {
		t.Fatalf("not accepted: %q", tb.text("main"))
	}
	tb.check("request-approved")
	if code, st := call(t, "GET", ts.URL+"/api/v1/verifier/requests/"+req.ID, "demo-girona-verifier", nil); code != 200 || !strings.Contains(string(st), `"state":"accepted"`) {
		t.Fatalf("staff view: %d %s", code, st)
	}

	tb.follow(`nav.menu a[href="/data"]`)
	if tb.count(`[data-verified="true"]`) == 0 || tb.count(`[data-verified="false"]`) != 0 {
		t.Fatal("Who used my data: receipts not all verified")
	}
	// The exchange: the presentation the Ajuntament verified, for its
	// purpose, with its receipt verified in place.
	if !eval[bool](tb, `[...document.querySelectorAll('main li.card')].some(li =>
		li.textContent.includes("Dades verificades") && li.textContent.includes("Ajuntament de Girona") &&
		li.textContent.includes("preinscripcio-escolar") && li.querySelector('[data-verified="true"]') !== null)`) {
		t.Fatalf("the exchange is not in Who used my data, verified: %q", tb.text("main"))
	}
	tb.check("data")

	const consent = `form[action="/consents/withdraw"]:has(input[name=purpose][value="preinscripcio-escolar"])`
	tb.follow(`nav.menu a[href="/consents"]`)
	if tb.count(consent) != 1 {
		t.Fatalf("the consent is not listed: %q", tb.text("main"))
	}
	tb.check("consents")
	tb.follow(consent + ` button[type=submit]`)
	if tb.path() != "/consents" || tb.count(consent) != 0 {
		t.Fatalf("the withdrawn consent is still listed: %q", tb.text("main"))
	}
	tb.check("consent-withdrawn")

	tb.follow(`nav.menu form[action="/logout"] button[type=submit]`)
	if p := tb.path(); p != "/login" {
		t.Fatalf("after logout: at %s", p)
	}
	tb.check("logged-out")
	tb.open("/credentials")
	if p := tb.path(); p != "/login" {
		t.Fatalf("a page after logout: at %s", p)
	}
}

// signIn logs Laia in with the login form shown.
func (tb *tab) signIn() {
	tb.t.Helper()
	tb.do("type the DNI and passphrase",
		chromedp.SendKeys(chromedp.ID("citizen"), apptest.Laia),
		chromedp.SendKeys(chromedp.ID("passphrase"), apptest.LaiaPassphrase))
	tb.follow(`form[action="/login"] button[type=submit]`)
	if p := tb.path(); p != "/" {
		tb.t.Fatalf("after login: at %s", p)
	}
}

// census is the path of Laia's census credential on the credentials page.
func (tb *tab) census() string {
	tb.t.Helper()
	p := eval[string](tb, `([...document.querySelectorAll('main a[href^="/credentials/"]')]
		.find(a => a.textContent.includes("Volant")) || {pathname: ""}).pathname`)
	if p == "" {
		tb.t.Fatal("no census credential listed")
	}
	return p
}

// citizenPage is one page of the citizen's space for the layout and
// accessibility checks of TestBrowserPagesFit. Add new pages here: the
// test fails for a GET route with parameters that no entry covers, and
// visits parameterless ones by itself.
type citizenPage struct {
	name string
	// route is the router's pattern of the GET route the page covers, ""
	// for a page reached through a form.
	route string
	anon  bool // shown logged out; these come first
	// open shows the page; nil navigates to route.
	open func(tb *tab, f *pageFixture)
}

// pageFixture is what the pages need: the server and a credential.
type pageFixture struct {
	t          *testing.T
	ts         *httptest.Server
	credential string // path of Laia's census credential (SD-JWT)
}

// request opens a fresh presentation request of the Ajuntament de Girona
// on the requests page.
func (f *pageFixture) request(tb *tab) {
	code, body := call(f.t, "POST", f.ts.URL+"/api/v1/verifier/requests", "demo-girona-verifier", map[string]any{"purpose": "preinscripcio-escolar"})
	var req struct {
		QR string `json:"qr_uri"`
	}
	if err := json.Unmarshal(body, &req); code != http.StatusCreated || err != nil {
		f.t.Fatalf("create request: %d %v", code, err)
	}
	tb.open("/requests")
	tb.do("paste the link", chromedp.SetValue(chromedp.ID("uri"), req.QR))
	tb.follow(`form[action="/requests"] button[type=submit]`)
}

var citizenPages = []citizenPage{
	{name: "login", route: "/login", anon: true},
	{name: "offline", route: "/offline", anon: true},
	{name: "home", route: "/"},
	{name: "credentials", route: "/credentials"},
	{name: "credential", route: "/credentials/:id", open: func(tb *tab, f *pageFixture) { tb.open(f.credential) }},
	{name: "credential-unknown", open: func(tb *tab, f *pageFixture) { tb.open("/credentials/unknown") }},
	{name: "qr-form", route: "/credentials/:id/qr", open: func(tb *tab, f *pageFixture) { tb.open(f.credential + "/qr") }},
	{name: "qr", open: func(tb *tab, f *pageFixture) {
		tb.open(f.credential + "/qr")
		tb.do("choose claims", chromedp.Click(chromedp.CSS(`input[name=claim]`)))
		tb.follow(`main form button[type=submit]`)
	}},
	{name: "requests", route: "/requests"},
	{name: "request", open: func(tb *tab, f *pageFixture) { f.request(tb) }},
	{name: "request-approved", open: func(tb *tab, f *pageFixture) {
		f.request(tb)
		tb.follow(`form[action="/requests/approve"] button[type=submit]`)
	}},
	{name: "consents", route: "/consents"},
	{name: "data", route: "/data"},
	{name: "procedures", route: "/procedures"},
	{name: "procedure", route: "/procedures/:key", open: openFirst("/procedures", `main a[href^="/procedures/"]`)},
	{name: "notifications", route: "/notifications"},
	{name: "notification", route: "/notifications/:key", open: openFirst("/notifications", `main a[href^="/notifications/"]`)},
	{name: "sessions", route: "/sessions"},
	{name: "settings", route: "/settings"},
}

// openFirst opens a list page and follows its first link that matches sel.
func openFirst(list, sel string) func(tb *tab, f *pageFixture) {
	return func(tb *tab, f *pageFixture) {
		tb.open(list)
		if tb.count(sel) == 0 {
			tb.t.Fatalf("%s has no link %s for the check", list, sel)
		}
		tb.follow(sel)
	}
}

var routeParam = regexp.MustCompile(`[:*][^/]+`)

// citizenRoutes are the GET routes of the citizen's group on the router:
// those that send an anonymous visitor to the login page.
func citizenRoutes(t *testing.T, base string, s *Server) []string {
	t.Helper()
	anon := newBrowser(t, base)
	var out []string
	for _, r := range s.Engine().Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		code, _, h := anon.do("GET", routeParam.ReplaceAllString(r.Path, "x"), nil)
		if code == http.StatusSeeOther && h.Get("Location") == "/login" {
			out = append(out, r.Path)
		}
	}
	return out
}

// phoneSizes are the screens every page must fit without horizontal
// scrolling: a small Android phone and a current iPhone.
var phoneSizes = [][2]int64{{360, 640}, {390, 844}}

// TestBrowserPagesFit: every page of the citizen's space fits a small
// phone's width and passes the accessibility checks.
func TestBrowserPagesFit(t *testing.T) {
	browser := newChrome(t)
	ts, s := serve(t)
	pages := append([]citizenPage(nil), citizenPages...)
	covered := map[string]bool{}
	for _, p := range pages {
		covered[p.route] = true
	}
	for _, route := range citizenRoutes(t, ts.URL, s) {
		if covered[route] {
			continue
		}
		if strings.ContainsAny(route, ":*") {
			t.Errorf("GET %s is not in citizenPages (browser_test.go): add an entry that opens it", route)
			continue
		}
		t.Logf("GET %s is not in citizenPages: checked as a plain page", route)
		pages = append(pages, citizenPage{name: strings.Trim(route, "/"), route: route})
	}

	tb := newTab(t, browser, ts.URL, phoneSizes[0][0], phoneSizes[0][1], false)
	f := &pageFixture{t: t, ts: ts}
	loggedIn := false
	for _, p := range pages {
		if !p.anon && !loggedIn {
			tb.open("/login")
			tb.signIn()
			tb.open("/credentials")
			f.credential = tb.census()
			loggedIn = true
		}
		if p.open != nil {
			p.open(tb, f)
		} else {
			tb.open(p.route)
		}
		if !strings.HasPrefix(eval[string](tb, `document.contentType`), "text/html") {
			t.Logf("%s: not a page (%s), not checked", p.name, eval[string](tb, `document.contentType`))
			continue
		}
		if p.open == nil && tb.path() != p.route {
			t.Errorf("%s: opened %s, shown %s", p.name, p.route, tb.path())
		}
		tb.consoleClean(p.name)
		tb.accessible(p.name)
		for i, size := range phoneSizes {
			if i > 0 {
				tb.resize(size[0], size[1])
			}
			tb.fits(fmt.Sprintf("%s-%dx%d", p.name, size[0], size[1]))
		}
		tb.resize(phoneSizes[0][0], phoneSizes[0][1])
	}
}

// checkPWAFiles: the web app manifest parses and names the app, its start
// page and theme colour (the accent of espai.css); its icons are real PNGs
// of the sizes it says; the service worker is served from the root.
func checkPWAFiles(t *testing.T, ts *httptest.Server) webManifest {
	t.Helper()
	m := manifestOf(t, ts)
	sizes := map[string]bool{}
	for _, ic := range m.Icons {
		resp, err := http.Get(ts.URL + ic.Src)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ic.Type {
			t.Fatalf("icon %s: %d %q", ic.Src, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if ic.Type == "image/png" {
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil || fmt.Sprintf("%dx%d", cfg.Width, cfg.Height) != ic.Sizes {
				t.Fatalf("icon %s: %v, %dx%d, manifest says %s", ic.Src, err, cfg.Width, cfg.Height, ic.Sizes)
			}
			sizes[ic.Sizes+" "+ic.Purpose] = true
		}
	}
	if !sizes["192x192 any"] || !sizes["512x512 any"] || !sizes["512x512 maskable"] {
		t.Fatalf("icons: %v", sizes)
	}
	resp, err := http.Get(ts.URL + "/sw.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/javascript") {
		t.Fatalf("sw.js: %d %q", resp.StatusCode, ct)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "worker-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP: %q", csp)
	}
	// The offline page is public: the service worker keeps it.
	b := newBrowser(t, ts.URL)
	if code, page, _ := b.do("GET", "/offline", nil); code != 200 || !strings.Contains(page, `id="offline-qr"`) {
		t.Fatalf("offline page: %d", code)
	}
	return m
}

type webManifest struct {
	Name       string `json:"name"`
	StartURL   string `json:"start_url"`
	Scope      string `json:"scope"`
	Display    string `json:"display"`
	ThemeColor string `json:"theme_color"`
	Icons      []struct{ Src, Sizes, Type, Purpose string }
}

func manifestOf(t *testing.T, ts *httptest.Server) webManifest {
	t.Helper()
	resp, err := http.Get(ts.URL + "/manifest.webmanifest")
	if err != nil {
		t.Fatal(err)
	}
	mbody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "application/manifest+json" {
		t.Fatalf("manifest: %d %q", resp.StatusCode, ct)
	}
	var m webManifest
	if err := json.Unmarshal(mbody, &m); err != nil {
		t.Fatalf("manifest does not parse: %v", err)
	}
	css, err := os.ReadFile("static/espai.css")
	if err != nil {
		t.Fatal(err)
	}
	accent := regexp.MustCompile(`--accent:\s*(#[0-9a-fA-F]{3,6})`).FindSubmatch(css)
	if m.Name != "El Meu Espai" || m.StartURL != "/" || m.Scope != "/" || m.Display != "standalone" || accent == nil || !strings.EqualFold(m.ThemeColor, string(accent[1])) {
		t.Fatalf("manifest: %+v (accent %s)", m, accent)
	}
	return m
}

// TestBrowserPWA: the space installs as an app (manifest, icons, service
// worker for the whole space), and the last QR code shown stays available
// offline until it expires, but not after logout. Without Chromium, only
// the files are checked.
func TestBrowserPWA(t *testing.T) {
	browser := newChrome(t)
	ts, _ := serve(t)
	m := checkPWAFiles(t, ts)
	tb := newTab(t, browser, ts.URL, phoneWidth, phoneHeight, true)
	tb.open("/login")
	if !eval[bool](tb, `navigator.serviceWorker.ready.then(r => r.active !== null && r.scope === location.origin + "/")`) {
		t.Fatal("the service worker is not active for the whole space")
	}
	if tb.count(`head link[rel=manifest][href="/manifest.webmanifest"]`) != 1 || eval[string](tb, `document.querySelector('meta[name=theme-color]').content`) != m.ThemeColor {
		t.Fatal("the pages do not link the manifest and theme colour")
	}
	login := func() {
		tb.open("/login")
		tb.signIn()
	}
	showQR := func(shot bool) string {
		tb.open("/credentials")
		tb.open(tb.census() + "/qr")
		tb.do("choose claims",
			chromedp.Tap(chromedp.CSS(`input[name=claim][value=givenName]`)),
			chromedp.Tap(chromedp.CSS(`input[name=claim][value=municipality]`)))
		tb.follow(`main form button[type=submit]`)
		tb.waitFor("the QR kept for offline use", `document.querySelector('figure.qr[data-saved="true"]') !== null && !document.querySelector('[data-qr-saved]').hidden`)
		if shot {
			tb.check("qr-kept")
		}
		return tb.text("figure.qr figcaption")
	}
	kept := `caches.open("espai-qr-v1").then(c => c.match("/offline/last-qr.json")).then(r => r !== undefined)`

	// Logging out forgets the QR.
	login()
	showQR(false)
	if !eval[bool](tb, kept) {
		t.Fatal("the QR is not in the service worker's cache")
	}
	tb.follow(`nav.menu form[action="/logout"] button[type=submit]`)
	tb.waitFor("the QR forgotten at logout", `caches.open("espai-qr-v1").then(c => c.match("/offline/last-qr.json")).then(r => r === undefined)`)

	// Offline: the app opens on the offline page, with the last QR.
	login()
	caption := showQR(true)
	if !regexp.MustCompile(`\d\d:\d\d`).MatchString(caption) {
		t.Fatalf("the QR's caption has no expiry time: %q", caption)
	}
	tb.do("go offline", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: new(true),
			MatchedNetworkConditions:    []*network.Conditions{{Offline: true}},
		})
		return err
	}))
	ts.CloseClientConnections()
	ts.Close() // and the server is gone too
	for _, path := range []string{"/", "/offline", "/credentials"} {
		tb.open(path)
		tb.waitFor("the kept QR on the offline page", `(() => {
			const f = document.getElementById('offline-qr');
			return f !== null && !f.hidden && f.querySelector('img').complete && f.querySelector('img').naturalWidth > 0;
		})()`)
		if got := tb.text("#offline-qr figcaption"); got != caption {
			t.Fatalf("offline at %s: caption %q, shown %q", path, got, caption)
		}
		if tb.count("nav.menu") != 0 || tb.count(".cards") != 0 {
			t.Fatalf("offline at %s: a personal page was kept", path)
		}
	}
	tb.check("offline")
	// The kept code carries its expiry, a few minutes from now.
	expires := eval[string](tb, `document.getElementById('offline-qr').dataset.expires`)
	if e, err := time.Parse(time.RFC3339, expires); err != nil || time.Until(e) <= 0 || time.Until(e) > 5*time.Minute {
		t.Fatalf("kept QR expires %q (%v)", expires, err)
	}
}
