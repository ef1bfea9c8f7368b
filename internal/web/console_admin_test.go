package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/staff"
)

const girona = "ajuntament-girona"

// staffID is the id of a demo account, by administration and login.
func staffID(t *testing.T, s *Server, admin, login string) string {
	t.Helper()
	a, err := s.cfg.Staff.ByLogin(t.Context(), admin, login)
	if err != nil {
		t.Fatalf("%s/%s: %v", admin, login, err)
	}
	return a.ID
}

var (
	tokenRE = regexp.MustCompile(`data-token>([A-Za-z0-9_-]{43})<`)
	tempRE  = regexp.MustCompile(`data-temp-password>([a-z0-9-]{19})<`)
)

// secret finds a secret shown once in a page.
func secret(t *testing.T, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in the page", re)
	}
	return m[1]
}

// consoleLoginAnswer tries a console login and returns the answer.
func consoleLoginAnswer(t *testing.T, b *browser, login, password string) (int, string, http.Header) {
	t.Helper()
	_, page, _ := b.do("GET", "/console/login", nil)
	return b.do("POST", "/console/login", url.Values{"csrf": {csrfOf(t, page)}, "login": {login}, "password": {password}})
}

// authenticated tells whether a bearer token gets past authentication (any
// answer but 401).
func authenticated(t *testing.T, ts string, method, path, token string) bool {
	t.Helper()
	code, _ := call(t, method, ts+path, token, nil)
	return code != http.StatusUnauthorized
}

