package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/espai/espai/internal/apptest"
)

// consoleLogin signs a demo staff member in to the consoles.
func consoleLogin(t *testing.T, b *browser, login, password string) {
	t.Helper()
	_, page, _ := b.do("GET", "/console/login", nil)
	code, _, h := b.do("POST", "/console/login", url.Values{"csrf": {csrfOf(t, page)}, "login": {login}, "password": {password}})
	if code != http.StatusSeeOther || h.Get("Location") != "/console" {
		t.Fatalf("console login %s: %d", login, code)
	}
}

func TestViaObertaExchange(t *testing.T) {
	ts, _ := serve(t)
	api := ts.URL + "/api/v1/exchange"
	for _, c := range []struct {
		name, token string
		body        any
		want        int
	}{
		{"issuer role", "demo-girona-issuer", map[string]string{"citizen": apptest.Laia, "purpose": "preinscripcio-escolar"}, http.StatusForbidden},
		{"unregistered purpose", "demo-ahc-verifier", map[string]string{"citizen": apptest.Laia, "purpose": "preinscripcio-escolar"}, http.StatusForbidden},
		{"no Espai", "demo-ahc-verifier", map[string]string{"citizen": "00000001R", "purpose": "ajut-lloguer-residencia"}, http.StatusConflict},
		{"bad id", "demo-ahc-verifier", map[string]string{"citizen": "1234", "purpose": "ajut-lloguer-residencia"}, http.StatusBadRequest},
	} {
		if code, body := call(t, "POST", api, c.token, c.body); code != c.want {
			t.Fatalf("%s: %d %s", c.name, code, body)
		}
	}
	code, body := call(t, "POST", api, "demo-ahc-verifier", map[string]string{"citizen": apptest.Laia, "purpose": "ajut-lloguer-residencia"})
	var ans struct {
		Source      string
		Claims      map[string]any
		LedgerIndex uint64
	}
	if err := json.Unmarshal(body, &ans); code != http.StatusOK || err != nil {
		t.Fatalf("exchange: %d %s", code, body)
	}
	if ans.Source != "ajuntament-girona" || ans.Claims["municipality"] != "Girona" || len(ans.Claims) != 4 || ans.Claims["address"] != nil || ans.Claims["nationalId"] != nil {
		t.Fatalf("answer %s", body)
	}
	// The citizen sees it, with its receipt verified.
	b := newBrowser(t, ts.URL)
	b.login(apptest.Laia, apptest.LaiaPassphrase)
	_, page, _ := b.do("GET", "/data", nil)
	if !strings.Contains(page, "Consulta entre administracions") || !strings.Contains(page, "Rebut verificat al registre públic") {
		t.Fatal("the exchange is not in Who used my data with a verified receipt")
	}

	// The console form does the same for a person at a desk.
	staff := newBrowser(t, ts.URL)
	consoleLogin(t, staff, "pere.vila", "pere-demo-2026")
	_, page, _ = staff.do("GET", "/console/verifier/exchange", nil)
	if !strings.Contains(page, `value="preinscripcio-escolar"`) {
		t.Fatal("the form does not offer the administration's purposes")
	}
	csrf := csrfOf(t, page)
	if code, _, _ := staff.do("POST", "/console/verifier/exchange", url.Values{"purpose": {"preinscripcio-escolar"}, "citizen": {apptest.Laia}}); code != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", code)
	}
	code, page, _ = staff.do("POST", "/console/verifier/exchange", url.Values{"csrf": {csrf}, "purpose": {"preinscripcio-escolar"}, "citizen": {apptest.Laia}})
	if code != http.StatusOK || !strings.Contains(page, "data-ledger-index=") || !strings.Contains(page, "Girona") {
		t.Fatalf("console exchange: %d", code)
	}
	code, page, _ = staff.do("POST", "/console/verifier/exchange", url.Values{"csrf": {csrf}, "purpose": {"ajut-lloguer"}, "citizen": {apptest.Laia}})
	if code != http.StatusForbidden || !strings.Contains(page, `role="alert"`) || !strings.Contains(page, "La vostra administració no té registrada aquesta finalitat") {
		t.Fatalf("another administration's purpose: %d (the refusal in Catalan)", code)
	}
	// The answer names the data, not the claims' keys.
	code, page, _ = staff.do("POST", "/console/verifier/exchange", url.Values{"csrf": {csrf}, "purpose": {"preinscripcio-escolar"}, "citizen": {apptest.Laia}})
	if code != http.StatusOK || !strings.Contains(page, "<dt>Municipi</dt>") || strings.Contains(page, "<dt>municipality</dt>") {
		t.Fatalf("answer labels: %d", code)
	}
}
