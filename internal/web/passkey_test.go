package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/mfa"
	"github.com/espai/espai/internal/mfa/mfatest"
)

// servePasskeys serves a demo deployment whose public URL is its own
// address (http://127.0.0.1:PORT), so that passkeys can be used against it:
// relying party localhost, origin http://localhost:PORT.
func servePasskeys(t *testing.T) (*httptest.Server, *Server, mfa.RelyingParty) {
	t.Helper()
	ts, s, base := serveOwnAddress(t, nil, nil)
	rp, err := mfa.RelyingPartyFor(base)
	if err != nil {
		t.Fatalf("passkeys are off for %s: %v", base, err)
	}
	return ts, s, rp
}

// serveOwnAddress serves a demo deployment whose public URL is the
// server's own address (so passkeys work against it), with the clock now
// (nil: the real one); before, if set, runs on the server before it serves
// its first request. It returns the public URL too.
func serveOwnAddress(t *testing.T, now func() time.Time, before func(*Server)) (*httptest.Server, *Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := apptest.Options(t)
	o.PublicBase = "http://" + ln.Addr().String()
	if now != nil {
		o.Now = now
	}
	a, err := app.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	s := New(Config{App: a, Staff: a.Staff})
	if s.passkeys == nil {
		t.Fatalf("passkeys are off for %s", o.PublicBase)
	}
	if before != nil {
		before(s)
	}
	ts := httptest.NewUnstartedServer(s)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, s, o.PublicBase
}

// passkeyOptionsOf asks for a ceremony's options as passkey.js does.
func passkeyOptionsOf(t *testing.T, b *browser, path string, form url.Values) (int, []byte) {
	t.Helper()
	code, body, h := b.do("POST", path, form)
	if code == http.StatusOK && !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: %s", path, h.Get("Content-Type"))
	}
	return code, []byte(body)
}

// addPasskey registers key under name on the settings page of b's session.
func addPasskey(t *testing.T, b *browser, csrf, name string, key *mfatest.Authenticator) (int, string) {
	t.Helper()
	code, opts := passkeyOptionsOf(t, b, "/settings/passkeys/options", url.Values{"csrf": {csrf}, "name": {name}})
	if code != http.StatusOK {
		t.Fatalf("registration options: %d %s", code, opts)
	}
	code, page, _ := b.do("POST", "/settings/passkeys/register", url.Values{"csrf": {csrf}, "credential": {string(key.Create(opts))}})
	return code, page
}

// passkeyStep answers the pending login of b with an answer made from the
// login options.
func passkeyStep(t *testing.T, b *browser, step string, answer func(opts []byte) []byte) (int, string) {
	t.Helper()
	code, opts := passkeyOptionsOf(t, b, "/login/passkey/options", url.Values{"csrf": {step}})
	if code != http.StatusOK {
		return code, string(opts)
	}
	code, page, _ := b.do("POST", "/login/passkey", url.Values{"csrf": {step}, "credential": {string(answer(opts))}})
	return code, page
}

