package web

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/espai/espai/internal/apptest"
)

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
