package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/wallet"
)

// laiaCensusInConsole signs Girona's census clerk in and opens Laia's page
// in the issuer console: the browser, her census credential's id, the page.
func laiaCensusInConsole(t *testing.T, base string) (*browser, string, string) {
	t.Helper()
	b := newBrowser(t, base)
	consoleLogin(t, b, "nuria.roca", "nuria-demo-2026")
	_, page, _ := b.do("GET", "/console/issuer/citizens/"+apptest.Laia, nil)
	m := credRowRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no census credential of Laia on the page")
	}
	return b, m[1], page
}

var credRowRE = regexp.MustCompile(`<tr data-credential="([0-9a-z:-]+)"><td>Volant d&#39;empadronament</td>`)

func TestIssuerConsole(t *testing.T) {
	ts, _ := serve(t)
	b := newBrowser(t, ts.URL)
	consoleLogin(t, b, "nuria.roca", "nuria-demo-2026")

	// Search by name, then open the person.
	_, page, _ := b.do("GET", "/console/issuer?q="+url.QueryEscape("Laia Puig"), nil)
	if !strings.Contains(page, `href="/console/issuer/citizens/`+apptest.Laia+`"`) {
		t.Fatal("Laia is not found by name")
	}
	if !strings.Contains(page, "data-issued-total=") || !strings.Contains(page, "<meter") {
		t.Fatal("no issuance statistics")
	}
	code, _, h := b.do("GET", "/console/issuer?q=12345678z", nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/console/issuer/citizens/"+apptest.Laia {
		t.Fatalf("search by DNI: %d %s", code, h.Get("Location"))
	}
	_, page, _ = b.do("GET", "/console/issuer/citizens/"+apptest.Laia, nil)
	m := credRowRE.FindStringSubmatch(page)
	if m == nil || strings.Contains(page, "Certificat d&#39;estar al corrent") {
		t.Fatal("the page must list Girona's census credential and nothing issued by others")
	}
	csrf := csrfOf(t, page)

	// Re-issue into her wallet.
	code, page, _ = b.do("POST", "/console/issuer/citizens/"+apptest.Laia+"/issue", url.Values{"csrf": {csrf}, "type": {"census"}, "format": {"jsonld"}})
	if code != http.StatusOK || !strings.Contains(page, "Credencial emesa i lliurada") {
		t.Fatalf("issue: %d", code)
	}
	// Girona cannot issue a tax certificate; a person not registered in
	// Girona gets nothing.
	if code, _, _ := b.do("POST", "/console/issuer/citizens/"+apptest.Laia+"/issue", url.Values{"csrf": {csrf}, "type": {"tax"}, "format": {"sd-jwt"}}); code != http.StatusForbidden {
		t.Fatalf("tax from a town hall: %d", code)
	}
	if code, _, _ := b.do("POST", "/console/issuer/citizens/38765432J/issue", url.Values{"csrf": {csrf}, "type": {"census"}, "format": {"sd-jwt"}}); code < 400 {
		t.Fatalf("census of a Sabadell resident from Girona: %d", code)
	}

	// Suspend with a reason: recorded, and Laia is told.
	if code, _, _ := b.do("POST", "/console/issuer/credentials/"+m[1]+"/status", url.Values{"csrf": {csrf}, "action": {"suspend"}}); code != http.StatusBadRequest {
		t.Fatalf("no reason: %d", code)
	}
	code, page, _ = b.do("POST", "/console/issuer/credentials/"+m[1]+"/status", url.Values{"csrf": {csrf}, "action": {"suspend"}, "reason": {"Baixa per canvi de domicili en tràmit"}})
	if code != http.StatusOK || !strings.Contains(page, "Credencial suspesa") {
		t.Fatalf("suspend: %d", code)
	}
	citizen := newBrowser(t, ts.URL)
	citizen.login(apptest.Laia, apptest.LaiaPassphrase)
	_, home, _ := citizen.do("GET", "/", nil)
	if !strings.Contains(home, `data-alert="credential_revoked"`) || !strings.Contains(home, html.EscapeString("Baixa per canvi de domicili en tràmit")) {
		t.Fatal("the citizen was not alerted with the reason")
	}

	// Another administration's issuer cannot touch it; a verifier has no
	// issuer console.
	atc := newBrowser(t, ts.URL)
	consoleLogin(t, atc, "carme.bosch", "carme-demo-2026")
	_, page, _ = atc.do("GET", "/console/issuer", nil)
	if code, _, _ := atc.do("POST", "/console/issuer/credentials/"+m[1]+"/status", url.Values{"csrf": {csrfOf(t, page)}, "action": {"revoke"}, "reason": {"x"}}); code != http.StatusNotFound {
		t.Fatalf("another administration revoked: %d", code)
	}
	ver := newBrowser(t, ts.URL)
	consoleLogin(t, ver, "pere.vila", "pere-demo-2026")
	if code, _, _ := ver.do("GET", "/console/issuer", nil); code != http.StatusForbidden {
		t.Fatalf("verifier on the issuer console: %d", code)
	}
}