// TestPasskeyLoginOverHTTP: Laia registers a passkey in settings; from then
// on the passphrase alone opens nothing, the passkey completes the login
// (recorded as such), wrong and replayed answers count as failed attempts
// up to the account's limit, and removing the passkey goes back to the
// passphrase alone.
func TestPasskeyLoginOverHTTP(t *testing.T) {
	ts, _, rp := servePasskeys(t)
	b := newBrowser(t, ts.URL)
	b.login(apptest.Laia, apptest.LaiaPassphrase)
	_, page, _ := b.do("GET", "/settings", nil)
	csrf := csrfOf(t, page)
	if !strings.Contains(page, `data-passkey="create"`) || !strings.Contains(page, `data-rp-id="localhost"`) || !strings.Contains(page, "Encara no tens cap clau d&#39;accés") {
		t.Fatal("settings has no passkey section")
	}

	// Bad names are refused before any ceremony; a form posted without
	// JavaScript (no ceremony, no answer) says what is needed.
	for _, name := range []string{"", strings.Repeat("x", 61), "a\tb"} {
		if code, body := passkeyOptionsOf(t, b, "/settings/passkeys/options", url.Values{"csrf": {csrf}, "name": {name}}); code != http.StatusBadRequest || !strings.Contains(string(body), "entre 1 i 60") {
			t.Fatalf("name %q: %d %s", name, code, body)
		}
	}
	if code, page, _ := b.do("POST", "/settings/passkeys/register", url.Values{"csrf": {csrf}, "name": {"Mòbil"}}); code != http.StatusBadRequest || !strings.Contains(page, "cal JavaScript") {
		t.Fatalf("register without JavaScript: %d", code)
	}

	phone := mfatest.New(t, rp.ID, rp.Origin)
	code, page := addPasskey(t, b, csrf, "El meu mòbil", phone)
	if code != http.StatusOK || !strings.Contains(page, "Clau d&#39;accés «El meu mòbil» afegida") || !strings.Contains(page, `data-passkey-id="`+phone.IDString()+`"`) {
		t.Fatalf("passkey not added: %d", code)
	}
	// The ceremony was spent: the same answer again is not taken.
	_, opts := passkeyOptionsOf(t, b, "/settings/passkeys/options", url.Values{"csrf": {csrf}, "name": {"Una altra"}})
	answer := mfatest.New(t, rp.ID, rp.Origin).Create(opts)
	b.do("POST", "/settings/passkeys/register", url.Values{"csrf": {csrf}, "credential": {string(answer)}})
	if code, _, _ := b.do("POST", "/settings/passkeys/register", url.Values{"csrf": {csrf}, "credential": {string(answer)}}); code != http.StatusBadRequest {
		t.Fatalf("a registration answer used twice: %d", code)
	}
	// An answer from another origin is refused and nothing is added.
	evil := mfatest.New(t, rp.ID, "http://evil.localhost:8080")
	if code, page := addPasskey(t, b, csrf, "Malvada", evil); code != http.StatusBadRequest || strings.Contains(page, evil.IDString()) {
		t.Fatalf("passkey from another origin: %d", code)
	}
	b.do("POST", "/logout", url.Values{"csrf": {csrf}})

	// The passphrase alone no longer opens the space: the second step
	// offers the passkey (and no code: Laia has no TOTP app).
	code, page = b.login(apptest.Laia, apptest.LaiaPassphrase)
	if code != http.StatusOK || !strings.Contains(page, `action="/login/passkey"`) || strings.Contains(page, `action="/login/code"`) ||
		!strings.Contains(page, `src="/static/passkey.js"`) {
		t.Fatalf("no passkey step: %d", code)
	}
	if code, _, h := b.do("GET", "/", nil); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("home reachable with the passphrase alone: %d", code)
	}
	step := csrfOf(t, page)
	for _, form := range []url.Values{{}, {"csrf": {"forged"}}} {
		if code, _ := passkeyOptionsOf(t, b, "/login/passkey/options", form); code != http.StatusForbidden {
			t.Fatalf("login options with csrf %q: %d", form.Get("csrf"), code)
		}
		if code, _, _ := b.do("POST", "/login/passkey", form); code != http.StatusForbidden {
			t.Fatalf("passkey step with csrf %q: %d", form.Get("csrf"), code)
		}
	}
	// Without JavaScript: nothing tried, nothing counted.
	if code, page, _ := b.do("POST", "/login/passkey", url.Values{"csrf": {step}}); code != http.StatusBadRequest || !strings.Contains(page, "cal JavaScript") {
		t.Fatalf("passkey step without an answer: %d", code)
	}
	// Another authenticator's answer does not verify.
	stranger := mfatest.New(t, rp.ID, rp.Origin)
	stranger.Handle = phone.Handle
	if code, page := passkeyStep(t, b, step, stranger.Get); code != http.StatusUnauthorized || !strings.Contains(page, "no s&#39;ha pogut verificar") {
		t.Fatalf("unknown passkey: %d", code)
	}
	var good []byte
	code, page = passkeyStep(t, b, step, func(opts []byte) []byte { good = phone.Get(opts); return good })
	if code != http.StatusSeeOther {
		t.Fatalf("passkey login: %d %s", code, page)
	}
	_, page, _ = b.do("GET", "/sessions", nil)
	if !strings.Contains(page, `data-method="passphrase&#43;passkey"`) || !strings.Contains(page, "contrasenya i clau d&#39;accés") {
		t.Fatal("the login method is not in the history")
	}
	_, home, _ := b.do("GET", "/", nil)
	if !strings.Contains(home, "Clau d&#39;accés afegida") || !strings.Contains(home, "El meu mòbil") {
		t.Fatal("adding the passkey is not in the activity")
	}

	// On another device: the answer that logged Laia in is refused (its
	// challenge was the old ceremony's), and failures count up to the
	// account's limit, after which even the options are refused.
	other := newBrowser(t, ts.URL)
	_, page = other.login(apptest.Laia, apptest.LaiaPassphrase)
	step = csrfOf(t, page)
	replay := func([]byte) []byte { return good }
	if code, _ := passkeyStep(t, other, step, replay); code != http.StatusUnauthorized {
		t.Fatalf("replayed answer: %d", code)
	}
	for range 4 {
		if code, _ := passkeyStep(t, other, step, stranger.Get); code != http.StatusUnauthorized {
			t.Fatalf("wrong answer: %d", code)
		}
	}
	if code, body := passkeyOptionsOf(t, other, "/login/passkey/options", url.Values{"csrf": {step}}); code != http.StatusTooManyRequests {
		t.Fatalf("after five failures: %d %s", code, body)
	}
	// The limited pending login is gone: its wallet locked.
	if code, _, _ := other.do("POST", "/login/passkey", url.Values{"csrf": {step}, "credential": {"{}"}}); code != http.StatusForbidden {
		t.Fatalf("a limited pending login went on: %d", code)
	}

	// Removing the passkey: unknown ids change nothing; then the
	// passphrase alone opens the space again.
	_, page, _ = b.do("GET", "/settings", nil)
	csrf = csrfOf(t, page)
	if code, _, _ := b.do("POST", "/settings/passkeys/remove", url.Values{"csrf": {csrf}, "id": {"AAAA"}}); code != http.StatusNotFound {
		t.Fatalf("remove an unknown passkey: %d", code)
	}
	code, page, _ = b.do("POST", "/settings/passkeys/remove", url.Values{"csrf": {csrf}, "id": {phone.IDString()}})
	if code != http.StatusOK || !strings.Contains(page, "«El meu mòbil» eliminada") || strings.Contains(page, phone.IDString()) {
		t.Fatalf("remove: %d", code)
	}
	b.do("POST", "/logout", url.Values{"csrf": {csrf}})
	if code, _ := newBrowser(t, ts.URL).login("38765432J", "jordi-demo-2026"); code != http.StatusSeeOther {
		t.Fatalf("Jordi, no second factor: %d", code)
	}
}

