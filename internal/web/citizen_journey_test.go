package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/espai/espai/internal/apptest"
)

// TestPhoneJourney: a verifier request answered from the citizen's space,
// seen in "Who used my data" with its receipt verified, the consent
// withdrawn; and a credential shown as a QR code.
func TestPhoneJourney(t *testing.T) {
	ts, _ := serve(t)
	phone := newBrowser(t, ts.URL)
	if code, _ := phone.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	code, body := call(t, "POST", ts.URL+"/api/v1/verifier/requests", "demo-girona-verifier", map[string]any{"purpose": "preinscripcio-escolar"})
	if code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	var req struct {
		ID string `json:"id"`
		QR string `json:"qr_uri"`
	}
	_ = json.Unmarshal(body, &req)

	code, page, _ := phone.do("GET", "/requests?uri="+url.QueryEscape(req.QR), nil)
	if code != 200 || !strings.Contains(page, "Ajuntament de Girona") || !strings.Contains(page, "Llei 12/2009") || !strings.Contains(page, "municipality, address, postalCode") {
		t.Fatalf("request page: %d", code)
	}
	cred := regexp.MustCompile(`name="credential" value="([^"]+)"`).FindStringSubmatch(page)
	if cred == nil {
		t.Fatal("no credential offered")
	}
	code, done, _ := phone.do("POST", "/requests/approve", url.Values{"csrf": {csrfOf(t, page)}, "uri": {req.QR}, "credential": {cred[1]}})
	if code != 200 || !strings.Contains(done, `data-outcome="accepted"`) {
		t.Fatalf("approve: %d", code)
	}
	if code, st := call(t, "GET", ts.URL+"/api/v1/verifier/requests/"+req.ID, "demo-girona-verifier", nil); code != 200 || !strings.Contains(string(st), `"state":"accepted"`) {
		t.Fatalf("staff view: %d", code)
	}
	_, data, _ := phone.do("GET", "/data", nil)
	if !strings.Contains(data, "Dades verificades") || !strings.Contains(data, "Consentiment donat") || strings.Contains(data, `data-verified="false"`) {
		t.Fatal("the exchange is not in Who used my data, verified")
	}
	_, consents, _ := phone.do("GET", "/consents", nil)
	if !strings.Contains(consents, "Ajuntament de Girona") || !strings.Contains(consents, "preinscripcio-escolar") {
		t.Fatal("consent not listed")
	}
	if code, _, _ := phone.do("POST", "/consents/withdraw", url.Values{"csrf": {csrfOf(t, consents)}, "admin": {"ajuntament-girona"}, "purpose": {"preinscripcio-escolar"}}); code != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", code)
	}
	_, consents, _ = phone.do("GET", "/consents", nil)
	if strings.Contains(consents, "preinscripcio-escolar") {
		t.Fatal("the withdrawn consent is still listed")
	}
	if _, data, _ = phone.do("GET", "/data", nil); !strings.Contains(data, "Consentiment retirat") {
		t.Fatal("the withdrawal is not in Who used my data")
	}
	// A forged link is refused on the page, with the reason.
	if code, _, _ := phone.do("GET", "/requests?uri="+url.QueryEscape("openid4vp://?client_id=x&request_uri=http://127.0.0.1:1/r"), nil); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad request link: %d", code)
	}

	// Show the census credential as a QR code with two claims.
	_, creds, _ := phone.do("GET", "/credentials", nil)
	ids := regexp.MustCompile(`href="/credentials/([0-9a-f]+)"><strong>Volant`).FindStringSubmatch(creds)
	if ids == nil {
		t.Fatal("no census credential link")
	}
	_, form, _ := phone.do("GET", "/credentials/"+ids[1]+"/qr", nil)
	code, qr, _ := phone.do("POST", "/credentials/"+ids[1]+"/qr", url.Values{"csrf": {csrfOf(t, form)}, "claim": {"givenName", "municipality"}})
	if code != 200 || !strings.Contains(qr, "<svg") || !strings.Contains(qr, "Nom, Municipi") {
		t.Fatalf("qr page: %d", code)
	}
}
