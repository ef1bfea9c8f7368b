package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/register"
)

// The limits of the citizen's space over HTTP: sessions end after their
// idle and absolute timeouts (sessionIdle, sessionAbsolute), and failed
// logins from one address are refused past the per-address limit, whatever
// the client says its address is. The per-account limit is
// TestLoginRateLimited's.
//
// The server's clock is the deployment's (app.Options.Now, through
// apptest.Demo; serveLimits hands the test a clock it moves). The limits
// themselves are not configurable: sessionIdle and sessionAbsolute are
// constants of citizen_session.go, which these tests read, and the
// per-address limit (30 failures in 15 minutes) is hard-coded in New
// (web.go), which they restate as addrMaxFails and addrWindow.

const (
	addrMaxFails = 30
	addrWindow   = 15 * time.Minute
)

// serveLimits is serveClock with the server's Config's trusted proxies.
func serveLimits(t *testing.T, proxies ...string) (*httptest.Server, *Server, *clock) {
	t.Helper()
	clk := &clock{t: time.Now()}
	a := apptest.Demo(t, clk.now)
	s := New(Config{App: a, Staff: a.Staff, TrustedProxies: proxies})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, s, clk
}

// sessionOf is the server's record of b's citizen session, nil if it has
// none.
func sessionOf(t *testing.T, s *Server, b *browser) *citizenSession {
	t.Helper()
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			s.sess.mu.Lock()
			defer s.sess.mu.Unlock()
			return s.sess.m[c.Value]
		}
	}
	return nil
}

// liveSessions counts the server's citizen sessions, expired or not.
func liveSessions(s *Server) int {
	s.sess.mu.Lock()
	defer s.sess.mu.Unlock()
	return len(s.sess.m)
}

// loggedIn logs Laia in on a new browser with the given user agent.
func loggedIn(t *testing.T, ts *httptest.Server, ua string) *browser {
	t.Helper()
	b := newBrowser(t, ts.URL)
	if ua != "" {
		b.ua = ua
	}
	if code, _ := b.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	return b
}

// open asks for a page of the space: 200, or 303 to /login once the
// session is over.
func (b *browser) open(path string) int {
	b.t.Helper()
	code, _, h := b.do("GET", path, nil)
	if code == http.StatusSeeOther && h.Get("Location") != "/login" {
		b.t.Fatalf("GET %s: redirected to %s", path, h.Get("Location"))
	}
	return code
}

// TestSessionIdleTimeout: a session used within sessionIdle stays open
// however long it lasts in all; one left alone longer ends: its pages send
// to the login page, its forms are refused, it leaves the citizen's list of
// sessions, and its wallet is locked. Another device's session stays open.
func TestSessionIdleTimeout(t *testing.T) {
	if sessionIdle != 15*time.Minute {
		t.Errorf("sessionIdle is %s; docs/architecture.md and docs/security.md say 15 minutes", sessionIdle)
	}
	ts, s, clk := serveLimits(t)
	phone := loggedIn(t, ts, "")
	_, home, _ := phone.do("GET", "/", nil)
	csrf := csrfOf(t, home)
	// Used every sessionIdle - 1 minute: still open after twice the idle
	// timeout in all.
	for range 2 {
		clk.add(sessionIdle - time.Minute)
		if code := phone.open("/credentials"); code != http.StatusOK {
			t.Fatalf("a session used %s ago: %d", sessionIdle-time.Minute, code)
		}
	}
	// A second device logs in; the phone is then left alone.
	clk.add(sessionIdle - time.Minute)
	if code := phone.open("/credentials"); code != http.StatusOK {
		t.Fatalf("phone: %d", code)
	}
	laptop := loggedIn(t, ts, "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0")
	ps, ls := sessionOf(t, s, phone), sessionOf(t, s, laptop)
	if ps == nil || ls == nil || ps.Wallet == ls.Wallet {
		t.Fatalf("sessions: phone %v, laptop %v", ps, ls)
	}
	endPhone := fmt.Sprintf(`name="session" value="%s"`, ps.ID)
	if _, page, _ := laptop.do("GET", "/sessions", nil); !strings.Contains(page, endPhone) || len(s.sess.of(apptest.Laia)) != 2 {
		t.Fatalf("two devices logged in: the laptop's sessions page offers no way to end the phone's (%d sessions)", len(s.sess.of(apptest.Laia)))
	}
	// The laptop keeps going; the phone has been idle for sessionIdle + 1 minute.
	clk.add(sessionIdle - 2*time.Minute)
	if code := laptop.open("/credentials"); code != http.StatusOK {
		t.Fatalf("laptop: %d", code)
	}
	clk.add(3 * time.Minute)
	if _, page, _ := laptop.do("GET", "/sessions", nil); strings.Contains(page, endPhone) || len(s.sess.of(apptest.Laia)) != 1 {
		t.Fatalf("the idle phone's session is still listed (%d sessions)", len(s.sess.of(apptest.Laia)))
	}
	if code := phone.open("/credentials"); code != http.StatusSeeOther {
		t.Fatalf("a session idle for %s: %d", sessionIdle+time.Minute, code)
	}
	if code, _, _ := phone.do("POST", "/alerts/mute", url.Values{"csrf": {csrf}, "kind": {"new_device"}}); code != http.StatusForbidden {
		t.Fatalf("a form of the ended session: %d", code)
	}
	if !ps.Wallet.Locked() {
		t.Fatal("the idle session's wallet is still unlocked")
	}
	if ls.Wallet.Locked() || sessionOf(t, s, laptop) == nil {
		t.Fatal("the other device's session ended too")
	}
	// Logging in again opens a new session.
	if code, _ := phone.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther || phone.open("/credentials") != http.StatusOK {
		t.Fatalf("login after the timeout: %d", code)
	}
}