func TestAdminConsoleAddsStaff(t *testing.T) {
	ts, s := serve(t)
	b := newBrowser(t, ts.URL)
	consoleLogin(t, b, "montse.pujol", "montse-demo-2026")
	_, page, _ := b.do("GET", "/console/admin", nil)
	if !strings.Contains(page, "Pere Vila") || strings.Contains(page, "Carme Bosch") {
		t.Fatal("the list must show Girona's staff only")
	}
	csrf := csrfOf(t, page)
	before, _ := s.cfg.Staff.List(t.Context(), girona)
	for _, bad := range []url.Values{
		{"csrf": {csrf}, "name": {"Anna Soler"}, "login": {"pere.vila"}, "role": {"verifier"}},  // login taken
		{"csrf": {csrf}, "name": {"Anna Soler"}, "login": {"Anna Soler"}, "role": {"verifier"}}, // bad login
		{"csrf": {csrf}, "name": {"Anna Soler"}, "login": {"anna.soler"}, "role": {"root"}},     // no such role
		{"csrf": {csrf}, "name": {"Anna Soler"}, "login": {"anna.soler"}},                       // no role
		{"csrf": {csrf}, "name": {""}, "login": {"anna.soler"}, "role": {"verifier"}},           // no name
	} {
		if code, page, _ := b.do("POST", "/console/admin/staff", bad); code != http.StatusBadRequest || !strings.Contains(page, `role="alert"`) {
			t.Fatalf("%v: %d", bad, code)
		}
	}
	if code, _, _ := b.do("POST", "/console/admin/staff", url.Values{"name": {"Anna Soler"}, "login": {"anna.soler"}, "role": {"verifier"}}); code != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", code)
	}
	if after, _ := s.cfg.Staff.List(t.Context(), girona); len(after) != len(before) {
		t.Fatal("refused input created an account")
	}
	// The admin gets a temporary password and the API token, once; the
	// form has no password field.
	if strings.Contains(page, `name="password"`) {
		t.Fatal("the admin chooses the new account's password")
	}
	code, page, _ := b.do("POST", "/console/admin/staff", url.Values{"csrf": {csrf}, "name": {"Anna Soler (OAC)"}, "login": {"anna.soler"}, "role": {"verifier", "issuer"}})
	if code != http.StatusOK {
		t.Fatalf("add: %d", code)
	}
	tok, temp := secret(t, tokenRE, page), secret(t, tempRE, page)
	if !authenticated(t, ts.URL, "GET", "/api/v1/issuer/citizens/"+apptest.Laia+"/credentials", tok) {
		t.Fatal("the new token does not work")
	}
	if _, again, _ := b.do("GET", "/console/admin", nil); strings.Contains(again, temp) || strings.Contains(again, tok) {
		t.Fatal("a secret is shown twice")
	}

	// Anna must choose her own password before anything else.
	anna := newBrowser(t, ts.URL)
	consoleLogin(t, anna, "anna.soler", temp)
	for _, p := range []string{"/console", "/console/verifier/exchange", "/console/issuer"} {
		if code, _, h := anna.do("GET", p, nil); code != http.StatusSeeOther || h.Get("Location") != "/console/account" {
			t.Fatalf("GET %s before choosing a password: %d %s", p, code, h.Get("Location"))
		}
	}
	_, acct, _ := anna.do("GET", "/console/account", nil)
	if !strings.Contains(acct, "data-must-change") {
		t.Fatal("the account page does not ask for a new password")
	}
	acsrf := csrfOf(t, acct)
	if code, _, h := anna.do("POST", "/console/verifier/scan", url.Values{"csrf": {acsrf}, "payload": {"x"}}); code != http.StatusSeeOther || h.Get("Location") != "/console/account" {
		t.Fatalf("POST before choosing a password: %d", code)
	}
	for _, bad := range []url.Values{
		{"csrf": {acsrf}, "current": {"not the password"}, "new": {"la meva contrasenya"}, "repeat": {"la meva contrasenya"}},
		{"csrf": {acsrf}, "current": {temp}, "new": {"curta"}, "repeat": {"curta"}},
		{"csrf": {acsrf}, "current": {temp}, "new": {"la meva contrasenya"}, "repeat": {"una altra cosa llarga"}},
		{"csrf": {acsrf}, "current": {temp}, "new": {temp}, "repeat": {temp}},
		{"csrf": {acsrf}, "current": {""}, "new": {"la meva contrasenya"}, "repeat": {"la meva contrasenya"}},
	} {
		if code, page, _ := anna.do("POST", "/console/account/password", bad); code != http.StatusBadRequest || !strings.Contains(page, `role="alert"`) {
			t.Fatalf("%v: %d", bad, code)
		}
	}
	if code, _, h := anna.do("GET", "/console", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/account" {
		t.Fatal("a refused change let Anna in")
	}
	if code, _, _ := anna.do("POST", "/console/account/password", url.Values{"csrf": {acsrf}, "current": {temp}, "new": {"la meva contrasenya"}, "repeat": {"la meva contrasenya"}}); code != http.StatusOK {
		t.Fatalf("change: %d", code)
	}
	if code, _, _ := anna.do("GET", "/console/verifier/exchange", nil); code != http.StatusOK {
		t.Fatalf("the new verifier cannot open the exchange form: %d", code)
	}
	if code, _, _ := anna.do("GET", "/console/admin", nil); code != http.StatusForbidden {
		t.Fatalf("the new account got the admin console: %d", code)
	}
	if code, _, _ := consoleLoginAnswer(t, newBrowser(t, ts.URL), "anna.soler", temp); code != http.StatusUnauthorized {
		t.Fatalf("the temporary password still opens: %d", code)
	}
	consoleLogin(t, newBrowser(t, ts.URL), "anna.soler", "la meva contrasenya")

	// A system: no login, a token only.
	code, page, _ = b.do("POST", "/console/admin/staff", url.Values{"csrf": {csrf}, "name": {"Gestor d'expedients"}, "role": {"services"}})
	if code != http.StatusOK || tempRE.MatchString(page) {
		t.Fatalf("add a system: %d", code)
	}
	if !authenticated(t, ts.URL, "GET", "/api/v1/procedures/GI-1", secret(t, tokenRE, page)) {
		t.Fatal("the system's token does not work")
	}
}

