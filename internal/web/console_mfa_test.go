package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/espai/espai/internal/staff"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

var totpSecretRE = regexp.MustCompile(`data-totp-secret>([A-Z2-7]+)<`)

// totpAt is the code of secret at a time, as an authenticator app shows it.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongTOTP is a code that is none of the ones accepted at now.
func wrongTOTP(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", n)
		if c != totpAt(t, secret, now.Add(-30*time.Second)) && c != totpAt(t, secret, now) && c != totpAt(t, secret, now.Add(30*time.Second)) {
			return c
		}
	}
}

// enrolStaffTOTP turns on the second factor of b's staff member from their
// account page and returns its secret; the clock moves to the next step
// (the confirmation's code is spent).
func enrolStaffTOTP(t *testing.T, b *browser, clk *clock) string {
	t.Helper()
	_, page, _ := b.do("GET", "/console/account", nil)
	csrf := csrfOf(t, page)
	code, page, _ := b.do("POST", "/console/account/mfa/begin", url.Values{"csrf": {csrf}})
	m := totpSecretRE.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil || !strings.Contains(page, "<svg") {
		t.Fatalf("enrolment: %d, no QR code or key", code)
	}
	if code, page, _ := b.do("POST", "/console/account/mfa/confirm", url.Values{"csrf": {csrf}, "code": {totpAt(t, m[1], clk.now())}}); code != http.StatusOK || !strings.Contains(page, `data-mfa="on"`) {
		t.Fatalf("confirm: %d", code)
	}
	clk.add(30 * time.Second)
	return m[1]
}

// consolePassword sends the password of an account with a second factor
// and returns the code step's page.
func consolePassword(t *testing.T, b *browser, login, password string) string {
	t.Helper()
	code, page, _ := consoleLoginAnswer(t, b, login, password)
	if code != http.StatusOK || !strings.Contains(page, `action="/console/login/code"`) {
		t.Fatalf("%s: no code step: %d", login, code)
	}
	return page
}

// consoleCode answers the code step.
func consoleCode(b *browser, page, code string) (int, string, http.Header) {
	b.t.Helper()
	return b.do("POST", "/console/login/code", url.Values{"csrf": {csrfOf(b.t, page)}, "code": {code}})
}

