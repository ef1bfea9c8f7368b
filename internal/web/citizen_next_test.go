package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/espai/espai/internal/apptest"
)

func TestSafeNext(t *testing.T) {
	for p, want := range map[string]bool{
		"/notifications/abc":            true,
		"/requests?uri=openid4vp%3A%2F": true,
		"/":                             true,
		"":                              false,
		"//evil.example/x":              false,
		"https://evil.example/":         false,
		"/\\evil.example":               false,
		"/login":                        false,
		"/login/code":                   false,
		"/logout":                       false,
		"notifications":                 false,
		"/x\r\nSet-Cookie: a=b":         false,
	} {
		if got := safeNext(p); got != want {
			t.Errorf("safeNext(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestLoginReturnsToAskedPage: a logged-out citizen who follows a link (an
// alert e-mail, a verifier's QR code) lands on that page after logging in,
// and the session cookie is SameSite=Lax so the link works when logged in.
func TestLoginReturnsToAskedPage(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)
	if code, _, h := b.do("GET", "/notifications?x=1", nil); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("anonymous: %d %s", code, h.Get("Location"))
	}
	_, page, _ := b.do("GET", "/login", nil)
	code, _, h := b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "citizen": {apptest.Laia}, "passphrase": {apptest.LaiaPassphrase}})
	if code != http.StatusSeeOther || h.Get("Location") != "/notifications?x=1" {
		t.Fatalf("after login: %d %q", code, h.Get("Location"))
	}
	if sc := strings.Join(h.Values("Set-Cookie"), "\n"); !strings.Contains(sc, sessionCookie+"=") || !strings.Contains(sc, "SameSite=Lax") {
		t.Fatalf("session cookie: %s", sc)
	}
	// Used once: the next login goes home.
	b.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, mustGet(t, b, "/"))}})
	_, page, _ = b.do("GET", "/login", nil)
	if code, _, h := b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "citizen": {apptest.Laia}, "passphrase": {apptest.LaiaPassphrase}}); code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Fatalf("second login: %d %q", code, h.Get("Location"))
	}
	// A cookie planted with an outside URL is ignored.
	u, _ := url.Parse(ts.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: nextCookie, Value: "//evil.example/", Path: "/"}})
	b.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, mustGet(t, b, "/"))}})
	_, page, _ = b.do("GET", "/login", nil)
	if code, _, h := b.do("POST", "/login", url.Values{"csrf": {csrfOf(t, page)}, "citizen": {apptest.Laia}, "passphrase": {apptest.LaiaPassphrase}}); code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Fatalf("planted next: %d %q", code, h.Get("Location"))
	}
}

func mustGet(t *testing.T, b *browser, path string) string {
	t.Helper()
	code, body, _ := b.do("GET", path, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
	return body
}

// TestUnknownAddresses: an unknown page is the citizen's error page in their
// language, with the menu when logged in; an unknown API path is a JSON error.
func TestUnknownAddresses(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)
	code, body, h := b.do("GET", "/no-such-page", nil, "Accept-Language", "es")
	if code != http.StatusNotFound || !strings.Contains(body, "Esta página no existe") || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("anonymous: %d %s", code, h.Get("Content-Type"))
	}
	if code, _ := b.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	if code, body, _ := b.do("GET", "/credencials", nil); code != http.StatusNotFound || !strings.Contains(body, `nav class="menu"`) {
		t.Fatalf("logged in: %d", code)
	}
	code, body, h = b.do("GET", "/api/v1/nope", nil)
	if code != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || !strings.Contains(body, `"code"`) {
		t.Fatalf("api: %d %s %s", code, h.Get("Content-Type"), body)
	}
}
