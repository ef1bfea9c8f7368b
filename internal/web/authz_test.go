package web

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/espai/espai/internal/apptest"
)

// principal is someone calling the server: nobody, a citizen, a staff member
// signed in to the consoles, or a system with an API token.
type principal struct {
	name  string
	b     *browser
	csrf  string
	token string
	roles []string // console or API roles
	kind  string   // "anon", "citizen", "console", "api"
}

// routeRule says who may use a route: a kind of principal and, for staff, a
// role ("" any role of that kind). kind "public" is anyone.
type routeRule struct{ kind, role string }

// ruleFor classifies every route the server has; a route no rule covers
// fails the test, so new routes must be placed here.
func ruleFor(path string) (routeRule, bool) {
	public := []string{"/healthz", "/issuers/", "/trust/", "/status/", "/ledger/", "/verifier/requests/", "/p/", "/static/",
		"/login", "/login/code", "/login/passkey", "/login/passkey/options", "/console/login", "/console/login/code", "/sw.js", "/manifest.webmanifest", "/offline"}
	for _, p := range public {
		if path == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return routeRule{"public", ""}, true
		}
	}
	api := []struct{ prefix, role string }{
		{"/api/v1/issuer/", "issuer"}, {"/api/v1/verifier/", "verifier"}, {"/api/v1/exchange", "verifier"},
		{"/api/v1/procedures", "services"}, {"/api/v1/notifications", "services"}, {"/api/v1/logins", "services"},
	}
	for _, a := range api {
		if strings.HasPrefix(path, a.prefix) {
			return routeRule{"api", a.role}, true
		}
	}
	if strings.HasPrefix(path, "/api/") {
		return routeRule{}, false
	}
	console := []struct{ prefix, role string }{
		{"/console/issuer", "issuer"}, {"/console/verifier", "verifier"}, {"/console/audit", "auditor"}, {"/console/admin", "admin"},
		{"/console/account", ""}, // every staff member's own account page (any role)
	}
	for _, c := range console {
		if path == c.prefix || strings.HasPrefix(path, c.prefix+"/") {
			return routeRule{"console", c.role}, true
		}
	}
	if path == "/console" || path == "/console/logout" {
		return routeRule{"console", ""}, true
	}
	if strings.HasPrefix(path, "/console") {
		return routeRule{}, false
	}
	return routeRule{"citizen", ""}, true
}

var paramRE = regexp.MustCompile(`[:*][A-Za-z]+`)

// denied tells an authentication or authorization refusal from any other
// answer (a 404 for the made-up id, a 400 for the empty form).
func denied(code int, body string, h http.Header) bool {
	loc := h.Get("Location")
	switch {
	case code == http.StatusUnauthorized:
		return true
	case code == http.StatusSeeOther && (loc == "/login" || loc == "/console/login"):
		return true
	case code == http.StatusForbidden:
		return body == "" || strings.Contains(body, `"code":"forbidden"`) || strings.Contains(body, "data-denied")
	}
	return false
}

func TestEveryRoleAgainstEveryRoute(t *testing.T) {
	ts, s := serve(t)
	anon := &principal{name: "nobody", b: newBrowser(t, ts.URL), kind: "anon"}
	citizen := &principal{name: "citizen Laia", b: newBrowser(t, ts.URL), kind: "citizen"}
	citizen.b.login(apptest.Laia, apptest.LaiaPassphrase)
	_, page, _ := citizen.b.do("GET", "/settings", nil)
	citizen.csrf = csrfOf(t, page)
	ps := []*principal{anon, citizen}
	for _, c := range []struct{ login, pw, role string }{
		{"nuria.roca", "nuria-demo-2026", "issuer"}, {"pere.vila", "pere-demo-2026", "verifier"},
		{"elena.marti", "elena-demo-2026", "auditor"}, {"montse.pujol", "montse-demo-2026", "admin"},
	} {
		p := &principal{name: "console " + c.role, b: newBrowser(t, ts.URL), kind: "console", roles: []string{c.role}}
		consoleLogin(t, p.b, c.login, c.pw)
		_, page, _ := p.b.do("GET", "/console", nil)
		p.csrf = csrfOf(t, page)
		ps = append(ps, p)
	}
	for _, c := range []struct{ token, role string }{
		{"demo-girona-issuer", "issuer"}, {"demo-girona-verifier", "verifier"}, {"demo-auditor", "auditor"},
		{"demo-girona-admin", "admin"}, {"demo-girona-services", "services"},
	} {
		ps = append(ps, &principal{name: "api " + c.role, b: newBrowser(t, ts.URL), token: c.token, kind: "api", roles: []string{c.role}})
	}

	routes := s.Engine().Routes()
	// Logging out goes last, so every other route sees live sessions.
	sort.SliceStable(routes, func(i, j int) bool {
		return !strings.HasSuffix(routes[i].Path, "logout") && strings.HasSuffix(routes[j].Path, "logout")
	})
	checked := 0
	for _, r := range routes {
		rule, ok := ruleFor(r.Path)
		if !ok {
			t.Errorf("%s %s: no access rule: add it to ruleFor", r.Method, r.Path)
			continue
		}
		path := paramRE.ReplaceAllString(r.Path, "x")
		for _, p := range ps {
			var form url.Values
			hdr := []string{}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				form = url.Values{"csrf": {p.csrf}}
			}
			if p.token != "" {
				hdr = append(hdr, "Authorization", "Bearer "+p.token)
			}
			code, body, h := p.b.do(r.Method, path, form, hdr...)
			want := allowed(rule, p)
			got := !denied(code, body, h)
			if strings.HasSuffix(r.Path, "/logout") {
				got = code == http.StatusSeeOther // logging out sends to the login page; without a session it is 403
			}
			if got != want && rule.kind != "public" {
				t.Errorf("%s %s as %s: %d (allowed %v, want %v)", r.Method, r.Path, p.name, code, got, want)
			}
			if rule.kind == "public" && (code == http.StatusUnauthorized || (code == http.StatusSeeOther && strings.HasSuffix(h.Get("Location"), "/login") && r.Path != "/login/code" && r.Path != "/console/login" && r.Path != "/login")) {
				t.Errorf("%s %s as %s: public route answered %d", r.Method, r.Path, p.name, code)
			}
			checked++
		}
	}
	t.Logf("%d routes × %d principals: %d answers checked", len(routes), len(ps), checked)
}

func allowed(rule routeRule, p *principal) bool {
	switch rule.kind {
	case "public":
		return true
	case "citizen":
		return p.kind == "citizen"
	case "console", "api":
		if p.kind != rule.kind {
			return false
		}
		return rule.role == "" || (len(p.roles) > 0 && p.roles[0] == rule.role)
	}
	return false
}