func TestAdminManagesStaff(t *testing.T) {
	ts, s := serve(t)
	ctx := t.Context()
	admin := newBrowser(t, ts.URL)
	consoleLogin(t, admin, "montse.pujol", "montse-demo-2026")
	_, page, _ := admin.do("GET", "/console/admin", nil)
	csrf := csrfOf(t, page)
	montse, pere := staffID(t, s, girona, "montse.pujol"), staffID(t, s, girona, "pere.vila")
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		if form == nil {
			form = url.Values{}
		}
		form.Set("csrf", csrf)
		code, body, _ := admin.do("POST", path, form)
		return code, body
	}
	if !strings.Contains(page, `href="/console/admin/staff/`+pere+`"`) {
		t.Fatal("the list does not link Pere's page")
	}
	if code, page, _ := admin.do("GET", "/console/admin/staff/"+pere, nil); code != http.StatusOK || !strings.Contains(page, "Pere Vila") {
		t.Fatalf("Pere's page: %d", code)
	}

	// Disabling Pere ends his session at once and stops his token.
	pereB := newBrowser(t, ts.URL)
	consoleLogin(t, pereB, "pere.vila", "pere-demo-2026")
	if code, _, _ := pereB.do("GET", "/console/verifier", nil); code != http.StatusOK {
		t.Fatalf("Pere before: %d", code)
	}
	const verifierAPI = "/api/v1/verifier/requests/no-such-request"
	if !authenticated(t, ts.URL, "GET", verifierAPI, "demo-girona-verifier") {
		t.Fatal("Pere's token before")
	}
	if code, _, _ := admin.do("POST", "/console/admin/staff/"+pere+"/disable", url.Values{}); code != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", code)
	}
	if a, _ := s.cfg.Staff.Get(ctx, girona, pere); a.Disabled {
		t.Fatal("disabled without the CSRF token")
	}
	if code, body := post("/console/admin/staff/"+pere+"/disable", nil); code != http.StatusOK || !strings.Contains(body, `data-status="disabled"`) {
		t.Fatalf("disable: %d", code)
	}
	if code, _, h := pereB.do("GET", "/console/verifier", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Fatalf("Pere's session after he was disabled: %d %s", code, h.Get("Location"))
	}
	if code, body, _ := consoleLoginAnswer(t, newBrowser(t, ts.URL), "pere.vila", "pere-demo-2026"); code != http.StatusUnauthorized || !strings.Contains(body, "desactivat") {
		t.Fatalf("a disabled account's login: %d", code)
	}
	if authenticated(t, ts.URL, "GET", verifierAPI, "demo-girona-verifier") {
		t.Fatal("a disabled account's token still works")
	}
	if code, _ := post("/console/admin/staff/"+pere+"/enable", nil); code != http.StatusOK {
		t.Fatalf("enable: %d", code)
	}
	consoleLogin(t, pereB, "pere.vila", "pere-demo-2026")
	if !authenticated(t, ts.URL, "GET", verifierAPI, "demo-girona-verifier") {
		t.Fatal("a re-enabled account's token")
	}

	// Montse can neither disable herself nor drop her admin role, nor reset
	// her own password here.
	for _, c := range []struct {
		path string
		form url.Values
	}{
		{"/console/admin/staff/" + montse + "/disable", nil},
		{"/console/admin/staff/" + montse + "/roles", url.Values{"role": {"issuer"}}},
		{"/console/admin/staff/" + montse + "/password", nil},
	} {
		if code, body := post(c.path, c.form); code != http.StatusConflict || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("%s: %d", c.path, code)
		}
	}
	if a, _ := s.cfg.Staff.Get(ctx, girona, montse); a.Disabled || !a.Has(staff.RoleAdmin) || a.MustChangePassword {
		t.Fatalf("a refused change applied: %+v", a)
	}

	// Roles count from Pere's next page; bad roles change nothing.
	for _, bad := range []url.Values{{"role": {"root"}}, {}, {"role": {"verifier", "root"}}} {
		if code, _ := post("/console/admin/staff/"+pere+"/roles", bad); code != http.StatusBadRequest {
			t.Fatalf("roles %v: %d", bad, code)
		}
	}
	if code, _, _ := pereB.do("GET", "/console/issuer", nil); code != http.StatusForbidden {
		t.Fatalf("Pere in the issuer console before: %d", code)
	}
	if code, _ := post("/console/admin/staff/"+pere+"/roles", url.Values{"role": {"verifier", "issuer", "admin"}}); code != http.StatusOK {
		t.Fatalf("roles: %d", code)
	}
	if code, _, _ := pereB.do("GET", "/console/issuer", nil); code != http.StatusOK {
		t.Fatalf("Pere's new role in his open session: %d", code)
	}
	// Pere, an admin now, takes Montse's admin role: her next admin page is refused.
	_, pp, _ := pereB.do("GET", "/console/admin/staff/"+montse, nil)
	if code, _, _ := pereB.do("POST", "/console/admin/staff/"+montse+"/roles", url.Values{"csrf": {csrfOf(t, pp)}, "role": {"auditor"}}); code != http.StatusOK {
		t.Fatalf("Pere takes Montse's admin role: %d", code)
	}
	if code, _, _ := admin.do("GET", "/console/admin", nil); code != http.StatusForbidden {
		t.Fatalf("Montse's admin console after losing the role: %d", code)
	}
	if _, err := s.cfg.Staff.SetRoles(ctx, girona, montse, []string{staff.RoleAdmin}); err != nil {
		t.Fatal(err)
	}

	// A password reset: Pere's sessions end, his old password stops, the
	// temporary one opens only his account page.
	code, body := post("/console/admin/staff/"+pere+"/password", nil)
	if code != http.StatusOK {
		t.Fatalf("reset: %d", code)
	}
	temp := secret(t, tempRE, body)
	if code, _, h := pereB.do("GET", "/console/verifier", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Fatalf("Pere's session after a reset: %d", code)
	}
	if code, _, _ := consoleLoginAnswer(t, newBrowser(t, ts.URL), "pere.vila", "pere-demo-2026"); code != http.StatusUnauthorized {
		t.Fatalf("the old password after a reset: %d", code)
	}
	consoleLogin(t, pereB, "pere.vila", temp)
	if code, _, h := pereB.do("GET", "/console/verifier", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/account" {
		t.Fatalf("after a reset: %d %s", code, h.Get("Location"))
	}
	if !authenticated(t, ts.URL, "GET", verifierAPI, "demo-girona-verifier") {
		t.Fatal("a password reset stopped the API token")
	}

	// Tokens: the services system gets a new one; the old stops at once;
	// revoking stops the new one.
	seu := ""
	list, _ := s.cfg.Staff.List(ctx, girona)
	for _, a := range list {
		if a.Has(staff.RoleServices) {
			seu = a.ID
		}
	}
	const servicesAPI = "/api/v1/procedures/GI-1"
	if !authenticated(t, ts.URL, "GET", servicesAPI, "demo-girona-services") {
		t.Fatal("the system's demo token")
	}
	code, body = post("/console/admin/staff/"+seu+"/token/rotate", nil)
	if code != http.StatusOK {
		t.Fatalf("rotate: %d", code)
	}
	tok := secret(t, tokenRE, body)
	if authenticated(t, ts.URL, "GET", servicesAPI, "demo-girona-services") || !authenticated(t, ts.URL, "GET", servicesAPI, tok) {
		t.Fatal("rotation: the old token works or the new one does not")
	}
	if code, _ := post("/console/admin/staff/"+seu+"/token/revoke", nil); code != http.StatusOK {
		t.Fatalf("revoke: %d", code)
	}
	if authenticated(t, ts.URL, "GET", servicesAPI, tok) {
		t.Fatal("a revoked token works")
	}
	if code, _ := post("/console/admin/staff/"+seu+"/password", nil); code != http.StatusBadRequest {
		t.Fatalf("resetting the password of a system: %d", code)
	}

	// The action log shows who did what, newest first.
	_, logPage, _ := admin.do("GET", "/console/admin/log", nil)
	for _, kind := range []string{"staff.disable", "staff.enable", "staff.roles", "staff.password-reset", "staff.token-rotate", "staff.token-revoke", "console.login"} {
		if !strings.Contains(logPage, `data-action="`+kind+`"`) {
			t.Errorf("the log lacks %s", kind)
		}
	}
	if !strings.Contains(logPage, "Montse Pujol") || !strings.Contains(logPage, "Pere Vila (OAC, Ajuntament de Girona) (pere.vila)") {
		t.Error("the log does not name who and whom")
	}
	if strings.Index(logPage, `data-action="staff.token-revoke"`) > strings.Index(logPage, `data-action="staff.disable"`) {
		t.Error("the log is not newest first")
	}
}

