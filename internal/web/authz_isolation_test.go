package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/staff"
)

// isoPrincipal is a staff member of an administration other than Girona,
// signed in to the console and holding an API token.
type isoPrincipal struct {
	name, admin, role string
	b                 *browser // signed in to the console
	csrf              string
	token             string
}

// isoTarget is what belongs to the Ajuntament de Girona: real ids, made by
// its own staff before the others try them.
type isoTarget struct {
	credential string // Laia's census credential, issued by Girona
	answered   string // a verifier request Laia answered
	pending    string // a verifier request still waiting
	staffID    string // a Girona staff account (Pere Vila)
}

// isoSnapshot is everything the attempts could have changed.
type isoSnapshot struct {
	ledger       uint64
	credential   string // the issuer record, as JSON
	issuedToLaia int
	answered     string // state of each request
	pending      string
	staff        string // Girona's staff accounts, as JSON
}

func isoSnap(t *testing.T, s *Server, tg isoTarget) isoSnapshot {
	t.Helper()
	ctx := context.Background()
	a := s.cfg.App
	rec, err := a.Issuer.Issued(ctx, tg.credential)
	if err != nil {
		t.Fatal(err)
	}
	recJSON, _ := json.Marshal(rec)
	recs, err := a.Issuer.IssuedTo(ctx, apptest.Laia)
	if err != nil {
		t.Fatal(err)
	}
	state := func(id string) string {
		r, err := a.Verifier.Request(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.State + " " + r.Answered.String()
	}
	accts, err := s.cfg.Staff.List(ctx, girona)
	if err != nil {
		t.Fatal(err)
	}
	staffJSON, _ := json.Marshal(accts)
	return isoSnapshot{ledger: a.Ledger.Latest().Size, credential: string(recJSON), issuedToLaia: len(recs),
		answered: state(tg.answered), pending: state(tg.pending), staff: string(staffJSON)}
}

// TestIsolationBetweenAdministrations has staff of other administrations,
// in every role, use the routes that take ids with the Ajuntament de
// Girona's real ids: its credential (detail, revoke, suspend, reinstate,
// re-issue), its verifier requests (detail, live state, QR) and its staff
// accounts. Each is refused as if
// the thing did not exist (404) or as not allowed (403), shows nothing of
// Girona's, and changes nothing. Another town hall (Salt, which issues the
// same credential type) is the sharpest case; the tax agency, a university
// and the housing agency are the others.
func TestIsolationBetweenAdministrations(t *testing.T) {
	ts, s := serve(t)
	a := s.cfg.App
	ctx := context.Background()

	// Girona's things, made by Girona's own staff.
	var tg isoTarget
	recs, err := a.Issuer.IssuedTo(ctx, apptest.Laia)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Admin == girona && r.Type == "census" {
			tg.credential = r.ID
		}
	}
	newRequest := func() string {
		code, body := call(t, "POST", ts.URL+"/api/v1/verifier/requests", "demo-girona-verifier", map[string]any{"purpose": "preinscripcio-escolar"})
		var r struct{ ID string }
		if code != http.StatusCreated || json.Unmarshal(body, &r) != nil || r.ID == "" {
			t.Fatalf("Girona's request: %d %s", code, body)
		}
		return r.ID
	}
	tg.answered, tg.pending = newRequest(), newRequest()
	cvLaiaAnswers(t, a, cvLaia(t, a), tg.answered)
	tg.staffID = staffID(t, s, girona, "pere.vila")
	if tg.credential == "" {
		t.Fatal("Laia has no census credential from Girona")
	}
	// Girona's own staff reach them (so the refusals below are about who
	// asks, not about the ids).
	if code, _ := call(t, "GET", ts.URL+"/api/v1/verifier/requests/"+tg.answered, "demo-girona-verifier", nil); code != http.StatusOK {
		t.Fatalf("Girona reading its own request: %d", code)
	}
	if code, body := call(t, "GET", ts.URL+"/api/v1/issuer/citizens/"+apptest.Laia+"/credentials", "demo-girona-issuer", nil); code != http.StatusOK || !strings.Contains(string(body), tg.credential) {
		t.Fatalf("Girona listing its own credential: %d", code)
	}

	// The others: Salt's staff in every role, plus demo staff of the tax
	// agency, the UdG and the housing agency.
	var ps []*isoPrincipal
	for _, role := range []string{staff.RoleIssuer, staff.RoleVerifier, staff.RoleAdmin} {
		login := "salt." + role
		ps = append(ps, &isoPrincipal{name: "Salt " + role, admin: "ajuntament-salt", role: role, token: addConsoleStaff(t, a, "ajuntament-salt", login, role)})
		ps[len(ps)-1].b = newBrowser(t, ts.URL)
		consoleLogin(t, ps[len(ps)-1].b, login, login+"-demo-2026")
	}
	for _, d := range []struct{ name, admin, role, login, password, token string }{
		{"ATC issuer", "atc", staff.RoleIssuer, "carme.bosch", "carme-demo-2026", "demo-atc-issuer"},
		{"UdG issuer", "udg", staff.RoleIssuer, "marina.costa", "marina-demo-2026", "demo-udg-issuer"},
		{"AHC verifier", "ahc", staff.RoleVerifier, "jaume.serra", "jaume-demo-2026", "demo-ahc-verifier"},
	} {
		p := &isoPrincipal{name: d.name, admin: d.admin, role: d.role, token: d.token, b: newBrowser(t, ts.URL)}
		consoleLogin(t, p.b, d.login, d.password)
		ps = append(ps, p)
	}
	for _, p := range ps {
		_, page, _ := p.b.do("GET", "/console", nil)
		p.csrf = csrfOf(t, page)
	}

	before := isoSnap(t, s, tg)
	notFound := []int{http.StatusNotFound}
	refused := []int{http.StatusNotFound, http.StatusForbidden}
	cases := []struct {
		role   string
		api    bool // bearer token; else the console session
		method string
		path   string
		form   url.Values     // console forms (the CSRF token is added)
		json   map[string]any // API bodies
		want   []int
		// mayOpen: a 200 is right for a principal whose administration
		// issues Laia something itself (the tax agency, her university),
		// as long as nothing of Girona's shows.
		mayOpen bool
	}{
		// Issuer console: the person, the credential, its status, re-issue, issuing Girona's type.
		{role: staff.RoleIssuer, method: "GET", path: "/console/issuer/citizens/" + apptest.Laia, want: notFound, mayOpen: true},
		{role: staff.RoleIssuer, method: "GET", path: "/console/issuer?q=" + apptest.Laia, want: []int{http.StatusOK}, mayOpen: true},
		{role: staff.RoleIssuer, method: "POST", path: "/console/issuer/credentials/" + tg.credential + "/status", form: url.Values{"action": {"revoke"}, "reason": {"prova"}}, want: notFound},
		{role: staff.RoleIssuer, method: "POST", path: "/console/issuer/credentials/" + tg.credential + "/status", form: url.Values{"action": {"suspend"}, "reason": {"prova"}}, want: notFound},
		{role: staff.RoleIssuer, method: "POST", path: "/console/issuer/credentials/" + tg.credential + "/status", form: url.Values{"action": {"reinstate"}, "reason": {"prova"}}, want: notFound},
		{role: staff.RoleIssuer, method: "POST", path: "/console/issuer/credentials/" + tg.credential + "/reissue", form: url.Values{"format": {"sd-jwt"}}, want: notFound},
		{role: staff.RoleIssuer, method: "POST", path: "/console/issuer/citizens/" + apptest.Laia + "/issue", form: url.Values{"type": {"census"}, "format": {"sd-jwt"}}, want: refused},
		// Issuer API.
		{role: staff.RoleIssuer, api: true, method: "GET", path: "/api/v1/issuer/citizens/" + apptest.Laia + "/credentials", want: []int{http.StatusOK}, mayOpen: true},
		{role: staff.RoleIssuer, api: true, method: "POST", path: "/api/v1/issuer/credentials/" + tg.credential + "/revoke", json: map[string]any{"reason": "prova"}, want: notFound},
		{role: staff.RoleIssuer, api: true, method: "POST", path: "/api/v1/issuer/credentials/" + tg.credential + "/suspend", json: map[string]any{"reason": "prova"}, want: notFound},
		{role: staff.RoleIssuer, api: true, method: "POST", path: "/api/v1/issuer/credentials/" + tg.credential + "/reinstate", json: map[string]any{"reason": "prova"}, want: notFound},
		{role: staff.RoleIssuer, api: true, method: "POST", path: "/api/v1/issuer/credentials", json: map[string]any{"type": "census", "citizen": apptest.Laia, "deliver": true}, want: []int{http.StatusForbidden}},
		// Verifier console: a request's page and live state, answered or pending.
		{role: staff.RoleVerifier, method: "GET", path: "/console/verifier/requests/" + tg.answered, want: notFound},
		{role: staff.RoleVerifier, method: "GET", path: "/console/verifier/requests/" + tg.answered + "/state", want: notFound},
		{role: staff.RoleVerifier, method: "GET", path: "/console/verifier/requests/" + tg.pending, want: notFound},
		{role: staff.RoleVerifier, method: "GET", path: "/console/verifier/requests/" + tg.pending + "/state", want: notFound},
		{role: staff.RoleVerifier, method: "GET", path: "/console/verifier/requests", want: []int{http.StatusOK}},
		// Verifier API: the request and its QR codes.
		{role: staff.RoleVerifier, api: true, method: "GET", path: "/api/v1/verifier/requests/" + tg.answered, want: notFound},
		{role: staff.RoleVerifier, api: true, method: "GET", path: "/api/v1/verifier/requests/" + tg.pending, want: notFound},
		{role: staff.RoleVerifier, api: true, method: "GET", path: "/api/v1/verifier/requests/" + tg.pending + "/qr.svg", want: notFound},
		{role: staff.RoleVerifier, api: true, method: "GET", path: "/api/v1/verifier/requests/" + tg.pending + "/qr.png", want: notFound},
		// Admin console: Girona's staff accounts.
		{role: staff.RoleAdmin, method: "GET", path: "/console/admin/staff/" + tg.staffID, want: notFound},
		{role: staff.RoleAdmin, method: "POST", path: "/console/admin/staff/" + tg.staffID + "/disable", form: url.Values{}, want: notFound},
		{role: staff.RoleAdmin, method: "POST", path: "/console/admin/staff/" + tg.staffID + "/roles", form: url.Values{"roles": {"admin"}}, want: notFound},
		{role: staff.RoleAdmin, method: "POST", path: "/console/admin/staff/" + tg.staffID + "/password", form: url.Values{}, want: notFound},
		{role: staff.RoleAdmin, method: "POST", path: "/console/admin/staff/" + tg.staffID + "/token/rotate", form: url.Values{}, want: notFound},
		{role: staff.RoleAdmin, method: "POST", path: "/console/admin/staff/" + tg.staffID + "/token/revoke", form: url.Values{}, want: notFound},
	}
	// Girona's ids never show in another administration's answer.
	secrets := []string{tg.credential, tg.answered, tg.pending, tg.staffID, "Pere Vila"}
	tried := 0
	for _, c := range cases {
		for _, p := range ps {
			if p.role != c.role {
				continue
			}
			var code int
			var body string
			if c.api {
				var raw []byte
				var payload any
				if c.json != nil {
					payload = c.json
				}
				code, raw = call(t, c.method, ts.URL+c.path, p.token, payload)
				body = string(raw)
			} else {
				var form url.Values
				if c.method == "POST" {
					form = url.Values{"csrf": {p.csrf}}
					for k, v := range c.form {
						form[k] = v
					}
				}
				code, body, _ = p.b.do(c.method, c.path, form)
			}
			tried++
			what := p.name + " " + c.method + " " + c.path
			ok := false
			for _, w := range c.want {
				ok = ok || code == w
			}
			if c.mayOpen && (code == http.StatusOK || code == http.StatusSeeOther) {
				issues, err := a.Issuer.IssuesFor(ctx, p.admin, apptest.Laia)
				if err != nil {
					t.Fatal(err)
				}
				ok = ok || issues
			}
			if !ok {
				t.Errorf("%s: %d, want one of %v", what, code, c.want)
			}
			for _, sec := range secrets {
				if strings.Contains(body, sec) && !strings.Contains(c.path, sec) {
					t.Errorf("%s: the answer shows Girona's %q", what, sec)
				}
			}
			// A refused answer echoes nothing of Girona's, not even the id asked for.
			if code >= 400 && (strings.Contains(body, tg.credential) || strings.Contains(body, tg.answered) || strings.Contains(body, tg.pending)) {
				t.Errorf("%s: the refusal repeats Girona's id", what)
			}
		}
	}
	if tried < 60 {
		t.Fatalf("only %d attempts: principals or cases missing", tried)
	}
	if after := isoSnap(t, s, tg); after != before {
		t.Errorf("the attempts changed Girona's things:\nbefore %+v\nafter  %+v", before, after)
	}

	// Scans carry no id: a citizen's QR code may be read by any
	// administration, once. After Girona's scanner read Laia's code, the
	// others' scanners (console and API) get a refusal that discloses none
	// of her claims.
	qr := cvLaiaQR(t, a, cvLaia(t, a))
	if code, body := call(t, "POST", ts.URL+"/api/v1/verifier/scan", "demo-girona-verifier", map[string]any{"payload": qr.Code.Content}); code != http.StatusOK || !strings.Contains(string(body), `"valid":true`) {
		t.Fatalf("Girona's scan: %d %s", code, body)
	}
	for _, p := range ps {
		if p.role != staff.RoleVerifier {
			continue
		}
		code, body := call(t, "POST", ts.URL+"/api/v1/verifier/scan", p.token, map[string]any{"payload": qr.Code.Content})
		if code != http.StatusOK || !strings.Contains(string(body), `"valid":false`) || strings.Contains(string(body), `"claims"`) || strings.Contains(string(body), "Laia") || strings.Contains(string(body), "Puig") {
			t.Errorf("%s scanning Girona's scanned code over the API: %d %s", p.name, code, body)
		}
		code, page, _ := p.b.do("POST", "/console/verifier/scan", url.Values{"csrf": {p.csrf}, "payload": {qr.Code.Content}})
		if code != http.StatusOK || strings.Contains(page, "Laia") || strings.Contains(page, "Puig") {
			t.Errorf("%s scanning Girona's scanned code in the console: %d", p.name, code)
		}
	}
}