// issuerNum reads a number the issuer console puts in a data attribute
// (attr is the attribute with its value prefix, e.g. `data-issued-type="census" data-count=`); 0 when absent.
func issuerNum(t *testing.T, page, attr string) int {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(attr) + `"(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ledgerTail returns the ledger entries appended since size.
func ledgerTail(t *testing.T, a *app.App, size uint64) []*ledger.Entry {
	t.Helper()
	return auditEntries(t, a.Ledger)[size:]
}

func ledgerKinds(es []*ledger.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind.String()+" "+e.Administration+" "+e.CredentialType)
	}
	return out
}

// walletCredential finds, in the citizen's wallet, the credential of an
// issuer record (by its status list entry).
func walletCredential(t *testing.T, a *app.App, citizen, pass string, rec *issuer.Record) *wallet.Credential {
	t.Helper()
	ctx := context.Background()
	s, err := a.Wallet.Unlock(ctx, citizen, pass)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Lock()
	creds, _, err := s.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range creds {
		if c := &creds[i]; c.Status != nil && c.Status.URI == a.Issuer.StatusURI(rec) && c.Status.Index == rec.Index {
			return c
		}
	}
	return nil
}

// citizenHome is the citizen's home page (their alerts).
func citizenHome(t *testing.T, base, id, pass string) string {
	t.Helper()
	b := newBrowser(t, base)
	b.login(id, pass)
	_, home, _ := b.do("GET", "/", nil)
	return home
}

// Re-issuing a credential supersedes it, in one operation: the new one is
// in the wallet and valid, the old one is revoked with the reason on the
// ledger like any revocation, the citizen is told, and the console shows
// which replaced which. Bad input and other administrations change nothing.
func TestIssuerConsoleReissueSupersedes(t *testing.T) {
	ts, s := serve(t)
	a := s.cfg.App
	ctx := context.Background()
	b, oldID, page := laiaCensusInConsole(t, ts.URL)
	csrf := csrfOf(t, page)
	if !strings.Contains(page, `data-reissue="`+oldID+`"`) {
		t.Fatal("no re-issue form for a valid credential")
	}
	size := a.Ledger.Latest().Size
	reissue := func(b *browser, form url.Values) (int, string) {
		code, page, _ := b.do("POST", "/console/issuer/credentials/"+oldID+"/reissue", form)
		return code, page
	}
	unchanged := func(what string) {
		t.Helper()
		if got := a.Ledger.Latest().Size; got != size {
			t.Errorf("%s: the ledger grew from %d to %d", what, size, got)
		}
		if rec, err := a.Issuer.Issued(ctx, oldID); err != nil || rec.Status != "valid" || rec.ReplacedBy != "" {
			t.Errorf("%s: the old credential changed: %+v %v", what, rec, err)
		}
		if recs, _ := a.Issuer.IssuedTo(ctx, apptest.Laia); len(recs) != 4 {
			t.Errorf("%s: %d credentials issued to Laia, want her 4", what, len(recs))
		}
	}
	// Refused before anything happens: no CSRF token, a bad format, a note
	// too long, another administration (as if the credential did not exist).
	if code, _ := reissue(b, url.Values{"format": {"sd-jwt"}}); code != http.StatusForbidden {
		t.Errorf("no csrf: %d", code)
	}
	if code, p := reissue(b, url.Values{"csrf": {csrf}, "format": {"pdf"}}); code != http.StatusBadRequest || !strings.Contains(p, "Format desconegut") {
		t.Errorf("bad format: %d", code)
	}
	if code, _ := reissue(b, url.Values{"csrf": {csrf}, "reason": {strings.Repeat("x", 501)}}); code != http.StatusBadRequest {
		t.Errorf("long note: %d", code)
	}
	salt := newBrowser(t, ts.URL)
	addConsoleStaff(t, a, "ajuntament-salt", "salt-issuer", "issuer")
	consoleLogin(t, salt, "salt-issuer", "salt-issuer-demo-2026")
	_, sp, _ := salt.do("GET", "/console/issuer", nil)
	if code, _ := reissue(salt, url.Values{"csrf": {csrfOf(t, sp)}, "format": {"sd-jwt"}}); code != http.StatusNotFound {
		t.Errorf("another town hall re-issued Girona's credential: %d", code)
	}
	unchanged("refused re-issues")

	code, page := reissue(b, url.Values{"csrf": {csrf}, "format": {"jsonld"}, "reason": {"canvi de domicili"}})
	if code != http.StatusOK || !strings.Contains(page, "Credencial substituïda") {
		t.Fatalf("re-issue: %d", code)
	}
	old, err := a.Issuer.Issued(ctx, oldID)
	if err != nil {
		t.Fatal(err)
	}
	newID := old.ReplacedBy
	nw, err := a.Issuer.Issued(ctx, newID)
	if err != nil {
		t.Fatal(err)
	}
	const reason = "Substituïda per una nova emissió: canvi de domicili"
	if old.Status != "revoked" || old.Reason != reason || nw.Replaces != oldID || nw.Status != "valid" ||
		nw.Type != old.Type || nw.Citizen != apptest.Laia || nw.Format != "jsonld" || nw.Admin != "ajuntament-girona" {
		t.Fatalf("records after re-issue: old %+v new %+v", old, nw)
	}
	// The console says which replaced which, on the message and in the list.
	for _, want := range []string{
		`data-reissued-new="` + newID + `" data-reissued-old="` + oldID + `"`,
		`data-replaced-by="` + newID + `"`, `data-replaces="` + oldID + `"`, html.EscapeString(reason),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, `data-reissue="`+oldID+`"`) || !strings.Contains(page, `data-reissue="`+newID+`"`) {
		t.Error("the replaced credential should offer no re-issue, the new one should")
	}
	// On the ledger: the issuance, then the revocation, both Girona's.
	want := []string{"credential-issued ajuntament-girona CensusCredential", "credential-revoked ajuntament-girona CensusCredential"}
	if got := ledgerKinds(ledgerTail(t, a, size)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ledger after re-issue: %v, want %v", got, want)
	}
	// The wallet holds the new credential, valid; the old one verifies as
	// revoked; Laia is told why.
	nc := walletCredential(t, a, apptest.Laia, apptest.LaiaPassphrase, nw)
	if nc == nil {
		t.Fatal("the new credential is not in Laia's wallet")
	}
	if v, err := a.Checker.VerifyCredential(ctx, nc.Raw); err != nil || !v.Valid {
		t.Fatalf("the new credential does not verify: %v %+v", err, v)
	}
	oc := walletCredential(t, a, apptest.Laia, apptest.LaiaPassphrase, old)
	if oc == nil {
		t.Fatal("the old credential is not in Laia's wallet")
	}
	if v, err := a.Checker.VerifyCredential(ctx, oc.Raw); err != nil || v.Valid || v.FirstFailure().Name != verdict.Status {
		t.Fatalf("the old credential should fail its status check: %v %+v", err, v)
	}
	if home := citizenHome(t, ts.URL, apptest.Laia, apptest.LaiaPassphrase); !strings.Contains(home, html.EscapeString(reason)) {
		t.Error("Laia was not alerted with the reason")
	}
	// Replaced once: re-issuing it again is refused and changes nothing.
	size = a.Ledger.Latest().Size
	if code, p := reissue(b, url.Values{"csrf": {csrf}, "format": {"sd-jwt"}}); code != http.StatusConflict || !strings.Contains(p, "ja està revocada o substituïda") {
		t.Errorf("second re-issue: %d", code)
	}
	if a.Ledger.Latest().Size != size {
		t.Error("a refused re-issue wrote to the ledger")
	}
	if recs, _ := a.Issuer.IssuedTo(ctx, apptest.Laia); len(recs) != 5 {
		t.Errorf("%d credentials issued to Laia, want 5", len(recs))
	}
}

// addConsoleStaff adds a console account (password login+"-demo-2026",
// API token login+"-token-2026") to an administration.
func addConsoleStaff(t *testing.T, a *app.App, admin, login, role string) string {
	t.Helper()
	tok := login + "-token-2026"
	ctx := context.Background()
	if err := a.Staff.AddWithToken(ctx, staff.Account{Name: "Test " + login, Admin: admin, Roles: []string{role}}, tok); err != nil {
		t.Fatal(err)
	}
	if err := a.Staff.SetLogin(ctx, tok, login, login+"-demo-2026"); err != nil {
		t.Fatal(err)
	}
	return tok
}

// Suspending, reinstating and revoking from the console: each is on the
// ledger (the matching kind, the administration, the credential type), the
// list the verifiers read changes, and the citizen is alerted with the
// reason. A change the state does not allow is refused and writes nothing.
func TestIssuerConsoleStatusChanges(t *testing.T) {
	ts, s := serve(t)
	a := s.cfg.App
	ctx := context.Background()
	b, id, page := laiaCensusInConsole(t, ts.URL)
	csrf := csrfOf(t, page)
	rec, err := a.Issuer.Issued(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wc := walletCredential(t, a, apptest.Laia, apptest.LaiaPassphrase, rec)
	if wc == nil {
		t.Fatal("the credential is not in Laia's wallet")
	}
	for _, st := range []struct {
		action, reason, message, kind, status string
		valid, alerted                        bool
	}{
		{"suspend", "Baixa en tràmit per canvi de domicili", "Credencial suspesa", "credential-suspended", "suspended", false, true},
		{"reinstate", "Domicili comprovat", "Credencial restablerta", "credential-reinstated", "valid", true, false},
		{"revoke", "Baixa del padró per defunció errònia, corregida", "Credencial revocada", "credential-revoked", "revoked", false, true},
	} {
		size := a.Ledger.Latest().Size
		code, page, _ := b.do("POST", "/console/issuer/credentials/"+id+"/status", url.Values{"csrf": {csrf}, "action": {st.action}, "reason": {st.reason}})
		if code != http.StatusOK || !strings.Contains(page, st.message) {
			t.Fatalf("%s: %d", st.action, code)
		}
		tail := ledgerTail(t, a, size)
		if want := st.kind + " ajuntament-girona CensusCredential"; len(tail) != 1 || ledgerKinds(tail)[0] != want {
			t.Fatalf("%s: ledger got %v, want [%s]", st.action, ledgerKinds(tail), want)
		}
		if rec, _ := a.Issuer.Issued(ctx, id); rec.Status != st.status || rec.Reason != st.reason {
			t.Fatalf("%s: record %+v", st.action, rec)
		}
		v, err := a.Checker.VerifyCredential(ctx, wc.Raw)
		if err != nil || v.Valid != st.valid {
			t.Fatalf("%s: the credential verifies %v (%v), want %v", st.action, v.Valid, err, st.valid)
		}
		home := citizenHome(t, ts.URL, apptest.Laia, apptest.LaiaPassphrase)
		if got := strings.Contains(home, html.EscapeString(st.reason)); got != st.alerted {
			t.Errorf("%s: Laia alerted with %q: %v, want %v", st.action, st.reason, got, st.alerted)
		}
	}
	// Revoked is final: neither reinstating nor revoking again changes
	// anything; an unknown action or a missing reason neither.
	size := a.Ledger.Latest().Size
	for _, form := range []url.Values{
		{"csrf": {csrf}, "action": {"reinstate"}, "reason": {"error"}},
		{"csrf": {csrf}, "action": {"revoke"}, "reason": {"un altre cop"}},
		{"csrf": {csrf}, "action": {"delete"}, "reason": {"x"}},
		{"csrf": {csrf}, "action": {"suspend"}, "reason": {"  "}},
	} {
		if code, _, _ := b.do("POST", "/console/issuer/credentials/"+id+"/status", form); code < 400 {
			t.Errorf("%v on a revoked credential: %d", form, code)
		}
	}
	if a.Ledger.Latest().Size != size {
		t.Error("a refused status change wrote to the ledger")
	}
	if rec, _ := a.Issuer.Issued(ctx, id); rec.Status != "revoked" {
		t.Errorf("after refused changes: %s", rec.Status)
	}
}

// The issuance statistics are the administration's own figures, exact:
// issuing N census credentials adds N, a revocation moves one from valid to
// revoked, and another administration's console shows none of it.
func TestIssuerConsoleStatistics(t *testing.T) {
	ts, s := serve(t)
	a := s.cfg.App
	ctx := context.Background()
	// What the demo issued, counted from the records of the people it
	// issued to.
	demo := map[string]map[string]int{}
	for _, id := range []string{apptest.Laia, "38765432J", "40123456W", "Y2345678Z", "39876543V"} {
		recs, err := a.Issuer.IssuedTo(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if demo[r.Admin] == nil {
				demo[r.Admin] = map[string]int{}
			}
			demo[r.Admin][string(r.Type)]++
			demo[r.Admin]["total"]++
		}
	}
	girona := newBrowser(t, ts.URL)
	consoleLogin(t, girona, "nuria.roca", "nuria-demo-2026")
	atc := newBrowser(t, ts.URL)
	consoleLogin(t, atc, "carme.bosch", "carme-demo-2026")
	type figures struct{ total, census, tax, valid, revoked, reissued int }
	read := func(b *browser) figures {
		t.Helper()
		_, p, _ := b.do("GET", "/console/issuer", nil)
		return figures{issuerNum(t, p, "data-issued-total="), issuerNum(t, p, `data-issued-type="census" data-count=`),
			issuerNum(t, p, `data-issued-type="tax" data-count=`), issuerNum(t, p, `data-issued-status="valid" data-count=`),
			issuerNum(t, p, `data-issued-status="revoked" data-count=`), issuerNum(t, p, "data-reissued=")}
	}
	g0, atc0 := read(girona), read(atc)
	if g0 != (figures{total: demo["ajuntament-girona"]["total"], census: demo["ajuntament-girona"]["census"], valid: demo["ajuntament-girona"]["total"]}) || g0.total == 0 {
		t.Fatalf("Girona's figures %+v, the demo issued %v", g0, demo["ajuntament-girona"])
	}
	if atc0 != (figures{total: demo["atc"]["total"], tax: demo["atc"]["tax"], valid: demo["atc"]["total"]}) || atc0.total == 0 {
		t.Fatalf("the tax agency's figures %+v, the demo issued %v", atc0, demo["atc"])
	}
	// Issue 3 census credentials to Laia.
	_, page, _ := girona.do("GET", "/console/issuer/citizens/"+apptest.Laia, nil)
	csrf := csrfOf(t, page)
	const n = 3
	for range n {
		if code, _, _ := girona.do("POST", "/console/issuer/citizens/"+apptest.Laia+"/issue", url.Values{"csrf": {csrf}, "type": {"census"}, "format": {"sd-jwt"}}); code != http.StatusOK {
			t.Fatalf("issue: %d", code)
		}
	}
	g1 := read(girona)
	if want := (figures{total: g0.total + n, census: g0.census + n, valid: g0.valid + n}); g1 != want {
		t.Fatalf("after issuing %d: %+v, want %+v", n, g1, want)
	}
	// Revoke one; re-issue another.
	_, page, _ = girona.do("GET", "/console/issuer/citizens/"+apptest.Laia, nil)
	ids := credRowRE.FindAllStringSubmatch(page, -1)
	if len(ids) != g1.census {
		t.Fatalf("%d census rows on Laia's page, want %d", len(ids), g1.census)
	}
	if code, _, _ := girona.do("POST", "/console/issuer/credentials/"+ids[0][1]+"/status", url.Values{"csrf": {csrf}, "action": {"revoke"}, "reason": {"error d'emissió"}}); code != http.StatusOK {
		t.Fatalf("revoke: %d", code)
	}
	if g2 := read(girona); g2 != (figures{total: g1.total, census: g1.census, valid: g1.valid - 1, revoked: 1}) {
		t.Fatalf("after a revocation: %+v", g2)
	}
	if code, _, _ := girona.do("POST", "/console/issuer/credentials/"+ids[1][1]+"/reissue", url.Values{"csrf": {csrf}, "format": {"sd-jwt"}}); code != http.StatusOK {
		t.Fatalf("re-issue: %d", code)
	}
	if g3 := read(girona); g3 != (figures{total: g1.total + 1, census: g1.census + 1, valid: g1.valid - 1, revoked: 2, reissued: 1}) {
		t.Fatalf("after a re-issue: %+v", g3)
	}
	// The tax agency's console shows its own figures, unchanged, and no
	// census figure at all.
	_, atcPage, _ := atc.do("GET", "/console/issuer", nil)
	if atc1 := read(atc); atc1 != atc0 || strings.Contains(atcPage, `data-issued-type="census"`) {
		t.Fatalf("the tax agency's figures moved with Girona's: %+v -> %+v", atc0, atc1)
	}
}

// Staff find only the people their administration issues to: a town hall
// searches its own residents by name, a university its graduates, and the
// tax agency (a register of all of Catalonia) only by exact DNI/NIE. A
// DNI/NIE out of scope gives the same answer as one nobody has.
func TestIssuerConsoleSearchScope(t *testing.T) {
	ts, s := serve(t)
	a := s.cfg.App
	ctx := context.Background()
	const jordi, youssef = "38765432J", "Y2345678Z" // Sabadell, Salt
	girona := newBrowser(t, ts.URL)
	consoleLogin(t, girona, "nuria.roca", "nuria-demo-2026")

	// By name: only Girona's residents.
	_, page, _ := girona.do("GET", "/console/issuer?q="+url.QueryEscape("Laia Puig"), nil)
	if !strings.Contains(page, `href="/console/issuer/citizens/`+apptest.Laia+`"`) || !strings.Contains(page, `data-search-scope="names"`) {
		t.Fatal("Girona does not find its resident Laia by name")
	}
	for _, q := range []string{"Jordi Casals", "Youssef"} {
		code, page, _ := girona.do("GET", "/console/issuer?q="+url.QueryEscape(q), nil)
		if code != http.StatusOK || strings.Contains(page, `href="/console/issuer/citizens/`) || !strings.Contains(page, "No hi ha cap persona que coincideixi") {
			t.Errorf("Girona searching %q, who lives elsewhere: %d", q, code)
		}
	}
	// A common surname: exactly the registers' matches who live in Girona
	// are listed, though there are more elsewhere.
	everywhere, err := a.Registers.Search(ctx, "Puig", 100)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, m := range everywhere {
		if m.Municipality == "Girona" {
			want = append(want, m.ID)
		}
	}
	_, page, _ = girona.do("GET", "/console/issuer?q=Puig", nil)
	for _, r := range regexp.MustCompile(`<tr><td><a href="/console/issuer/citizens/([0-9A-Z]+)">[^<]*</a></td><td>[^<]*</td><td>([^<]*)</td></tr>`).FindAllStringSubmatch(page, -1) {
		got = append(got, r[1])
		if r[2] != "Girona" {
			t.Errorf("Girona's search lists %s of %s", r[1], r[2])
		}
	}
	if len(want) < 2 || len(everywhere) <= len(want) {
		t.Fatalf("the demo registers have %d Puig, %d in Girona: the test proves nothing", len(everywhere), len(want))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Girona's search for Puig lists %v, want its residents %v", got, want)
	}
	// A query so broad that the registers' search stops at its limit before
	// the scope applies: the page says to narrow it down.
	if all, _ := a.Registers.Search(ctx, "a", 100); len(all) == 100 {
		_, page, _ = girona.do("GET", "/console/issuer?q=a", nil)
		if len(regexp.MustCompile(`<tr><td><a href="/console/issuer/citizens/`).FindAllString(page, -1)) < 20 && !strings.Contains(page, "data-search-cut") {
			t.Error("a search cut short by the registers' limit should say so")
		}
	}
	// By DNI/NIE: a resident opens; someone else's resident gets the same
	// answer as an id nobody has, on the search and on the person's page.
	if code, _, h := girona.do("GET", "/console/issuer?q=12345678z", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/issuer/citizens/"+apptest.Laia {
		t.Errorf("Girona opening its resident by DNI: %d", code)
	}
	for _, id := range []string{jordi, youssef, "00000001R"} {
		code, page, _ := girona.do("GET", "/console/issuer?q="+id, nil)
		if code != http.StatusOK || !strings.Contains(page, "No hi ha cap persona amb aquest DNI/NIE") {
			t.Errorf("Girona searching %s: %d", id, code)
		}
		code, page, _ = girona.do("GET", "/console/issuer/citizens/"+id, nil)
		if code != http.StatusNotFound || !strings.Contains(page, "No hi ha cap persona amb aquest DNI/NIE") {
			t.Errorf("Girona opening %s: %d", id, code)
		}
		auditNoPersonalData(t, "Girona's answer about "+id, strings.ReplaceAll(page, id, ""))
	}
	if code, _, _ := girona.do("GET", "/console/issuer?q="+strings.Repeat("a", 101), nil); code != http.StatusBadRequest {
		t.Errorf("a query of 101 characters: %d", code)
	}

	// The tax agency: no search by name, with a clear message; by DNI/NIE,
	// anyone its register holds.
	atc := newBrowser(t, ts.URL)
	consoleLogin(t, atc, "carme.bosch", "carme-demo-2026")
	_, page, _ = atc.do("GET", "/console/issuer", nil)
	if !strings.Contains(page, `data-search-scope="id-only"`) {
		t.Error("the tax agency's search form should say it works by DNI/NIE only")
	}
	code, page, _ := atc.do("GET", "/console/issuer?q="+url.QueryEscape("Laia Puig"), nil)
	if code != http.StatusForbidden || strings.Contains(page, `href="/console/issuer/citizens/`) || !strings.Contains(page, "La cerca per nom no està disponible") {
		t.Errorf("the tax agency searching by name: %d", code)
	}
	for _, id := range []string{apptest.Laia, jordi} {
		if code, _, h := atc.do("GET", "/console/issuer?q="+id, nil); code != http.StatusSeeOther || h.Get("Location") != "/console/issuer/citizens/"+id {
			t.Errorf("the tax agency opening %s: %d", id, code)
		}
	}

	// A university: its own graduates by name.
	udg := newBrowser(t, ts.URL)
	consoleLogin(t, udg, "marina.costa", "marina-demo-2026")
	_, page, _ = udg.do("GET", "/console/issuer?q="+url.QueryEscape("Laia Puig"), nil)
	if !strings.Contains(page, `href="/console/issuer/citizens/`+apptest.Laia+`"`) {
		t.Error("the UdG does not find its graduate Laia")
	}
	for _, id := range []string{jordi, youssef} {
		graduate, err := a.Issuer.IssuesFor(ctx, "udg", id)
		if err != nil {
			t.Fatal(err)
		}
		code, _, _ := udg.do("GET", "/console/issuer/citizens/"+id, nil)
		if graduate != (code == http.StatusOK) || (!graduate && code != http.StatusNotFound) {
			t.Errorf("the UdG opening %s (graduate %v): %d", id, graduate, code)
		}
	}
}