// cookieOf is b's cookie name for path, "" if none.
func cookieOf(b *browser, path, name string) string {
	u, _ := url.Parse(b.base + path)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func hasAction(t *testing.T, s *Server, admin, kind, login string) bool {
	t.Helper()
	acts, _, err := s.cfg.Staff.Actions(t.Context(), admin, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Kind == kind && a.ActorLogin == login && a.Via == "console" {
			return true
		}
	}
	return false
}

// TestConsoleSecondFactor: a staff member turns TOTP on from their account
// page; the password alone then opens nothing; wrong and replayed codes are
// refused and counted like wrong passwords, up to 429; a pending login is
// single-use and lasts five minutes; turning it off needs a current code.
func TestConsoleSecondFactor(t *testing.T) {
	ts, s, clk := serveClock(t)
	const login, password = "pere.vila", "pere-demo-2026"
	acctKey, addrKey := "staff:"+login, "addr:127.0.0.1"
	b := newBrowser(t, ts.URL)
	consoleLogin(t, b, login, password)
	other := newBrowser(t, ts.URL)
	consoleLogin(t, other, login, password)

	// Off at first; turning it on needs the session's CSRF token and a
	// code of the new secret.
	_, page, _ := b.do("GET", "/console/account", nil)
	if !strings.Contains(page, `data-mfa="off"`) || !strings.Contains(page, `action="/console/account/mfa/begin"`) {
		t.Fatal("the account page does not offer the second factor")
	}
	csrf := csrfOf(t, page)
	if code, _, _ := b.do("POST", "/console/account/mfa/begin", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("begin without the CSRF token: %d", code)
	}
	code, page, _ := b.do("POST", "/console/account/mfa/begin", url.Values{"csrf": {csrf}})
	m := totpSecretRE.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil || !strings.Contains(page, `<figure class="qr"`) || !strings.Contains(page, "<svg") {
		t.Fatalf("enrolment page: %d", code)
	}
	secret := m[1]
	if code, _, _ := b.do("POST", "/console/account/mfa/confirm", url.Values{"csrf": {csrf}, "code": {wrongTOTP(t, secret, clk.now())}}); code != http.StatusBadRequest {
		t.Fatalf("confirm with a wrong code: %d", code)
	}
	if on, _ := s.cfg.App.MFA.Enabled(t.Context(), staffFactorKey(staffID(t, s, girona, login))); on {
		t.Fatal("on after a wrong confirmation")
	}
	enrolled := totpAt(t, secret, clk.now())
	if code, page, _ := b.do("POST", "/console/account/mfa/confirm", url.Values{"csrf": {csrf}, "code": {enrolled}}); code != http.StatusOK || !strings.Contains(page, `data-mfa="on"`) {
		t.Fatalf("confirm: %d", code)
	}
	if code, page, _ := b.do("POST", "/console/account/mfa/begin", url.Values{"csrf": {csrf}}); code != http.StatusConflict || totpSecretRE.MatchString(page) {
		t.Fatalf("a second enrolment while on: %d", code)
	}
	// Sessions opened with the password alone end; this one stays.
	if code, _, h := other.do("GET", "/console/verifier", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Fatalf("the other session after turning it on: %d", code)
	}
	if code, _, _ := b.do("GET", "/console/verifier", nil); code != http.StatusOK {
		t.Fatalf("this session after turning it on: %d", code)
	}
	if !hasAction(t, s, girona, "account.mfa-enable", login) {
		t.Fatal("turning it on is not in the action log")
	}

	// The password alone opens nothing now.
	pb := newBrowser(t, ts.URL)
	step := consolePassword(t, pb, login, password)
	if cookieOf(pb, "/console/login/code", consoleMFACookie) == "" || cookieOf(pb, "/console", consoleCookie) != "" {
		t.Fatal("the code step's cookie, or a session before the code")
	}
	if code, _, h := pb.do("GET", "/console", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Fatalf("the console before the code: %d", code)
	}
	// The code step again (a reload, another language) keeps its form.
	if code, again, _ := pb.do("GET", "/console/login/code?lang=es", nil); code != http.StatusOK || csrfOf(t, again) != csrfOf(t, step) || !strings.Contains(again, "Código de verificación") {
		t.Fatalf("GET of the code step: %d", code)
	}
	// Without the step's CSRF token: refused, not counted.
	if code, _, _ := pb.do("POST", "/console/login/code", url.Values{"code": {totpAt(t, secret, clk.now())}}); code != http.StatusForbidden {
		t.Fatalf("code without the CSRF token: %d", code)
	}
	// A wrong code is refused and counted per login and per address.
	acctBefore, addrBefore := s.loginByAccount.count(acctKey), s.loginByAddr.count(addrKey)
	if code, page, _ := consoleCode(pb, step, wrongTOTP(t, secret, clk.now())); code != http.StatusUnauthorized || !strings.Contains(page, `role="alert"`) {
		t.Fatalf("wrong code: %d", code)
	}
	if s.loginByAccount.count(acctKey) != acctBefore+1 || s.loginByAddr.count(addrKey) != addrBefore+1 {
		t.Fatal("a wrong code was not counted")
	}
	// The code that turned it on is spent.
	if code, _, _ := consoleCode(pb, step, enrolled); code != http.StatusUnauthorized {
		t.Fatalf("the confirmation's code at login: %d", code)
	}
	clk.add(30 * time.Second)
	good := totpAt(t, secret, clk.now())
	pending := cookieOf(pb, "/console/login/code", consoleMFACookie)
	if code, _, h := consoleCode(pb, step, good); code != http.StatusSeeOther || h.Get("Location") != "/console" {
		t.Fatalf("right code: %d", code)
	}
	if code, _, _ := pb.do("GET", "/console/verifier", nil); code != http.StatusOK {
		t.Fatalf("the console after the code: %d", code)
	}
	if s.loginByAccount.count(acctKey) != 0 {
		t.Fatal("a completed login did not clear the account's failures")
	}
	// The pending login was single-use: its cookie again opens nothing.
	u, _ := url.Parse(ts.URL + "/console")
	pb.c.Jar.SetCookies(u, []*http.Cookie{{Name: consoleMFACookie, Value: pending, Path: "/console"}})
	clk.add(30 * time.Second)
	if code, _, _ := consoleCode(pb, step, totpAt(t, secret, clk.now())); code != http.StatusForbidden {
		t.Fatalf("a used pending login: %d", code)
	}
	// The same code again, elsewhere, in the same 30 seconds: refused.
	clk.add(-30 * time.Second)
	rb := newBrowser(t, ts.URL)
	if code, _, _ := consoleCode(rb, consolePassword(t, rb, login, password), good); code != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", code)
	}
	// A pending login lasts five minutes.
	eb := newBrowser(t, ts.URL)
	estep := consolePassword(t, eb, login, password)
	clk.add(staffPendingFor + time.Second)
	if code, _, _ := consoleCode(eb, estep, totpAt(t, secret, clk.now())); code != http.StatusForbidden {
		t.Fatalf("a stale pending login: %d", code)
	}

	// Wrong codes count like wrong passwords: five, then 429 with
	// Retry-After, and the pending login ends; the password is refused too.
	clk.add(16 * time.Minute) // earlier failures leave the window
	lb := newBrowser(t, ts.URL)
	lstep := consolePassword(t, lb, login, password)
	for i := range 5 {
		if code, _, _ := consoleCode(lb, lstep, wrongTOTP(t, secret, clk.now())); code != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i, code)
		}
	}
	code, _, h := consoleCode(lb, lstep, totpAt(t, secret, clk.now()))
	if ra, _ := strconv.Atoi(h.Get("Retry-After")); code != http.StatusTooManyRequests || ra < 1 || ra > 15*60 {
		t.Fatalf("after five wrong codes: %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	if code, _, _ := consoleCode(lb, lstep, totpAt(t, secret, clk.now())); code != http.StatusForbidden {
		t.Fatalf("the pending login after the limit: %d", code)
	}
	if code, _, h := consoleLoginAnswer(t, newBrowser(t, ts.URL), login, password); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("the password after five wrong codes: %d", code)
	}

	// Turning it off needs a current code; wrong ones count.
	clk.add(16 * time.Minute)
	b = newBrowser(t, ts.URL)
	if code, _, _ := consoleCode(b, consolePassword(t, b, login, password), totpAt(t, secret, clk.now())); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	_, page, _ = b.do("GET", "/console/account", nil)
	csrf = csrfOf(t, page)
	clk.add(30 * time.Second)
	for _, bad := range []string{"", "12345", wrongTOTP(t, secret, clk.now())} {
		if code, _, _ := b.do("POST", "/console/account/mfa/disable", url.Values{"csrf": {csrf}, "code": {bad}}); code != http.StatusBadRequest {
			t.Fatalf("turn off with %q: %d", bad, code)
		}
	}
	if s.loginByAccount.count(acctKey) != 3 {
		t.Fatalf("wrong codes to turn it off counted %d", s.loginByAccount.count(acctKey))
	}
	// A code already used to sign in does not turn it off.
	cb := newBrowser(t, ts.URL)
	used := totpAt(t, secret, clk.now())
	if code, _, _ := consoleCode(cb, consolePassword(t, cb, login, password), used); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	if code, _, _ := b.do("POST", "/console/account/mfa/disable", url.Values{"csrf": {csrf}, "code": {used}}); code != http.StatusBadRequest {
		t.Fatalf("turn off with a used code: %d", code)
	}
	clk.add(30 * time.Second)
	if code, page, _ := b.do("POST", "/console/account/mfa/disable", url.Values{"csrf": {csrf}, "code": {totpAt(t, secret, clk.now())}}); code != http.StatusOK || !strings.Contains(page, `data-mfa="off"`) {
		t.Fatalf("turn off: %d", code)
	}
	if !hasAction(t, s, girona, "account.mfa-disable", login) {
		t.Fatal("turning it off is not in the action log")
	}
	if code, _, _ := b.do("POST", "/console/account/mfa/disable", url.Values{"csrf": {csrf}, "code": {totpAt(t, secret, clk.now())}}); code != http.StatusConflict {
		t.Fatalf("turn off when off: %d", code)
	}
	consoleLogin(t, newBrowser(t, ts.URL), login, password)
}

