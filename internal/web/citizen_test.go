package web

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
)

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	ua   string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, ua: "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile Safari/537.36",
		c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, header ...string) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	req.Header.Set("User-Agent", b.ua)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, html string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no csrf token in page")
	}
	return m[1]
}

func (b *browser) login(id, pass string) (int, string) {
	_, page, _ := b.do("GET", "/login", nil)
	code, body, _ := b.do("POST", "/login", url.Values{"csrf": {csrfOf(b.t, page)}, "citizen": {id}, "passphrase": {pass}})
	return code, body
}

func TestCitizenLoginPagesAndLogout(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)

	// Pages need a session.
	if code, _, h := b.do("GET", "/credentials", nil); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("anonymous: %d %s", code, h.Get("Location"))
	}
	// Wrong passphrase: the same message as an unknown citizen.
	code, body := b.login(apptest.Laia, "not her passphrase")
	if code != http.StatusUnauthorized || !strings.Contains(body, "no són correctes") {
		t.Fatalf("wrong passphrase: %d", code)
	}
	code2, body2 := b.login("00000000T", "whatever-passphrase")
	if code2 != http.StatusUnauthorized || !strings.Contains(body2, "no són correctes") {
		t.Fatalf("unknown citizen: %d", code2)
	}
	// A login without the form's CSRF token is refused.
	if code, _, _ := b.do("POST", "/login", url.Values{"citizen": {apptest.Laia}, "passphrase": {apptest.LaiaPassphrase}}); code != http.StatusForbidden {
		t.Fatalf("login without csrf: %d", code)
	}

	if code, _ := b.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	code, home, h := b.do("GET", "/", nil)
	if code != 200 || !strings.Contains(home, "Hola, Laia") || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("home: %d", code)
	}
	_, creds, _ := b.do("GET", "/credentials", nil)
	for _, want := range []string{"Volant d&#39;empadronament", "Títol universitari", "Vida laboral", "Ajuntament de Girona", "Universitat de Girona"} {
		if !strings.Contains(creds, want) {
			t.Fatalf("credentials page lacks %q", want)
		}
	}
	link := regexp.MustCompile(`href="/credentials/([0-9a-f]+)"`).FindStringSubmatch(creds)
	if link == nil {
		t.Fatal("no credential link")
	}
	// The detail reads for people: labelled data, dates as dd/mm/yyyy, the
	// protocol claims (key binding, timestamps) only under technical details.
	code, detail, _ := b.do("GET", "/credentials/"+link[1], nil)
	if code != 200 || !strings.Contains(detail, "<dt>DNI/NIE</dt>") || !strings.Contains(detail, "Detalls tècnics") {
		t.Fatalf("detail: %d", code)
	}
	for _, raw := range []string{">cnf<", ">iat<", ">exp<", "e+09", "e&#43;09", "nationalId"} {
		if strings.Contains(detail, raw) {
			t.Errorf("detail shows %q", raw)
		}
	}
	if code, _, _ := b.do("GET", "/credentials/nope", nil); code != http.StatusNotFound {
		t.Fatalf("unknown credential: %d", code)
	}
	// Who used my data: every receipt verified in place.
	_, data, _ := b.do("GET", "/data", nil)
	if !strings.Contains(data, `data-verified="true"`) || strings.Contains(data, `data-verified="false"`) || !strings.Contains(data, "Credencial emesa") {
		t.Fatal("data page: receipts not all verified")
	}
	// Languages: the choice sticks in a cookie; the browser's preference otherwise.
	if _, es, _ := b.do("GET", "/credentials?lang=es", nil); !strings.Contains(es, "Mis credenciales") || !strings.Contains(es, `lang="es"`) {
		t.Fatal("Spanish page")
	}
	if _, es, _ := b.do("GET", "/", nil); !strings.Contains(es, "Actividad reciente") {
		t.Fatal("the language choice did not stick")
	}
	other := newBrowser(t, ts.URL)
	if _, en, _ := other.do("GET", "/login", nil, "Accept-Language", "en-GB,en;q=0.9"); !strings.Contains(en, "Sign in to your space") {
		t.Fatal("Accept-Language not honoured")
	}

	// The login is in her activity; sessions can be listed and ended.
	if !strings.Contains(home, "Accés · El Meu Espai · Chrome / Android") {
		t.Fatal("the login is not in the activity feed")
	}
	phone := newBrowser(t, ts.URL)
	phone.ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"
	if code, _ := phone.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("second login: %d", code)
	}
	_, sess, _ := b.do("GET", "/sessions", nil)
	if !strings.Contains(sess, "Safari / iOS") || !strings.Contains(sess, "Chrome / Android") {
		t.Fatalf("sessions page: %s", sess)
	}
	other2 := regexp.MustCompile(`name="session" value="([^"]+)"`).FindStringSubmatch(sess)
	if other2 == nil {
		t.Fatal("no session to end")
	}
	if code, _, _ := b.do("POST", "/sessions/end", url.Values{"csrf": {csrfOf(t, sess)}, "session": {other2[1]}}); code != http.StatusSeeOther {
		t.Fatalf("end session: %d", code)
	}
	if code, _, _ := phone.do("GET", "/", nil); code != http.StatusSeeOther {
		t.Fatalf("the ended session still works: %d", code)
	}

	// Logout needs the CSRF token, then ends the session.
	if code, _, _ := b.do("POST", "/logout", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("logout without csrf: %d", code)
	}
	if code, _, _ := b.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, home)}}); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}
	if code, _, _ := b.do("GET", "/", nil); code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", code)
	}
}