// TestSessionIdleSweep: with no request at all, the server's sweep ends an
// idle session and locks its wallet (the keys leave memory on time).
func TestSessionIdleSweep(t *testing.T) {
	ts, s, clk := serveLimits(t)
	b := loggedIn(t, ts, "")
	cs := sessionOf(t, s, b)
	if cs == nil {
		t.Fatal("no session")
	}
	clk.add(sessionIdle - time.Minute)
	s.Sweep()
	if liveSessions(s) != 1 || cs.Wallet.Locked() {
		t.Fatal("the sweep ended a session idle for less than the timeout")
	}
	clk.add(2 * time.Minute)
	s.Sweep()
	if liveSessions(s) != 0 || !cs.Wallet.Locked() {
		t.Fatalf("after the sweep: %d sessions, wallet locked %v", liveSessions(s), cs.Wallet.Locked())
	}
	if code := b.open("/"); code != http.StatusSeeOther {
		t.Fatalf("swept session: %d", code)
	}
}

// TestSessionAbsoluteTimeout: a session in constant use ends
// sessionAbsolute after its login, and its cookie says so.
func TestSessionAbsoluteTimeout(t *testing.T) {
	if sessionAbsolute != 12*time.Hour {
		t.Errorf("sessionAbsolute is %s; docs/architecture.md and docs/security.md say 12 hours", sessionAbsolute)
	}
	ts, s, clk := serveLimits(t)
	b := newBrowser(t, ts.URL)
	_, page, _ := b.do("GET", "/login", nil)
	code, _, h := b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "citizen": {apptest.Laia}, "passphrase": {apptest.LaiaPassphrase}})
	if code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	maxAge := ""
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == sessionCookie {
			maxAge = strconv.Itoa(c.MaxAge)
			if !c.HttpOnly || (c.SameSite != http.SameSiteStrictMode && c.SameSite != http.SameSiteLaxMode) {
				t.Fatalf("session cookie: %+v", c)
			}
		}
	}
	if maxAge != strconv.Itoa(int(sessionAbsolute/time.Second)) {
		t.Fatalf("session cookie Max-Age %q, want %d", maxAge, int(sessionAbsolute/time.Second))
	}
	cs := sessionOf(t, s, b)
	step := sessionIdle - time.Minute
	elapsed := time.Duration(0)
	for elapsed+step <= sessionAbsolute {
		clk.add(step)
		elapsed += step
		if code := b.open("/credentials"); code != http.StatusOK {
			t.Fatalf("in use, %s after login: %d", elapsed, code)
		}
	}
	clk.add(step) // never idle for long, but past sessionAbsolute in all
	elapsed += step
	if code := b.open("/credentials"); code != http.StatusSeeOther {
		t.Fatalf("%s after login: %d", elapsed, code)
	}
	if !cs.Wallet.Locked() || liveSessions(s) != 0 {
		t.Fatal("the session outlived its absolute timeout")
	}
}

// failLogins makes n failed logins from b, each for another citizen (so
// that no account reaches its own limit), and returns the last answer.
func failLogins(t *testing.T, b *browser, first, n int, header ...string) (int, http.Header) {
	t.Helper()
	var code int
	var h http.Header
	for i := range n {
		id, err := register.DNI(50_000_000 + first + i)
		if err != nil {
			t.Fatal(err)
		}
		_, page, _ := b.do("GET", "/login", nil, header...)
		code, _, h = b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "citizen": {id}, "passphrase": {"una frase que no obre res"}}, header...)
		if code != http.StatusUnauthorized {
			return code, h
		}
	}
	return code, h
}

// limited checks an answer refused by a login limit: 429, a Retry-After of
// at most the limit's window, the form shown again.
func limited(t *testing.T, what string, code int, body string, h http.Header) {
	t.Helper()
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Massa intents") {
		t.Fatalf("%s: %d, want 429", what, code)
	}
	ra, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || ra < 1 || ra > int(addrWindow/time.Second) {
		t.Errorf("%s: Retry-After %q, want 1..%d seconds", what, h.Get("Retry-After"), int(addrWindow/time.Second))
	}
}