// TestAdminsSeeOnlyTheirAdministration: Girona's admin cannot see, change or
// even tell apart from a missing account another administration's staff,
// and each administration's action log holds its own actions only.
func TestAdminsSeeOnlyTheirAdministration(t *testing.T) {
	ts, s := serve(t)
	ctx := t.Context()
	// ATC gets an admin of its own.
	if _, err := s.cfg.Staff.AddWithLogin(ctx, staff.Account{Name: "Jordi Mas (ATC)", Admin: "atc", Roles: []string{staff.RoleAdmin}}, "jordi.mas", "contrasenya de l'ATC"); err != nil {
		t.Fatal(err)
	}
	carme := staffID(t, s, "atc", "carme.bosch")
	admin := newBrowser(t, ts.URL)
	consoleLogin(t, admin, "montse.pujol", "montse-demo-2026")
	_, page, _ := admin.do("GET", "/console/admin", nil)
	csrf := csrfOf(t, page)
	if strings.Contains(page, "Carme Bosch") || strings.Contains(page, carme) || strings.Contains(page, "Jordi Mas") {
		t.Fatal("another administration's staff listed")
	}
	notFound, _, _ := admin.do("GET", "/console/admin/staff/0123456789abcdef01234567", nil)
	if code, body, _ := admin.do("GET", "/console/admin/staff/"+carme, nil); code != http.StatusNotFound || code != notFound || strings.Contains(body, "Carme") {
		t.Fatalf("another administration's account: %d (a missing one: %d)", code, notFound)
	}
	for _, p := range []string{"disable", "enable", "roles", "password", "token/rotate", "token/revoke"} {
		code, body, _ := admin.do("POST", "/console/admin/staff/"+carme+"/"+p, url.Values{"csrf": {csrf}, "role": {"admin"}})
		if code != http.StatusNotFound || strings.Contains(body, "data-token") || strings.Contains(body, "data-temp-password") {
			t.Fatalf("%s on another administration's account: %d", p, code)
		}
	}
	a, err := s.cfg.Staff.Get(ctx, "atc", carme)
	if err != nil || a.Disabled || a.MustChangePassword || len(a.Roles) != 1 || a.Roles[0] != staff.RoleIssuer {
		t.Fatalf("Carme changed: %+v %v", a, err)
	}
	consoleLogin(t, newBrowser(t, ts.URL), "carme.bosch", "carme-demo-2026")
	if !authenticated(t, ts.URL, "GET", "/api/v1/issuer/citizens/"+apptest.Laia+"/credentials", "demo-atc-issuer") {
		t.Fatal("Carme's token stopped")
	}

	// Each log is its administration's: Carme's login is in ATC's, not Girona's.
	_, logPage, _ := admin.do("GET", "/console/admin/log", nil)
	if strings.Contains(logPage, "carme.bosch") || !strings.Contains(logPage, "montse.pujol") {
		t.Fatal("Girona's log shows ATC's actions")
	}
	atc := newBrowser(t, ts.URL)
	consoleLogin(t, atc, "jordi.mas", "contrasenya de l'ATC")
	_, atcLog, _ := atc.do("GET", "/console/admin/log", nil)
	if !strings.Contains(atcLog, "carme.bosch") || strings.Contains(atcLog, "montse.pujol") {
		t.Fatal("ATC's log")
	}
	if code, _, _ := atc.do("GET", "/console/admin/staff/"+staffID(t, s, girona, "pere.vila"), nil); code != http.StatusNotFound {
		t.Fatalf("ATC's admin opened Girona's account: %d", code)
	}
}