// TestBlockedPasskeyIsNotAFallback: a passkey whose counter goes backwards
// is refused and blocked; with no other factor, the login cannot complete
// (no fallback to the passphrase alone) and the page says why.
func TestBlockedPasskeyIsNotAFallback(t *testing.T) {
	ts, _, rp := servePasskeys(t)
	const jordi, pass = "38765432J", "jordi-demo-2026"
	b := newBrowser(t, ts.URL)
	b.login(jordi, pass)
	_, page, _ := b.do("GET", "/settings", nil)
	csrf := csrfOf(t, page)
	key := mfatest.New(t, rp.ID, rp.Origin)
	if code, _ := addPasskey(t, b, csrf, "Clau", key); code != http.StatusOK {
		t.Fatalf("add: %d", code)
	}
	b.do("POST", "/logout", url.Values{"csrf": {csrf}})
	for range 2 {
		_, page = b.login(jordi, pass)
		if code, _ := passkeyStep(t, b, csrfOf(t, page), key.Get); code != http.StatusSeeOther {
			t.Fatalf("login: %d", code)
		}
		_, page, _ = b.do("GET", "/settings", nil)
		b.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, page)}})
	}
	_, page = b.login(jordi, pass)
	code, page := passkeyStep(t, b, csrfOf(t, page), func(opts []byte) []byte { return key.GetAt(opts, 1) })
	if code != http.StatusUnauthorized || !strings.Contains(page, "s&#39;ha bloquejat") || !strings.Contains(page, "data-no-factor") || strings.Contains(page, `action="/login/passkey"`) {
		t.Fatalf("counter went back: %d", code)
	}
	_, page = b.login(jordi, pass)
	if !strings.Contains(page, "data-no-factor") {
		t.Fatal("a blocked passkey fell back to the passphrase alone")
	}
	if code, _, _ := b.do("GET", "/", nil); code != http.StatusSeeOther {
		t.Fatalf("home reachable: %d", code)
	}
}