// tryLogin posts one login (Laia's, right passphrase unless pass says
// otherwise) with extra headers.
func tryLogin(t *testing.T, b *browser, pass string, header ...string) (int, string, http.Header) {
	t.Helper()
	_, page, _ := b.do("GET", "/login", nil, header...)
	return b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "citizen": {apptest.Laia}, "passphrase": {pass}}, header...)
}

// TestLoginLimitedPerAddress: addrMaxFails failed logins from one address,
// each for another DNI, and the address is refused (429 with Retry-After),
// even Laia with her right passphrase and from a new browser. When the
// window has passed, the address is served again.
func TestLoginLimitedPerAddress(t *testing.T) {
	ts, _, clk := serveLimits(t)
	sprayer := newBrowser(t, ts.URL)
	if code, _ := failLogins(t, sprayer, 0, addrMaxFails-1); code != http.StatusUnauthorized {
		t.Fatalf("failures below the address limit: %d", code)
	}
	// The last failure the limit allows still gets an answer.
	if code, _, _ := tryLogin(t, sprayer, "una altra frase que no obre res"); code != http.StatusUnauthorized {
		t.Fatalf("failure %d: %d", addrMaxFails, code)
	}
	code, body, h := tryLogin(t, sprayer, apptest.LaiaPassphrase)
	limited(t, "the right passphrase past the address limit", code, body, h)
	// Another browser at the same address: the same limit.
	code, body, h = tryLogin(t, newBrowser(t, ts.URL), apptest.LaiaPassphrase)
	limited(t, "a new browser at the same address", code, body, h)
	// The window passes: served again.
	clk.add(addrWindow + time.Second)
	if code, _, _ := tryLogin(t, sprayer, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", code)
	}
}

// forwarded is an X-Forwarded-For and X-Real-IP naming addr: what a client
// would send to pass for another address.
func forwarded(addr string) []string {
	return []string{"X-Forwarded-For", addr, "X-Real-IP", addr}
}

// TestLoginLimitIgnoresForwardedFor: a client talking to the server
// directly (no trusted proxy configured) cannot escape the per-address
// limit by naming another address in X-Forwarded-For or X-Real-IP: every
// attempt counts against its real address, and once that is blocked a new
// header does not unblock it.
func TestLoginLimitIgnoresForwardedFor(t *testing.T) {
	ts, _, _ := serveLimits(t)
	sprayer := newBrowser(t, ts.URL)
	for i := range addrMaxFails {
		addr := fmt.Sprintf("198.51.100.%d", i+1)
		if code, _ := failLogins(t, sprayer, i, 1, forwarded(addr)...); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d (X-Forwarded-For %s): %d", i+1, addr, code)
		}
	}
	code, body, h := tryLogin(t, sprayer, apptest.LaiaPassphrase, forwarded("203.0.113.77")...)
	limited(t, "a new X-Forwarded-For after the address limit", code, body, h)
	code, body, h = tryLogin(t, sprayer, apptest.LaiaPassphrase)
	limited(t, "no header after the address limit", code, body, h)
}

// TestLoginLimitBehindTrustedProxy: behind a reverse proxy the server
// trusts, X-Forwarded-For names the client: two clients behind the proxy
// have their own limits, and a client that puts another address in front
// of what the proxy appends still counts as itself.
func TestLoginLimitBehindTrustedProxy(t *testing.T) {
	ts, _, _ := serveLimits(t, "127.0.0.1")
	const client, other = "198.51.100.7", "198.51.100.8"
	sprayer := newBrowser(t, ts.URL)
	for i := range addrMaxFails {
		// The client sends its own X-Forwarded-For; the proxy appends the
		// address it sees.
		spoof := fmt.Sprintf("203.0.113.%d", i+1)
		if code, _ := failLogins(t, sprayer, i, 1, "X-Forwarded-For", spoof+", "+client); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, code)
		}
	}
	code, body, h := tryLogin(t, sprayer, apptest.LaiaPassphrase, "X-Forwarded-For", "203.0.113.200, "+client)
	limited(t, "the client behind the proxy past its limit", code, body, h)
	if code, _, _ := tryLogin(t, newBrowser(t, ts.URL), apptest.LaiaPassphrase, "X-Forwarded-For", other); code != http.StatusSeeOther {
		t.Fatalf("another client behind the same proxy: %d", code)
	}
}

// TestSessionKeepsWalletWhileActive: pages that do not read the wallet keep
// it unlocked all the same; the session and the wallet idle together.
func TestSessionKeepsWalletWhileActive(t *testing.T) {
	ts, _, clk := serveLimits(t)
	phone := loggedIn(t, ts, "")
	for range 3 {
		clk.add(10 * time.Minute)
		if code := phone.open("/requests"); code != http.StatusOK {
			t.Fatalf("a citizen active every 10 minutes was logged out: %d", code)
		}
	}
	if code := phone.open("/credentials"); code != http.StatusOK {
		t.Fatalf("the wallet locked under an active session: %d", code)
	}
}