// TestStaffActionsLogged: the issuer, verifier and Via Oberta consoles
// record their actions in the administration's log, which pages.
func TestStaffActionsLogged(t *testing.T) {
	ts, s := serve(t)
	ctx := t.Context()
	nuria := newBrowser(t, ts.URL)
	consoleLogin(t, nuria, "nuria.roca", "nuria-demo-2026")
	_, page, _ := nuria.do("GET", "/console/issuer/citizens/"+apptest.Laia, nil)
	if code, _, _ := nuria.do("POST", "/console/issuer/citizens/"+apptest.Laia+"/issue", url.Values{"csrf": {csrfOf(t, page)}, "type": {"census"}, "format": {"sd-jwt"}}); code != http.StatusOK {
		t.Fatalf("issue: %d", code)
	}
	pere := newBrowser(t, ts.URL)
	consoleLogin(t, pere, "pere.vila", "pere-demo-2026")
	_, page, _ = pere.do("GET", "/console/verifier", nil)
	if code, _, _ := pere.do("POST", "/console/verifier/requests", url.Values{"csrf": {csrfOf(t, page)}, "purpose": {"preinscripcio-escolar"}}); code != http.StatusSeeOther {
		t.Fatalf("verifier request: %d", code)
	}
	acts, _, err := s.cfg.Staff.Actions(ctx, girona, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]staff.Action{}
	for _, a := range acts {
		kinds[a.Kind] = a
	}
	if a := kinds["credential.issue"]; a.ActorLogin != "nuria.roca" || a.Via != "console" || !strings.HasPrefix(a.Target, apptest.Laia+" census") {
		t.Fatalf("issue: %+v", a)
	}
	if a := kinds["verifier.request"]; a.ActorLogin != "pere.vila" || a.Target == "" {
		t.Fatalf("verifier request: %+v", a)
	}
	// The admin sees them, with the citizen's id; paging newest first.
	admin := newBrowser(t, ts.URL)
	consoleLogin(t, admin, "montse.pujol", "montse-demo-2026")
	for i := range 2 * adminLogPage {
		if err := s.cfg.Staff.LogAction(ctx, staff.Action{Admin: girona, Via: "cli", Kind: "staff.roles", Target: fmt.Sprintf("filler %03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, home, _ := admin.do("GET", "/console/admin", nil)
	if strings.Count(home, "data-action=") != adminLogShown || !strings.Contains(home, "filler 099") {
		t.Fatalf("the admin console shows %d actions", strings.Count(home, "data-action="))
	}
	_, p1, _ := admin.do("GET", "/console/admin/log", nil)
	m := regexp.MustCompile(`href="/console/admin/log\?before=(\d+)"`).FindStringSubmatch(p1)
	if strings.Count(p1, "data-action=") != adminLogPage || m == nil || !strings.Contains(p1, "filler 099") || strings.Contains(p1, "filler 049") {
		t.Fatal("first page of the log")
	}
	_, p2, _ := admin.do("GET", "/console/admin/log?before="+m[1], nil)
	if !strings.Contains(p2, "filler 049") || !strings.Contains(p2, "filler 000") || strings.Contains(p2, "filler 050") {
		t.Fatal("second page of the log")
	}
	var p3 string
	if m2 := regexp.MustCompile(`href="/console/admin/log\?before=(\d+)"`).FindStringSubmatch(p2); m2 != nil {
		_, p3, _ = admin.do("GET", "/console/admin/log?before="+m2[1], nil)
	}
	if !strings.Contains(p2+p3, `data-action="credential.issue"`) || !strings.Contains(p2+p3, apptest.Laia+" census") {
		t.Fatal("the issuance is not in the admin's log")
	}
	for _, bad := range []string{"x", "-1", "0", "1e3"} {
		if code, _, _ := admin.do("GET", "/console/admin/log?before="+bad, nil); code != http.StatusBadRequest {
			t.Fatalf("before=%s: %d", bad, code)
		}
	}
	// Only admins read the log.
	if code, _, _ := nuria.do("GET", "/console/admin/log", nil); code != http.StatusForbidden {
		t.Fatalf("an issuer read the log: %d", code)
	}
}

// TestStaffChangesOwnPassword: any staff member, from the account page;
// their other sessions end; wrong guesses are limited like logins.
func TestStaffChangesOwnPassword(t *testing.T) {
	ts, _ := serve(t)
	b, other := newBrowser(t, ts.URL), newBrowser(t, ts.URL)
	consoleLogin(t, b, "elena.marti", "elena-demo-2026")
	consoleLogin(t, other, "elena.marti", "elena-demo-2026")
	code, page, _ := b.do("GET", "/console/account", nil)
	if code != http.StatusOK || strings.Contains(page, "data-must-change") || !strings.Contains(page, `href="/console/account"`) {
		t.Fatalf("account page: %d", code)
	}
	csrf := csrfOf(t, page)
	if code, _, _ := b.do("POST", "/console/account/password", url.Values{"current": {"elena-demo-2026"}, "new": {"una contrasenya nova"}, "repeat": {"una contrasenya nova"}}); code != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", code)
	}
	if code, _, _ := b.do("POST", "/console/account/password", url.Values{"csrf": {csrf}, "current": {"elena-demo-2026"}, "new": {"una contrasenya nova"}, "repeat": {"una contrasenya nova"}}); code != http.StatusOK {
		t.Fatalf("change: %d", code)
	}
	if code, _, _ := b.do("GET", "/console/audit", nil); code != http.StatusOK {
		t.Fatalf("this session after the change: %d", code)
	}
	if code, _, h := other.do("GET", "/console/audit", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Fatalf("the other session after the change: %d", code)
	}
	if code, _, _ := consoleLoginAnswer(t, newBrowser(t, ts.URL), "elena.marti", "elena-demo-2026"); code != http.StatusUnauthorized {
		t.Fatalf("the old password: %d", code)
	}
	consoleLogin(t, other, "elena.marti", "una contrasenya nova")
	for range 5 {
		if code, _, _ := b.do("POST", "/console/account/password", url.Values{"csrf": {csrf}, "current": {"una mala suposició"}, "new": {"una altra de llarga"}, "repeat": {"una altra de llarga"}}); code != http.StatusBadRequest {
			t.Fatalf("wrong current password: %d", code)
		}
	}
	if code, _, _ := b.do("POST", "/console/account/password", url.Values{"csrf": {csrf}, "current": {"una contrasenya nova"}, "new": {"una altra de llarga"}, "repeat": {"una altra de llarga"}}); code != http.StatusTooManyRequests {
		t.Fatalf("after 5 wrong guesses: %d", code)
	}
}

// TestLogStaffActionFromAPI: the same helper records an API call as the
// token's account, "api".
// TestAPIActionsLogged: what systems do through the staff API is in their
// administration's action log, with the account that did it.
func TestAPIActionsLogged(t *testing.T) {
	ts, s := serve(t)
	if code, body := call(t, "POST", ts.URL+"/api/v1/issuer/credentials", "demo-girona-issuer",
		map[string]any{"type": "census", "citizen": apptest.Laia, "deliver": true}); code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, body)
	}
	if code, body := call(t, "POST", ts.URL+"/api/v1/verifier/requests", "demo-girona-verifier",
		map[string]any{"purpose": "preinscripcio-escolar"}); code != http.StatusCreated {
		t.Fatalf("request: %d %s", code, body)
	}
	acts, _, err := s.cfg.Staff.Actions(t.Context(), girona, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]staff.Action{}
	for _, a := range acts {
		kinds[a.Kind] = a
	}
	if a, ok := kinds["credential.issue"]; !ok || a.Via != "api" || a.Target != apptest.Laia+" census sd-jwt" {
		t.Fatalf("issue not logged: %+v", acts)
	}
	if a, ok := kinds["verifier.request"]; !ok || a.Via != "api" || a.ActorID == kinds["credential.issue"].ActorID {
		t.Fatalf("request not logged by its own account: %+v", acts)
	}
}
