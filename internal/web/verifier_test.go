package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/verifier"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

func postForm(t *testing.T, u string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, []byte(b.String())
}

func TestVerifierFlowOverHTTP(t *testing.T) {
	ctx := context.Background()
	ts, srv := serve(t)
	a := srv.cfg.App
	api := ts.URL + "/api/v1/verifier/requests"

	// Staff of the Ajuntament de Girona open a school-admission request.
	code, body := call(t, "POST", api, "demo-girona-verifier", map[string]any{"purpose": "preinscripcio-escolar"})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var req struct {
		ID     string                 `json:"id"`
		QR     string                 `json:"qr_uri"`
		Object verifier.RequestObject `json:"object"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	// Beyond the registration, or by an issuer: refused before any QR exists.
	if code, _ := call(t, "POST", api, "demo-girona-verifier", map[string]any{"purpose": "preinscripcio-escolar", "claims": []string{"birthDate"}}); code != http.StatusForbidden {
		t.Fatalf("beyond registration: %d", code)
	}
	if code, _ := call(t, "POST", api, "demo-girona-issuer", map[string]any{"purpose": "preinscripcio-escolar"}); code != http.StatusForbidden {
		t.Fatalf("issuer role: %d", code)
	}
	if code, body := call(t, "GET", api+"/"+req.ID+"/qr.svg", "demo-girona-verifier", nil); code != 200 || !strings.HasPrefix(string(body), "<svg") {
		t.Fatalf("qr: %d", code)
	}
	// The wallet fetches the signed request object over HTTP.
	_, requestURI, err := verifier.ParseQRURI(req.QR)
	if err != nil {
		t.Fatal(err)
	}
	requestURI = strings.Replace(requestURI, a.PublicBase(), ts.URL, 1)
	code, obj := call(t, "GET", requestURI, "", nil)
	if code != 200 {
		t.Fatalf("request object: %d", code)
	}
	if h, _, err := sdjwt.ParseJWT(string(obj)); err != nil || h.Typ != verifier.RequestTyp {
		t.Fatalf("request object header %+v %v", h, err)
	}

	// Laia's phone answers with exactly the three requested claims.
	s, err := a.Wallet.Unlock(ctx, apptest.Laia, apptest.LaiaPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Lock()
	creds, _, _ := s.Credentials(ctx)
	var raw string
	for _, c := range creds {
		if c.Type == credential.Census {
			raw = string(c.Raw)
		}
	}
	key, _ := s.HolderJWK(ctx)
	pres, err := sdjwt.Present(raw, req.Object.ClaimNames(), sdjwt.Signer{Key: key, Alg: jwa.EdDSA}, req.Object.ClientID, req.Object.Nonce, a.Issuer.Now())
	if err != nil {
		t.Fatal(err)
	}
	respURI := ts.URL + "/verifier/requests/" + req.ID + "/response"
	if code, _ := postForm(t, respURI, url.Values{"state": {"wrong"}, "vp_token": {pres}}); code != http.StatusBadRequest {
		t.Fatalf("wrong state: %d", code)
	}
	code, body = postForm(t, respURI, url.Values{"state": {req.Object.State}, "vp_token": {pres}})
	if code != 200 || !strings.Contains(string(body), `"state":"accepted"`) || !strings.Contains(string(body), `"receipt"`) {
		t.Fatalf("response: %d %s", code, body)
	}
	if code, _ := postForm(t, respURI, url.Values{"state": {req.Object.State}, "vp_token": {pres}}); code != http.StatusConflict {
		t.Fatalf("second response: %d", code)
	}
	// The staff screen shows the verdict; another administration sees nothing.
	code, body = call(t, "GET", api+"/"+req.ID, "demo-girona-verifier", nil)
	if code != 200 || !strings.Contains(string(body), `"state":"accepted"`) || !strings.Contains(string(body), `"municipality":"Girona"`) {
		t.Fatalf("status: %d %s", code, body)
	}
	if strings.Contains(string(body), `"signed"`) {
		t.Fatal("the signed object leaks into the staff view")
	}
	if code, _ := call(t, "GET", api+"/"+req.ID, "demo-ahc-verifier", nil); code != http.StatusNotFound {
		t.Fatalf("other administration: %d", code)
	}
	// The object is no longer served.
	if code, _ := call(t, "GET", requestURI, "", nil); code != http.StatusConflict {
		t.Fatalf("object after answer: %d", code)
	}
}

// laiaTaxQR is the QR code Laia's wallet makes to show that she is up to
// date with her taxes (two claims of her tax certificate).
func laiaTaxQR(t *testing.T, a *app.App) *app.QRPresentation {
	t.Helper()
	ctx := context.Background()
	s, err := a.Wallet.Unlock(ctx, apptest.Laia, apptest.LaiaPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Lock()
	creds, _, err := s.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range creds {
		if c.Type == credential.Tax {
			qr, err := a.PresentQR(ctx, s, c.ID, []string{"upToDate", "validUntil"})
			if err != nil {
				t.Fatal(err)
			}
			return qr
		}
	}
	t.Fatal("Laia has no tax certificate")
	return nil
}

func TestScanOverHTTP(t *testing.T) {
	ts, srv := serve(t)
	a := srv.cfg.App
	qr := laiaTaxQR(t, a)
	scan := ts.URL + "/api/v1/verifier/scan"
	code, body := call(t, "POST", scan, "demo-ahc-verifier", map[string]any{"payload": qr.Code.Content})
	if code != 200 || !strings.Contains(string(body), `"valid":true`) || !strings.Contains(string(body), `"upToDate":true`) {
		t.Fatalf("scan: %d %s", code, body)
	}
	code, body = call(t, "POST", scan, "demo-ahc-verifier", map[string]any{"payload": qr.Code.Content})
	if code != 200 || !strings.Contains(string(body), `"valid":false`) || !strings.Contains(string(body), "nonce") {
		t.Fatalf("replayed scan: %d %s", code, body)
	}
	if code, _ := call(t, "POST", scan, "", map[string]any{"payload": qr.Code.Content}); code != http.StatusUnauthorized {
		t.Fatalf("anonymous scan: %d", code)
	}
}
