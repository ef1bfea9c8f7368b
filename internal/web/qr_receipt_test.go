package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/verifier"
)

// TestScanReceiptInWhoUsedMyData: a QR code the citizen showed, scanned by an
// administration (then replayed by another), is in "Who used my data" twice,
// each receipt verified against the ledger.
func TestScanReceiptInWhoUsedMyData(t *testing.T) {
	ts, srv := serve(t)
	a := srv.cfg.App
	phone := newBrowser(t, ts.URL)
	if code, _ := phone.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	_, before, _ := phone.do("GET", "/data", nil)
	if strings.Contains(before, verifier.QRPurpose) {
		t.Fatal("a QR scan listed before any QR was shown")
	}
	qr := laiaTaxQR(t, a)
	scan := ts.URL + "/api/v1/verifier/scan"
	if code, body := call(t, "POST", scan, "demo-ahc-verifier", map[string]any{"payload": qr.Code.Content}); code != 200 || !strings.Contains(string(body), `"valid":true`) {
		t.Fatalf("scan: %d %s", code, body)
	}
	if code, body := call(t, "POST", scan, "demo-girona-verifier", map[string]any{"payload": qr.Code.Content}); code != 200 || !strings.Contains(string(body), `"valid":false`) {
		t.Fatalf("replayed scan: %d %s", code, body)
	}
	_, data, _ := phone.do("GET", "/data", nil)
	// Both scans, labelled for people: the purpose, the data by name, the
	// refused one said to be refused.
	if n := strings.Count(data, ": Codi QR que vas mostrar</p>"); n != 2 {
		t.Fatalf("%d QR scans in Who used my data, want 2", n)
	}
	if !strings.Contains(data, "<p>Al corrent de les obligacions tributàries, Vàlid fins a</p>") || !strings.Contains(data, "la presentació no s&#39;ha pogut verificar") ||
		strings.Count(data, "Verificació rebutjada") != 1 {
		t.Fatal("the QR scans' data and outcomes are not shown")
	}
	if !strings.Contains(data, verifier.QRLegalBasis) || !strings.Contains(data, "Ajuntament de Girona") || strings.Contains(data, `data-verified="false"`) {
		t.Fatal("the QR scans are not in Who used my data, verified")
	}
}