// TestConsoleSecondFactorLimitedPerAddress: wrong codes count towards the
// address's limit too (30 failures in 15 minutes, whatever the account).
func TestConsoleSecondFactorLimitedPerAddress(t *testing.T) {
	ts, s, clk := serveClock(t)
	b := newBrowser(t, ts.URL)
	consoleLogin(t, b, "pere.vila", "pere-demo-2026")
	secret := enrolStaffTOTP(t, b, clk)
	for range 30 - 1 {
		s.loginByAddr.fail("addr:127.0.0.1")
	}
	pb := newBrowser(t, ts.URL)
	step := consolePassword(t, pb, "pere.vila", "pere-demo-2026")
	if code, _, _ := consoleCode(pb, step, wrongTOTP(t, secret, clk.now())); code != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d", code)
	}
	code, _, h := consoleCode(pb, step, totpAt(t, secret, clk.now()))
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("the address over its limit: %d", code)
	}
}

// TestAdminRemovesSecondFactor: an admin of the same administration removes
// a staff member's second factor (a lost phone): in the log, the account's
// sessions and pending logins end. Another administration's admin cannot,
// and an admin cannot remove their own. A temporary password still has to
// be replaced first, after the code.
func TestAdminRemovesSecondFactor(t *testing.T) {
	ts, s, clk := serveClock(t)
	ctx := t.Context()
	const login, password = "pere.vila", "pere-demo-2026"
	pere := staffID(t, s, girona, login)
	pb := newBrowser(t, ts.URL)
	consoleLogin(t, pb, login, password)
	seed := enrolStaffTOTP(t, pb, clk)

	admin := newBrowser(t, ts.URL)
	consoleLogin(t, admin, "montse.pujol", "montse-demo-2026")
	_, page, _ := admin.do("GET", "/console/admin", nil)
	csrf := csrfOf(t, page)
	if !regexp.MustCompile(`data-account="` + pere + `".*?data-mfa="on"`).MatchString(page) {
		t.Fatal("the staff list does not show Pere's second factor")
	}
	if !strings.Contains(page, `data-mfa="off"`) {
		t.Fatal("the staff list does not show accounts without one")
	}
	_, acct, _ := admin.do("GET", "/console/admin/staff/"+pere, nil)
	if !strings.Contains(acct, `data-mfa="on"`) || !strings.Contains(acct, `action="/console/admin/staff/`+pere+`/mfa/remove"`) {
		t.Fatal("Pere's page does not show or offer to remove his second factor")
	}

	// A password reset keeps the second factor: the temporary password and
	// the code, then the account page only.
	code, body, _ := admin.do("POST", "/console/admin/staff/"+pere+"/password", url.Values{"csrf": {csrf}})
	if code != http.StatusOK {
		t.Fatalf("reset: %d", code)
	}
	temp := secret(t, tempRE, body)
	tb := newBrowser(t, ts.URL)
	if code, _, h := consoleCode(tb, consolePassword(t, tb, login, temp), totpAt(t, seed, clk.now())); code != http.StatusSeeOther || h.Get("Location") != "/console" {
		t.Fatalf("temporary password and code: %d", code)
	}
	if code, _, h := tb.do("GET", "/console/verifier", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/account" {
		t.Fatalf("a temporary password after the code: %d %s", code, h.Get("Location"))
	}
	_, tacct, _ := tb.do("GET", "/console/account", nil)
	if !strings.Contains(tacct, "data-must-change") || strings.Contains(tacct, "/console/account/mfa/") {
		t.Fatal("the account page with a temporary password")
	}
	if code, _, h := tb.do("POST", "/console/account/mfa/disable", url.Values{"csrf": {csrfOf(t, tacct)}, "code": {totpAt(t, seed, clk.now())}}); code != http.StatusSeeOther || h.Get("Location") != "/console/account" {
		t.Fatalf("turning it off before choosing a password: %d", code)
	}
	const newPassword = "la contrasenya nova d'en Pere"
	if code, _, _ := tb.do("POST", "/console/account/password", url.Values{"csrf": {csrfOf(t, tacct)}, "current": {temp}, "new": {newPassword}, "repeat": {newPassword}}); code != http.StatusOK {
		t.Fatalf("choosing a password: %d", code)
	}

	// Another administration's admin: not found, nothing changes.
	if _, err := s.cfg.Staff.AddWithLogin(ctx, staff.Account{Name: "Jordi Mas (ATC)", Admin: "atc", Roles: []string{staff.RoleAdmin}}, "jordi.mas", "contrasenya de l'ATC"); err != nil {
		t.Fatal(err)
	}
	atc := newBrowser(t, ts.URL)
	consoleLogin(t, atc, "jordi.mas", "contrasenya de l'ATC")
	_, atcPage, _ := atc.do("GET", "/console/admin", nil)
	if code, _, _ := atc.do("POST", "/console/admin/staff/"+pere+"/mfa/remove", url.Values{"csrf": {csrfOf(t, atcPage)}}); code != http.StatusNotFound {
		t.Fatalf("another administration's admin: %d", code)
	}
	if on, _ := s.cfg.App.MFA.Enabled(ctx, staffFactorKey(pere)); !on {
		t.Fatal("another administration's admin removed it")
	}
	// Nor without the CSRF token, nor by someone without the admin role.
	if code, _, _ := admin.do("POST", "/console/admin/staff/"+pere+"/mfa/remove", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", code)
	}
	_, tpage, _ := tb.do("GET", "/console", nil)
	if code, _, _ := tb.do("POST", "/console/admin/staff/"+pere+"/mfa/remove", url.Values{"csrf": {csrfOf(t, tpage)}}); code != http.StatusForbidden {
		t.Fatalf("Pere removes his own from the admin console: %d", code)
	}
	// An admin's own: on their account page, with a code.
	if code, _, _ := admin.do("POST", "/console/admin/staff/"+staffID(t, s, girona, "montse.pujol")+"/mfa/remove", url.Values{"csrf": {csrf}}); code != http.StatusConflict {
		t.Fatalf("an admin removes their own: %d", code)
	}
	if on, _ := s.cfg.App.MFA.Enabled(ctx, staffFactorKey(pere)); !on {
		t.Fatal("removed by a refused request")
	}

	// Girona's admin removes it: Pere's session and pending login end.
	clk.add(30 * time.Second)
	wb := newBrowser(t, ts.URL)
	wstep := consolePassword(t, wb, login, newPassword)
	code, body, _ = admin.do("POST", "/console/admin/staff/"+pere+"/mfa/remove", url.Values{"csrf": {csrf}})
	if code != http.StatusOK || !strings.Contains(body, `data-mfa="off"`) || strings.Contains(body, "/mfa/remove") {
		t.Fatalf("remove: %d", code)
	}
	if on, _ := s.cfg.App.MFA.Enabled(ctx, staffFactorKey(pere)); on {
		t.Fatal("still on after the removal")
	}
	if code, _, h := tb.do("GET", "/console/verifier", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Fatalf("Pere's session after the removal: %d", code)
	}
	if code, _, _ := consoleCode(wb, wstep, totpAt(t, seed, clk.now())); code != http.StatusForbidden {
		t.Fatalf("Pere's pending login after the removal: %d", code)
	}
	acts, _, err := s.cfg.Staff.Actions(ctx, girona, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range acts {
		if a.Kind == "staff.mfa-remove" {
			found = a.ActorLogin == "montse.pujol" && a.Via == "console" && strings.Contains(a.Target, "(pere.vila)")
			break
		}
	}
	if !found {
		t.Fatalf("the removal is not in the log as Montse's on Pere: %+v", acts)
	}
	_, logPage, _ := admin.do("GET", "/console/admin/log", nil)
	if !strings.Contains(logPage, `data-action="staff.mfa-remove"`) || !strings.Contains(logPage, "Retirada del segon factor") {
		t.Fatal("the log page does not show the removal")
	}
	if code, _, _ := admin.do("POST", "/console/admin/staff/"+pere+"/mfa/remove", url.Values{"csrf": {csrf}}); code != http.StatusBadRequest {
		t.Fatalf("removing it again: %d", code)
	}
	// Pere signs in with the password alone, and may turn on a new one.
	np := newBrowser(t, ts.URL)
	consoleLogin(t, np, login, newPassword)
	enrolStaffTOTP(t, np, clk)
}

// TestConsoleSecondFactorBrowser: the pages of the second factor in
// Chromium, each checked with axe-core and on phone screens: Pere turns it
// on from his account page, signs in with the password and the code (a
// wrong one first), and Montse, his admin, sees it and removes it.
func TestConsoleSecondFactorBrowser(t *testing.T) {
	browser := newChrome(t)
	ts, _, clk := serveClock(t)
	tb := newTab(t, browser, ts.URL, phoneWidth, phoneHeight, false)
	signIn := func(login, password string) {
		t.Helper()
		tb.open("/console/login")
		tb.do("type "+login,
			chromedp.SendKeys(chromedp.ID("login"), login),
			chromedp.SendKeys(chromedp.ID("password"), password))
		tb.follow(`form[action="/console/login"] button[type=submit]`)
	}
	signIn("pere.vila", "pere-demo-2026")
	tb.open("/console/account")
	if tb.count(`[data-mfa="off"]`) != 1 {
		t.Fatalf("account page: %q", tb.text("main"))
	}
	tb.check("account-mfa-off")
	tb.follow(`form[action="/console/account/mfa/begin"] button[type=submit]`)
	seed := tb.text("[data-totp-secret]")
	if tb.count("figure.qr svg") != 1 || seed == "" {
		t.Fatalf("enrolment: %q", tb.text("main"))
	}
	tb.check("account-mfa-enrol")
	tb.do("type the code", chromedp.SendKeys(chromedp.ID("mfacode"), totpAt(t, seed, clk.now())))
	tb.follow(`form[action="/console/account/mfa/confirm"] button[type=submit]`)
	if tb.count(`[data-mfa="on"]`) != 1 {
		t.Fatalf("turned on: %q", tb.text("main"))
	}
	tb.check("account-mfa-on")
	tb.follow(`form[action="/console/logout"] button[type=submit]`)

	clk.add(30 * time.Second)
	signIn("pere.vila", "pere-demo-2026")
	if p := tb.path(); p != "/console/login" || tb.count(`form[action="/console/login/code"]`) != 1 {
		t.Fatalf("the code step: at %s: %q", p, tb.text("main"))
	}
	tb.check("login-code")
	tb.do("type a wrong code", chromedp.SendKeys(chromedp.ID("code"), wrongTOTP(t, seed, clk.now())))
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	if _, err := chromedp.RunResponse(ctx, chromedp.Tap(chromedp.CSS(`form[action="/console/login/code"] button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	cancel()
	if tb.count(`[role="alert"]`) != 1 {
		t.Fatalf("a wrong code: %q", tb.text("main"))
	}
	tb.check("login-code-wrong")
	tb.do("type the code", chromedp.SendKeys(chromedp.ID("code"), totpAt(t, seed, clk.now())))
	tb.follow(`form[action="/console/login/code"] button[type=submit]`)
	if p := tb.path(); p != "/console" {
		t.Fatalf("after the code: at %s: %q", p, tb.text("main"))
	}
	tb.follow(`form[action="/console/logout"] button[type=submit]`)

	signIn("montse.pujol", "montse-demo-2026")
	tb.open("/console/admin")
	if tb.count(`[data-mfa="on"]`) != 1 {
		t.Fatalf("staff list: %q", tb.text("main"))
	}
	tb.check("admin-staff-mfa")
	tb.follow(`tr:has([data-mfa="on"]) a`)
	tb.check("admin-account-mfa-on")
	tb.follow(`form[action$="/mfa/remove"] button[type=submit]`)
	if tb.count(`[data-mfa="off"]`) != 1 || tb.count(`[role="status"]`) != 1 {
		t.Fatalf("removed: %q", tb.text("main"))
	}
	tb.check("admin-account-mfa-removed")
}
