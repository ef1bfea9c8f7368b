package web

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/demo"
)

var scriptRE = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)

// TestPagesHaveNoInlineScriptOrStyle checks every page a citizen and a staff
// member reach: scripts only from files, no inline event handlers or style
// attributes, so the CSP (script-src 'self', style-src 'self') holds.
func TestPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)
	b.login(apptest.Laia, apptest.LaiaPassphrase)
	st := newBrowser(t, ts.URL)
	consoleLogin(t, st, "pere.vila", "pere-demo-2026")
	for _, c := range []struct {
		b     *browser
		paths []string
	}{
		{newBrowser(t, ts.URL), []string{"/login", "/console/login"}},
		{b, []string{"/", "/credentials", "/procedures", "/notifications", "/data", "/requests", "/consents", "/sessions", "/settings"}},
		{st, []string{"/console", "/console/verifier", "/console/verifier/scan", "/console/verifier/exchange"}},
	} {
		for _, p := range c.paths {
			code, page, h := c.b.do("GET", p, nil)
			if code != http.StatusOK {
				t.Fatalf("%s: %d", p, code)
			}
			for _, m := range scriptRE.FindAllStringSubmatch(page, -1) {
				if strings.TrimSpace(m[2]) != "" || !strings.Contains(m[1], "src=") {
					t.Errorf("%s: inline script %q", p, m[0])
				}
			}
			if regexp.MustCompile(`(?i)\son[a-z]+\s*=|\sstyle\s*=|<style`).MatchString(page) {
				t.Errorf("%s: inline handler or style", p)
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s: CSP %q", p, csp)
			}
		}
	}
}

// TestCSRFOnEveryStateChange posts to every state-changing citizen and
// console route with a live session but without, or with another session's,
// CSRF token: every one is refused.
func TestCSRFOnEveryStateChange(t *testing.T) {
	ts, s := serve(t)
	citizen := newBrowser(t, ts.URL)
	citizen.login(apptest.Laia, apptest.LaiaPassphrase)
	other := newBrowser(t, ts.URL)
	other.login("38765432J", "jordi-demo-2026")
	_, page, _ := other.do("GET", "/settings", nil)
	foreign := csrfOf(t, page)
	staffB := map[string]*browser{}
	for role, c := range map[string][2]string{"issuer": {"nuria.roca", "nuria-demo-2026"}, "verifier": {"pere.vila", "pere-demo-2026"},
		"auditor": {"elena.marti", "elena-demo-2026"}, "admin": {"montse.pujol", "montse-demo-2026"}} {
		staffB[role] = newBrowser(t, ts.URL)
		consoleLogin(t, staffB[role], c[0], c[1])
	}
	n := 0
	for _, r := range s.Engine().Routes() {
		if r.Method == http.MethodGet {
			continue
		}
		rule, ok := ruleFor(r.Path)
		if !ok || rule.kind == "public" || rule.kind == "api" {
			continue
		}
		b := citizen
		if rule.kind == "console" {
			b = staffB[rule.role]
			if b == nil {
				b = staffB["verifier"]
			}
		}
		path := paramRE.ReplaceAllString(r.Path, "x")
		for _, form := range []url.Values{{}, {"csrf": {foreign}}, {"csrf": {""}}} {
			if code, _, _ := b.do(r.Method, path, form); code != http.StatusForbidden {
				t.Errorf("%s %s with csrf %q: %d, want 403", r.Method, r.Path, form.Get("csrf"), code)
			}
		}
		n++
	}
	if n < 15 {
		t.Fatalf("only %d state-changing routes found", n)
	}
	// Refused means unchanged: the mute above did not happen.
	_, home, _ := citizen.do("GET", "/", nil)
	if !strings.Contains(home, `data-alert="notification_deadline"`) {
		t.Fatal("a refused request changed the citizen's alerts")
	}
}

// TestSessionFixationAndLogout: a session id planted before login is never
// adopted, and after logout the old cookie opens nothing and the wallet is
// locked.
func TestSessionFixationAndLogout(t *testing.T) {
	ts, s := serve(t)
	u, _ := url.Parse(ts.URL)
	b := newBrowser(t, ts.URL)
	planted := "attacker-chosen-session-id-0123456789abcdef"
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
	if code, _ := b.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("login %d", code)
	}
	var got string
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			got = c.Value
		}
	}
	if got == "" || got == planted {
		t.Fatal("the planted session id was kept")
	}
	if _, ok := s.sess.get(planted); ok {
		t.Fatal("the planted id is a session")
	}
	cs, ok := s.sess.get(got)
	if !ok {
		t.Fatal("no session")
	}
	// Logout: the cookie is cleared and the id is dead even if replayed.
	_, page, _ := b.do("GET", "/settings", nil)
	if code, _, _ := b.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, page)}}); code != http.StatusSeeOther {
		t.Fatalf("logout %d", code)
	}
	if !cs.Wallet.Locked() {
		t.Fatal("the wallet stayed unlocked after logout")
	}
	replay := newBrowser(t, ts.URL)
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: got, Path: "/"}})
	if code, _, h := replay.do("GET", "/", nil); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("old session cookie after logout: %d", code)
	}
	// The same for staff.
	st := newBrowser(t, ts.URL)
	st.c.Jar.SetCookies(u, []*http.Cookie{{Name: consoleCookie, Value: planted, Path: "/console"}})
	consoleLogin(t, st, "elena.marti", "elena-demo-2026")
	var sid string
	for _, c := range st.c.Jar.Cookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/console"}) {
		if c.Name == consoleCookie {
			sid = c.Value
		}
	}
	if sid == "" || sid == planted {
		t.Fatal("the planted console session id was kept")
	}
	_, page, _ = st.do("GET", "/console", nil)
	st.do("POST", "/console/logout", url.Values{"csrf": {csrfOf(t, page)}})
	if _, ok := s.consoles.get(sid, s.now()); ok {
		t.Fatal("console session alive after logout")
	}
}