func TestLoginRateLimited(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)
	for i := range 5 {
		if code, _ := b.login(apptest.Laia, "wrong passphrase "+string(rune('a'+i))); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	// Even the right passphrase waits now.
	if code, body := b.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusTooManyRequests || !strings.Contains(body, "Massa intents") {
		t.Fatalf("after 5 failures: %d", code)
	}
	// Another account from the same address is still served.
	if code, _ := b.login("38765432J", "jordi-demo-2026"); code != http.StatusSeeOther {
		t.Fatalf("another account: %d", code)
	}
}

func TestEveryMessageInEveryLanguage(t *testing.T) {
	for key := range messages["ca"] {
		for _, l := range languages {
			if messages[l][key] == "" {
				t.Errorf("%s has no %q", l, key)
			}
		}
	}
	for _, l := range languages {
		if len(messages[l]) != len(messages["ca"]) {
			t.Errorf("%s has %d messages, ca %d", l, len(messages[l]), len(messages["ca"]))
		}
	}
}

func TestHomeAlerts(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)
	if code, _ := b.login("Y2345678Z", "youssef-demo-2026"); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	_, home, _ := b.do("GET", "/", nil)
	if !strings.Contains(home, `data-alert="life_new_address"`) || !strings.Contains(home, "empadronat a Salt") {
		t.Fatal("no new-address recommendation for Youssef")
	}
	// A login from another device raises an alert on the next visit.
	other := newBrowser(t, ts.URL)
	other.ua = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
	if code, _ := other.login("Y2345678Z", "youssef-demo-2026"); code != http.StatusSeeOther {
		t.Fatalf("second login: %d", code)
	}
	_, home, _ = b.do("GET", "/", nil)
	if !strings.Contains(home, `data-alert="new_device"`) || !strings.Contains(home, "Firefox / Linux") {
		t.Fatal("no new-device alert")
	}
	if code, _, _ := b.do("POST", "/alerts/mute", url.Values{"csrf": {csrfOf(t, home)}, "kind": {"life_new_address"}}); code != http.StatusSeeOther {
		t.Fatalf("mute: %d", code)
	}
	if _, home, _ = b.do("GET", "/", nil); strings.Contains(home, `data-alert="life_new_address"`) {
		t.Fatal("muted alert still shown")
	}
}

func TestSettings(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)
	if code, _ := b.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	_, page, _ := b.do("GET", "/settings", nil)
	tok := csrfOf(t, page)
	// Mute from an alert, see it unticked in settings, turn it back on there;
	// then turn two kinds off from settings; an unknown kind changes nothing.
	newDevice := `value="new_device" checked`
	if !strings.Contains(page, newDevice) {
		t.Fatal("new-device alerts not on by default")
	}
	b.do("POST", "/alerts/mute", url.Values{"csrf": {tok}, "kind": {"new_device"}})
	if _, page, _ = b.do("GET", "/settings", nil); strings.Contains(page, newDevice) || !strings.Contains(page, `value="new_device"`) {
		t.Fatal("muted kind still ticked")
	}
	all := slices.Clone(app.AlertKinds)
	if code, body, _ := b.do("POST", "/settings/alerts", url.Values{"csrf": {tok}, "on": all}); code != 200 || !strings.Contains(body, newDevice) {
		t.Fatalf("turn back on: %d", code)
	}
	some := slices.DeleteFunc(slices.Clone(all), func(k string) bool { return k == app.AlertNewDevice || k == app.AlertDegreeAwarded })
	if code, body, _ := b.do("POST", "/settings/alerts", url.Values{"csrf": {tok}, "on": some}); code != 200 || strings.Contains(body, newDevice) || strings.Contains(body, `value="life_degree" checked`) {
		t.Fatalf("turn two off: %d", code)
	}
	if code, body, _ := b.do("POST", "/settings/alerts", url.Values{"csrf": {tok}, "on": {"no_such_kind"}}); code != http.StatusBadRequest || !strings.Contains(body, `value="credential_revoked" checked`) {
		t.Fatalf("unknown kind: %d", code)
	}
	// Passphrase change: the wrong current one changes nothing.
	if code, body, _ := b.do("POST", "/settings/passphrase", url.Values{"csrf": {tok}, "current": {"nope nope nope"}, "new": {"una frase nova i llarga"}}); code != http.StatusBadRequest || !strings.Contains(body, "no és correcta") {
		t.Fatalf("wrong current passphrase: %d", code)
	}
	if code, body, _ := b.do("POST", "/settings/passphrase", url.Values{"csrf": {tok}, "current": {apptest.LaiaPassphrase}, "new": {"una frase nova i llarga"}}); code != 200 || !strings.Contains(body, "Contrasenya canviada") {
		t.Fatalf("change: %d", code)
	}
	// Export: an encrypted backup download.
	code, backup, h := b.do("POST", "/settings/export", url.Values{"csrf": {tok}, "passphrase": {"una frase nova i llarga"}})
	if code != 200 || !strings.Contains(h.Get("Content-Disposition"), "attachment") || len(backup) < 1000 || strings.Contains(backup, "Laia") {
		t.Fatalf("export: %d, %d bytes", code, len(backup))
	}
	// Erase: confirmation required, then every session ends and login fails.
	if code, _, _ := b.do("POST", "/settings/erase", url.Values{"csrf": {tok}}); code != http.StatusBadRequest {
		t.Fatalf("erase without confirmation: %d", code)
	}
	if code, _, _ := b.do("POST", "/settings/erase", url.Values{"csrf": {tok}, "confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("erase: %d", code)
	}
	if code, _, _ := b.do("GET", "/", nil); code != http.StatusSeeOther {
		t.Fatal("session survived the erasure")
	}
	if code, _ := b.login(apptest.Laia, "una frase nova i llarga"); code != http.StatusUnauthorized {
		t.Fatalf("login after erasure: %d", code)
	}
}
