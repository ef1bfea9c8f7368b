package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdminConsoleAddsStaff(t *testing.T) {
	ts, s := serve(t)
	b := newBrowser(t, ts.URL)
	consoleLogin(t, b, "montse.pujol", "montse-demo-2026")
	_, page, _ := b.do("GET", "/console/admin", nil)
	if !strings.Contains(page, "Pere Vila") || strings.Contains(page, "Carme Bosch") {
		t.Fatal("the list must show Girona's staff only")
	}
	csrf := csrfOf(t, page)
	before, _ := s.cfg.Staff.List(t.Context(), "ajuntament-girona")
	for _, bad := range []url.Values{
		{"csrf": {csrf}, "name": {"Anna Soler"}, "login": {"anna.soler"}, "password": {"curta"}, "role": {"verifier"}},                 // short password
		{"csrf": {csrf}, "name": {"Anna Soler"}, "login": {"pere.vila"}, "password": {"una contrasenya llarga"}, "role": {"verifier"}}, // login taken
		{"csrf": {csrf}, "name": {"Anna Soler"}, "login": {"anna.soler"}, "password": {"una contrasenya llarga"}, "role": {"root"}},    // no such role
		{"csrf": {csrf}, "name": {"Anna Soler"}, "login": {"anna.soler"}, "password": {"una contrasenya llarga"}},                      // no role
	} {
		if code, _, _ := b.do("POST", "/console/admin/staff", bad); code != http.StatusBadRequest {
			t.Fatalf("%v: %d", bad, code)
		}
	}
	if after, _ := s.cfg.Staff.List(t.Context(), "ajuntament-girona"); len(after) != len(before) {
		t.Fatal("refused input created an account")
	}
	code, page, _ := b.do("POST", "/console/admin/staff", url.Values{"csrf": {csrf}, "name": {"Anna Soler (OAC)"}, "login": {"anna.soler"},
		"password": {"una contrasenya llarga"}, "role": {"verifier", "issuer"}})
	if code != http.StatusOK || !strings.Contains(page, "data-token") {
		t.Fatalf("add: %d", code)
	}
	anna := newBrowser(t, ts.URL)
	consoleLogin(t, anna, "anna.soler", "una contrasenya llarga")
	if code, _, _ := anna.do("GET", "/console/verifier/exchange", nil); code != http.StatusOK {
		t.Fatalf("the new verifier cannot open the exchange form: %d", code)
	}
	if code, _, _ := anna.do("GET", "/console/admin", nil); code != http.StatusForbidden {
		t.Fatalf("the new account got the admin console: %d", code)
	}
}