// TestConsoleLoginRateLimited: five wrong passwords lock a login name out for
// the window, even with the right password afterwards.
func TestConsoleLoginRateLimited(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)
	for i := range 5 {
		_, page, _ := b.do("GET", "/console/login", nil)
		if code, _, _ := b.do("POST", "/console/login", url.Values{"csrf": {csrfOf(t, page)}, "login": {"elena.marti"}, "password": {"wrong password " + string(rune('a'+i))}}); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, code)
		}
	}
	_, page, _ := b.do("GET", "/console/login", nil)
	if code, _, _ := b.do("POST", "/console/login", url.Values{"csrf": {csrfOf(t, page)}, "login": {"elena.marti"}, "password": {"elena-demo-2026"}}); code != http.StatusTooManyRequests {
		t.Fatalf("after five failures: %d", code)
	}
}

// TestHSTSAndSecureCookiesUnderTLS: over TLS the server sends HSTS and marks
// its cookies Secure; over plain HTTP (loopback development) it does not.
func TestHSTSAndSecureCookiesUnderTLS(t *testing.T) {
	a := apptest.Demo(t, nil)
	ts := httptest.NewTLSServer(New(Config{App: a, Staff: a.Staff}))
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	client := ts.Client()
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the test server's own certificate
	resp, err := client.Get(ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatal("no HSTS over TLS")
	}
	for _, c := range resp.Cookies() {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Fatalf("cookie %s: secure %v httponly %v samesite %v", c.Name, c.Secure, c.HttpOnly, c.SameSite)
		}
	}
	plain, _ := serve(t)
	resp, err = http.Get(plain.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatal("HSTS over plain HTTP")
	}
}

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestNoPersonalDataInLogs runs a full session of every kind of user with
// every log level on, then greps the logs for the demo citizens' DNI/NIE
// numbers and names.
func TestNoPersonalDataInLogs(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := apptest.Options(t)
	o.Log = log
	a, err := app.Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ts := httptest.NewServer(New(Config{App: a, Staff: a.Staff, Log: log}))
	t.Cleanup(ts.Close)

	// Citizens: a failed login, logins, every page, a notification answered.
	bad := newBrowser(t, ts.URL)
	bad.login(apptest.Laia, "not her passphrase")
	for _, p := range demo.Personas() {
		b := newBrowser(t, ts.URL)
		b.login(p.ID, p.Passphrase)
		for _, path := range []string{"/", "/credentials", "/procedures", "/notifications", "/data", "/consents", "/sessions", "/settings"} {
			b.do("GET", path, nil)
		}
	}
	// Systems and staff.
	call(t, "POST", ts.URL+"/api/v1/issuer/credentials", "demo-atc-issuer", map[string]any{"type": "tax", "citizen": apptest.Laia, "deliver": true})
	call(t, "POST", ts.URL+"/api/v1/issuer/credentials", "demo-atc-issuer", map[string]any{"type": "tax", "citizen": "00000000T", "deliver": true})
	call(t, "POST", ts.URL+"/api/v1/exchange", "demo-ahc-verifier", map[string]any{"citizen": apptest.Laia, "purpose": "ajut-lloguer-residencia"})
	call(t, "POST", ts.URL+"/api/v1/notifications", "demo-girona-services", map[string]any{"ref": "GI-LOG-1", "citizen": apptest.Laia, "subject": "Prova de registre", "body": "Cos."})
	call(t, "POST", ts.URL+"/api/v1/logins", "demo-aoc-services", map[string]any{"citizen": apptest.Laia, "service": "Seu", "method": "idCAT Mòbil", "device": "iPhone · Safari"})
	st := newBrowser(t, ts.URL)
	consoleLogin(t, st, "nuria.roca", "nuria-demo-2026")
	st.do("GET", "/console/issuer?q=Laia+Puig", nil)
	st.do("GET", "/console/issuer/citizens/"+apptest.Laia, nil)

	out := logs.String()
	if len(out) < 1000 {
		t.Fatalf("suspiciously little logged (%d bytes): is logging on?", len(out))
	}
	for _, p := range demo.Personas() {
		needles := append([]string{p.ID, p.ID[:8], p.Passphrase}, strings.Fields(p.Name)...)
		for _, n := range needles {
			if len(n) > 2 && strings.Contains(out, n) {
				t.Errorf("the logs contain %q (%s)", n, p.Name)
			}
		}
	}
	for _, n := range []string{"00000000T", "GI-LOG-1", "Prova de registre", "idCAT"} {
		if strings.Contains(out, n) {
			t.Errorf("the logs contain %q", n)
		}
	}
}
