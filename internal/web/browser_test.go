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
	"sort"
	"strings"
	"sync"
	"testing"
	"text/template/parse"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/espai/espai/internal/apptest"
	"github.com/gin-gonic/gin/render"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
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
	// The caption names the claims, by their names or their labels.
	if caption := tb.text("figure.qr figcaption"); tb.count("figure.qr svg") != 1 ||
		!strings.Contains(caption, "givenName, municipality") && !strings.Contains(caption, "Nom, Municipi") {
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
	// purpose (by its id or its title), with its receipt verified in place.
	if !eval[bool](tb, `[...document.querySelectorAll('main li.card')].some(li =>
		li.textContent.includes("Dades verificades") && li.textContent.includes("Ajuntament de Girona") &&
		(li.textContent.includes("preinscripcio-escolar") || li.textContent.includes("Preinscripció escolar")) &&
		li.querySelector('[data-verified="true"]') !== null)`) {
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

// citizenPage is one page of the citizen's space for TestBrowserPagesFit,
// which checks each (axe-core, no horizontal scrolling at every phone
// size, clean console) and keeps a screenshot of it at each size. Add new
// pages to citizenPages (or accountPages): the test fails for a GET route
// of the server that no entry covers and notCitizenPages does not set
// aside, and for a page template (one that includes the citizen's
// "header") that no entry shows, such as a page only a form's POST leads
// to.
type citizenPage struct {
	name string
	// route is the router's pattern of the GET route the page covers, ""
	// for a page reached through a form.
	route string
	anon  bool // shown logged out; these come first
	// open shows the page; nil navigates to route.
	open func(tb *tab, f *pageFixture)
	// after runs once the page is checked (to leave it the way the next
	// page needs).
	after func(tb *tab, f *pageFixture)
}

// pageFixture is what the pages need: the server, its clock, Laia's
// credential and the key of her second factor.
type pageFixture struct {
	t          *testing.T
	ts         *httptest.Server
	clk        *clock
	credential string // path of Laia's census credential (SD-JWT)
	totpSecret string // set by the TOTP enrolment page
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

// totpCode is Laia's authenticator app's code now: the server's clock
// moves on 30 s first, so that no code is the one used before it (a code
// is accepted once).
func (f *pageFixture) totpCode() string {
	f.t.Helper()
	if f.totpSecret == "" {
		f.t.Fatal("no TOTP key: the enrolment page comes first")
	}
	f.clk.add(30 * time.Second)
	c, err := totp.GenerateCodeCustom(f.totpSecret, f.clk.now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// secondStep logs out and gives Laia's passphrase: the login's second step.
func (tb *tab) secondStep() {
	tb.t.Helper()
	tb.follow(`nav.menu form[action="/logout"] button[type=submit]`)
	tb.do("type the DNI and passphrase",
		chromedp.SendKeys(chromedp.ID("citizen"), apptest.Laia),
		chromedp.SendKeys(chromedp.ID("passphrase"), apptest.LaiaPassphrase))
	tb.follow(`form[action="/login"] button[type=submit]`)
	if tb.count(`form[action="/login/code"], form[data-passkey="get"]`) == 0 {
		tb.t.Fatalf("no second step after the passphrase: %q", tb.text("main"))
	}
}

// passkeyReady waits for passkey.js to have prepared the page's passkey form.
func (tb *tab) passkeyReady(kind string) {
	tb.t.Helper()
	tb.waitFor("the passkey form to be ready", fmt.Sprintf(`document.querySelector('form[data-passkey=%q]').dataset.passkeyReady === 'true'`, kind))
}

// home checks that a login ended on the home page.
func (tb *tab) home(how string) {
	tb.t.Helper()
	if p := tb.path(); p != "/" {
		tb.t.Fatalf("after %s: at %s: %q", how, p, tb.text("main"))
	}
}

// citizenPages are the pages in the order TestBrowserPagesFit shows them:
// logged out, then as Laia with her passphrase.
var citizenPages = []citizenPage{
	{name: "login", route: "/login", anon: true},
	{name: "offline", route: "/offline", anon: true},
	{name: "home", route: "/"},
	{name: "credentials", route: "/credentials"},
	{name: "credential", route: "/credentials/:id", open: func(tb *tab, f *pageFixture) { tb.open(f.credential) }},
	{name: "error-404", open: func(tb *tab, f *pageFixture) { tb.open("/credentials/unknown") }},
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
	{name: "sessions-and-logins", route: "/sessions", open: func(tb *tab, f *pageFixture) {
		tb.open("/sessions")
		if tb.count(`[data-login]`) == 0 {
			tb.t.Fatalf("the sessions page shows no login history: %q", tb.text("main"))
		}
	}},
	{name: "settings", route: "/settings", open: func(tb *tab, f *pageFixture) {
		tb.open("/settings")
		tb.passkeyReady("create")
	}},
}

// accountPages come after citizenPages (and after any page the test adds
// by itself), as they change how Laia logs in: she turns on a TOTP second
// factor, logs in with a code, adds a passkey, and logs in with it where
// the second step offers both.
var accountPages = []citizenPage{
	{name: "totp-enrol", open: func(tb *tab, f *pageFixture) {
		tb.open("/settings")
		tb.follow(`form[action="/settings/mfa/begin"] button[type=submit]`)
		f.totpSecret = tb.text("code.secret")
		if tb.count("figure.qr svg") != 1 || f.totpSecret == "" {
			tb.t.Fatalf("the enrolment page has no QR code or key: %q", tb.text("main"))
		}
	}},
	{name: "settings-totp-on", open: func(tb *tab, f *pageFixture) {
		tb.do("type the code", chromedp.SendKeys(chromedp.ID("code"), f.totpCode()))
		tb.follow(`form[action="/settings/mfa/confirm"] button[type=submit]`)
		if tb.count(`form[action="/settings/mfa/disable"]`) != 1 {
			tb.t.Fatalf("the second factor is not on: %q", tb.text("main"))
		}
		tb.passkeyReady("create")
	}},
	{name: "login-code", open: func(tb *tab, f *pageFixture) {
		tb.secondStep()
		if tb.count(`form[action="/login/code"] input#code`) != 1 || tb.count(`form[data-passkey="get"]`) != 0 {
			tb.t.Fatalf("not the code step: %q", tb.text("main"))
		}
	}, after: func(tb *tab, f *pageFixture) {
		tb.do("type the code", chromedp.SendKeys(chromedp.ID("code"), f.totpCode()))
		tb.follow(`form[action="/login/code"] button[type=submit]`)
		tb.home("the code")
	}},
	{name: "settings-passkey-added", open: func(tb *tab, f *pageFixture) {
		tb.open("/settings")
		tb.passkeyReady("create")
		tb.do("name the passkey", chromedp.SendKeys(chromedp.ID("pkname"), "El meu mòbil"))
		tb.follow(`form[data-passkey="create"] button[type=submit]`)
		if tb.count(`li[data-passkey-id]`) != 1 {
			tb.t.Fatalf("the passkey is not listed: %q", tb.text("main"))
		}
		tb.passkeyReady("create")
	}},
	{name: "login-passkey-or-code", open: func(tb *tab, f *pageFixture) {
		tb.secondStep()
		if tb.count(`form[action="/login/code"]`) != 1 || tb.count(`form[data-passkey="get"]`) != 1 {
			tb.t.Fatalf("not both second factors: %q", tb.text("main"))
		}
		tb.passkeyReady("get")
	}, after: func(tb *tab, f *pageFixture) {
		tb.follow(`form[data-passkey="get"] button[type=submit]`)
		tb.home("the passkey")
	}},
}

// notCitizenPages are the GET routes of the server that are not pages of
// the citizen's space, by route or route prefix (ending in "/"), each with
// the reason.
var notCitizenPages = []struct{ route, reason string }{
	{"/console", "the staff console's home (journey_browser_test.go, console_*_test.go check its pages)"},
	{"/console/", "the staff console (journey_browser_test.go, console_*_test.go check its pages)"},
	{"/api/", "JSON APIs of the administrations' systems"},
	{"/ledger/", "the ledger's read API (JSON)"},
	{"/status/", "credential status lists (JWT)"},
	{"/trust/", "the trust list and its anchors (JSON)"},
	{"/issuers/", "issuers' DID documents (JSON)"},
	{"/verifier/", "OpenID4VP request objects, fetched by wallets (JWT)"},
	{"/p/", "one-time presentation links, fetched by wallets (text)"},
	{"/static/", "stylesheets, scripts and images"},
	{"/healthz", "the health check (JSON)"},
	{"/sw.js", "the service worker's script (TestBrowserPWA)"},
	{"/manifest.webmanifest", "the web app manifest (TestBrowserPWA)"},
}

// setAside reports whether the notCitizenPages entry for pattern (a route,
// or a prefix ending in "/") covers route.
func setAside(pattern, route string) bool {
	return route == pattern || (strings.HasSuffix(pattern, "/") && strings.HasPrefix(route, pattern))
}

func notCitizenPage(route string) bool {
	for _, n := range notCitizenPages {
		if setAside(n.route, route) {
			return true
		}
	}
	return false
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

// templateLog records the names of the templates the server renders.
type templateLog struct {
	render.HTMLRender
	mu    sync.Mutex
	names map[string]bool
}

func (l *templateLog) Instance(name string, data any) render.Render {
	l.mu.Lock()
	l.names[name] = true
	l.mu.Unlock()
	return l.HTMLRender.Instance(name, data)
}

func (l *templateLog) rendered(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.names[name]
}

// pageTemplates are the server's templates that make a page of the
// citizen's space: those that include its "header".
func pageTemplates(t *testing.T, log *templateLog) []string {
	t.Helper()
	h, ok := log.HTMLRender.(render.HTMLProduction)
	if !ok {
		t.Fatalf("the server's HTML renderer is a %T", log.HTMLRender)
	}
	var includes func(n parse.Node) bool
	includes = func(n parse.Node) bool {
		switch n := n.(type) {
		case *parse.TemplateNode:
			return n.Name == "header"
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					if includes(c) {
						return true
					}
				}
			}
		case *parse.IfNode:
			return includes(n.List) || includes(n.ElseList)
		case *parse.RangeNode:
			return includes(n.List) || includes(n.ElseList)
		case *parse.WithNode:
			return includes(n.List) || includes(n.ElseList)
		}
		return false
	}
	var out []string
	for _, tm := range h.Template.Templates() {
		if tm.Tree != nil && tm.Name() != "header" && includes(tm.Tree.Root) {
			out = append(out, tm.Name())
		}
	}
	sort.Strings(out)
	if len(out) < 10 {
		t.Fatalf("page templates: %v", out)
	}
	return out
}

// servePages serves a demo deployment for TestBrowserPagesFit, with a
// clock the test moves, passkeys at localhost (as servePasskeys), and a log
// of the templates rendered. It returns the server's base URL at localhost.
func servePages(t *testing.T) (*httptest.Server, string, *Server, *clock, *templateLog) {
	t.Helper()
	clk := &clock{t: time.Now()}
	var log *templateLog
	ts, s, _ := serveOwnAddress(t, clk.now, func(s *Server) {
		// Before the server starts: the log is in place for every request.
		log = &templateLog{HTMLRender: s.engine.HTMLRender, names: map[string]bool{}}
		s.engine.HTMLRender = log
	})
	return ts, strings.Replace(ts.URL, "127.0.0.1", "localhost", 1), s, clk, log
}

// TestBrowserPagesFit: every page of the citizen's space, at each of
// phoneSizes, fits the screen's width and passes the accessibility checks,
// with a screenshot of each kept. Every GET route of the server is a page
// here or set aside in notCitizenPages, and every page template is shown.
func TestBrowserPagesFit(t *testing.T) {
	browser := newChrome(t)
	ts, base, s, clk, log := servePages(t)
	pages := append([]citizenPage(nil), citizenPages...)
	covered := map[string]bool{}
	for _, list := range [][]citizenPage{citizenPages, accountPages} {
		for _, p := range list {
			covered[p.route] = true
		}
	}
	for _, r := range s.Engine().Routes() {
		if r.Method != http.MethodGet || covered[r.Path] {
			continue
		}
		if notCitizenPage(r.Path) {
			continue
		}
		if strings.ContainsAny(r.Path, ":*") {
			t.Errorf("GET %s is not in citizenPages (browser_test.go): add an entry that opens it, or to notCitizenPages with the reason it is not a page", r.Path)
			continue
		}
		t.Errorf("GET %s is not in citizenPages (browser_test.go): add it, or to notCitizenPages with the reason it is not a page; checked here as a page of the logged-in citizen", r.Path)
		pages = append(pages, citizenPage{name: strings.Trim(r.Path, "/"), route: r.Path})
	}
	for _, n := range notCitizenPages {
		used := false
		for _, r := range s.Engine().Routes() {
			used = used || (r.Method == http.MethodGet && setAside(n.route, r.Path))
		}
		if !used {
			t.Errorf("notCitizenPages: no GET route is %s any more: remove the entry", n.route)
		}
	}
	pages = append(pages, accountPages...)

	tb := openTab(t, browser, base, tabOptions{width: phoneSizes[0][0], height: phoneSizes[0][1], screenshots: true, scale: 1})
	tb.virtualAuthenticator()
	f := &pageFixture{t: t, ts: ts, clk: clk}
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
		if ct := eval[string](tb, `document.contentType`); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: not a page (%s), not checked", p.name, ct)
			continue
		}
		if p.open == nil && tb.path() != p.route {
			t.Errorf("%s: opened %s, shown %s", p.name, p.route, tb.path())
		}
		tb.check(p.name)
		if p.after != nil {
			p.after(tb, f)
		}
	}
	for _, name := range pageTemplates(t, log) {
		if !log.rendered(name) {
			t.Errorf("the page template %q was not shown: add a page that leads to it to citizenPages (browser_test.go)", name)
		}
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
