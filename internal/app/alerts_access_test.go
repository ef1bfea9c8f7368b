package app

import (
	"context"
	"testing"

	"github.com/espai/espai/ledger"
)

// TestAlertAccessWithoutConsentOrBasis: the wallet checks each data access
// it holds a receipt for against the citizen's consents and the trust list's
// registrations. A Via Oberta exchange under the registered purpose and
// basis raises nothing; an access under a purpose the administration has not
// registered, under another legal basis, or under consent without one on the
// ledger raises an alert naming the administration and purpose.
func TestAlertAccessWithoutConsentOrBasis(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	if _, err := a.Exchange(ctx, ExchangeQuery{Requester: "ahc", Purpose: "ajut-lloguer-residencia", Citizen: laia}); err != nil {
		t.Fatal(err)
	}
	s := unlock(t, a, laia, "laia-demo-2026")
	as, err := a.Alerts(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if al, ok := kinds(as)[AlertAccessNoConsent]; ok {
		t.Fatalf("a registered exchange raised %+v", al)
	}
	s.Lock()
	uncovered := []ledger.Entry{
		{Kind: ledger.KindDataExchange, Administration: "ahc", Source: "ajuntament-girona", Purpose: "control-intern", LegalBasis: "Llei 18/2007; RGPD art. 6.1.e", Categories: []string{"address"}},
		{Kind: ledger.KindDataExchange, Administration: "ahc", Source: "ajuntament-girona", Purpose: "ajut-lloguer-residencia", LegalBasis: "Interès legítim", Categories: []string{"address"}},
		{Kind: ledger.KindDataExchange, Administration: "ahc", Source: "ajuntament-girona", Purpose: "ajut-lloguer-residencia", LegalBasis: "Consentiment (RGPD art. 6.1.a)", Categories: []string{"address"}},
	}
	for i, e := range uncovered {
		if _, err := a.record(ctx, laia, e, Document{Claims: map[string]any{"address": "Carrer de la Força 12"}}); err != nil {
			t.Fatal(err)
		}
		s := unlock(t, a, laia, "laia-demo-2026")
		as, err := a.Alerts(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, al := range as {
			if al.Kind == AlertAccessNoConsent {
				n++
				if al.Params[0] != "ahc" || !al.Urgent || al.Link != "/data" {
					t.Errorf("alert %+v", al)
				}
			}
		}
		if n != i+1 {
			t.Fatalf("after %d uncovered accesses, %d alerts: %+v", i+1, n, as)
		}
		s.Lock()
	}
}
