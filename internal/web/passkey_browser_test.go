package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/espai/espai/internal/apptest"
)

// TestBrowserPasskey: Laia, on her phone (Chromium with a virtual
// authenticator standing in for the phone's platform authenticator),
// registers a passkey on the settings page, logs out, and logs in again with
// her passphrase and the passkey; the passphrase alone does not get her in.
// The pages pass the checks every page gets (axe, width, console). On the
// server's loopback IP, where WebAuthn cannot run (an IP cannot be a relying
// party), the page says to open it at localhost.
func TestBrowserPasskey(t *testing.T) {
	browser := newChrome(t)
	ts, _, rp := servePasskeys(t)
	// The server listens on 127.0.0.1; passkeys work at localhost.
	local := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
	if local != rp.Origin {
		t.Fatalf("origin %s, relying party %+v", local, rp)
	}
	tb := newTab(t, browser, local, phoneWidth, phoneHeight, true)
	tb.virtualAuthenticator()

	tb.open("/login")
	tb.signIn()
	tb.open("/settings")
	tb.waitFor("the passkey form to be ready", `document.querySelector('form[data-passkey="create"]').dataset.passkeyReady === 'true'`)
	if s := tb.text(`form[data-passkey="create"] [data-passkey-status]`); s != "" {
		t.Fatalf("status of a ready form: %q", s)
	}
	tb.check("settings-passkeys")
	tb.do("name the passkey", chromedp.SendKeys(chromedp.ID("pkname"), "El meu mòbil"))
	tb.follow(`form[data-passkey="create"] button[type=submit]`)
	if tb.count(`li[data-passkey-id]`) != 1 || !strings.Contains(tb.text(`ul.passkeys`), "El meu mòbil") ||
		!strings.Contains(tb.text(`main [role=status]`), "afegida") {
		t.Fatalf("the passkey is not listed: %q", tb.text("main"))
	}
	tb.check("passkey-added")

	tb.follow(`nav.menu form[action="/logout"] button[type=submit]`)
	// The passphrase alone: the second step, and no way in without it.
	tb.passphrase()
	if tb.count(`form[action="/login/passkey"]`) != 1 || tb.count(`form[action="/login/code"]`) != 0 {
		t.Fatalf("no passkey step after the passphrase: %q", tb.text("main"))
	}
	tb.waitFor("the passkey step to be ready", `document.querySelector('form[data-passkey="get"]').dataset.passkeyReady === 'true'`)
	tb.check("login-passkey")
	tb.open("/")
	if p := tb.path(); p != "/login" {
		t.Fatalf("the passphrase alone opened %s", p)
	}

	// Passphrase and passkey.
	tb.passphrase()
	tb.waitFor("the passkey step to be ready", `document.querySelector('form[data-passkey="get"]').dataset.passkeyReady === 'true'`)
	tb.follow(`form[data-passkey="get"] button[type=submit]`)
	if p := tb.path(); p != "/" {
		t.Fatalf("after the passkey: at %s: %q", p, tb.text("main"))
	}
	if h := tb.text("h1"); !strings.Contains(h, "Laia") {
		t.Fatalf("home greets %q", h)
	}
	tb.open("/sessions")
	if !strings.Contains(tb.text("main"), "contrasenya i clau d'accés") {
		t.Fatalf("the login method is not in the history: %q", tb.text("main"))
	}
	tb.open("/settings")
	if strings.Contains(tb.text("ul.passkeys"), "encara no s'ha fet servir") {
		t.Fatalf("the passkey's use is not recorded: %q", tb.text("ul.passkeys"))
	}

	// At http://127.0.0.1 (another origin, no relying party there) the
	// passkey step says where passkeys work, and the page stays usable.
	ip := newTab(t, browser, ts.URL, phoneWidth, phoneHeight, false)
	ip.passphrase()
	ip.waitFor("the passkey step to give up", `document.querySelector('form[data-passkey="get"]').dataset.passkeyReady === 'false'`)
	if s := ip.text(`form[data-passkey="get"] [data-passkey-status]`); !strings.Contains(s, rp.Origin) {
		t.Fatalf("at the IP address the status says %q", s)
	}
	ip.check("login-passkey-wrong-host")
}

// virtualAuthenticator gives the tab a platform authenticator, as on a
// phone: CTAP2, built in, with resident keys and user verification that
// succeeds, user presence confirmed at once.
func (tb *tab) virtualAuthenticator() {
	tb.t.Helper()
	tb.do("add a virtual authenticator", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true, // the Go zero value would turn it off
		}})
		return err
	}))
}

// passphrase logs Laia in up to the second step.
func (tb *tab) passphrase() {
	tb.t.Helper()
	tb.open("/login")
	tb.do("type the DNI and passphrase",
		chromedp.SendKeys(chromedp.ID("citizen"), apptest.Laia),
		chromedp.SendKeys(chromedp.ID("passphrase"), apptest.LaiaPassphrase))
	tb.follow(`form[action="/login"] button[type=submit]`)
	if tb.count(`h1`) != 1 || tb.count(`form[data-passkey="get"]`) != 1 {
		tb.t.Fatalf("no second step: %q", tb.text("main"))
	}
}
