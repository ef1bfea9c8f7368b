package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/wallet"
)

// Demo staff of the verifier console (internal/app/demo.go).
const (
	cvPere, cvPerePassword   = "pere.vila", "pere-demo-2026"    // Ajuntament de Girona, verifier
	cvJaume, cvJaumePassword = "jaume.serra", "jaume-demo-2026" // Agència de l'Habitatge de Catalunya, verifier
)

// cvSignIn signs a staff member in through the console's login form.
func cvSignIn(t *testing.T, b *browser, login, password string) {
	t.Helper()
	_, page, _ := b.do("GET", "/console/login", nil)
	code, _, h := b.do("POST", "/console/login", url.Values{"csrf": {csrfOf(t, page)}, "login": {login}, "password": {password}})
	if code != http.StatusSeeOther || h.Get("Location") != "/console" {
		t.Fatalf("console login %s: %d %s", login, code, h.Get("Location"))
	}
}

// cvCSRF is the staff session's CSRF token, read from a console page.
func cvCSRF(t *testing.T, b *browser) string {
	t.Helper()
	_, page, _ := b.do("GET", "/console/verifier", nil)
	return csrfOf(t, page)
}

// cvLaia unlocks Laia's wallet in process, locked again when the test ends.
func cvLaia(t *testing.T, a *app.App) *wallet.Session {
	t.Helper()
	ws, err := a.Wallet.Unlock(context.Background(), apptest.Laia, apptest.LaiaPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ws.Lock)
	return ws
}

// cvLaiaAnswers has Laia's wallet answer request id with her first
// matching credential, as her phone would after reading the QR code.
func cvLaiaAnswers(t *testing.T, a *app.App, ws *wallet.Session, id string) {
	t.Helper()
	ctx := context.Background()
	r, err := a.Verifier.Request(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ir, err := a.OpenRequest(ctx, ws, r.QR(a.PublicBase()))
	if err != nil {
		t.Fatal(err)
	}
	if len(ir.Candidates) == 0 {
		t.Fatal("Laia has no credential for the request")
	}
	if _, err := a.Approve(ctx, ws, ir, ir.Candidates[0].ID); err != nil {
		t.Fatal(err)
	}
}

// cvLaiaQR is a fresh QR presentation of Laia's census credential (SD-JWT)
// showing her name and municipality.
func cvLaiaQR(t *testing.T, a *app.App, ws *wallet.Session) *app.QRPresentation {
	t.Helper()
	ctx := context.Background()
	creds, _, err := ws.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range creds {
		if c.Type == credential.Census && c.Format == credential.SDJWT {
			qr, err := a.PresentQR(ctx, ws, c.ID, []string{"givenName", "familyName", "municipality"})
			if err != nil {
				t.Fatal(err)
			}
			if qr.Handoff {
				t.Fatal("the census QR fell back to a one-time link")
			}
			return qr
		}
	}
	t.Fatal("Laia has no SD-JWT census credential")
	return nil
}

var cvRequestPath = regexp.MustCompile(`^/console/verifier/requests/([A-Za-z0-9_-]+)$`)

// cvCreate creates a request for purpose from the console and returns its id.
func cvCreate(t *testing.T, b *browser, purpose, format string) string {
	t.Helper()
	code, _, h := b.do("POST", "/console/verifier/requests", url.Values{"csrf": {cvCSRF(t, b)}, "purpose": {purpose}, "format": {format}})
	m := cvRequestPath.FindStringSubmatch(h.Get("Location"))
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("create request %s: %d %q", purpose, code, h.Get("Location"))
	}
	return m[1]
}

func cvState(t *testing.T, b *browser, id string) (int, cvRequestState) {
	t.Helper()
	code, body, h := b.do("GET", "/console/verifier/requests/"+id+"/state", nil)
	var st cvRequestState
	if code == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &st); err != nil || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("state: %v %q %q", err, h.Get("Content-Type"), body)
		}
	}
	return code, st
}

// cvUpload posts a picture to the scanner as a multipart form.
func cvUpload(t *testing.T, b *browser, csrf, name string, picture []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("image", name)
	_, _ = fw.Write(picture)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.base+"/console/verifier/scan", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

var cvScriptTag = regexp.MustCompile(`<script[^>]*>`)

// cvNoInlineScript fails when a page has a script without src: the CSP
// would block it.
func cvNoInlineScript(t *testing.T, name, page string) {
	t.Helper()
	for _, tag := range cvScriptTag.FindAllString(page, -1) {
		if !strings.Contains(tag, ` src="/static/`) {
			t.Errorf("%s: inline or foreign script %s", name, tag)
		}
	}
}

// TestConsoleVerifierRequest: Pere (Ajuntament de Girona) opens a request
// from one of his administration's templates; the page shows the QR code
// and the link; Laia answers; the state endpoint and the page show the
// accepted verdict with every check and the disclosed claims. Jaume (AHC)
// cannot see Pere's request nor ask under Girona's purposes.
func TestConsoleVerifierRequest(t *testing.T) {
	ts, s := serve(t)
	a := s.cfg.App
	pere := newBrowser(t, ts.URL)
	cvSignIn(t, pere, cvPere, cvPerePassword)

	code, home, _ := pere.do("GET", "/console/verifier", nil)
	if code != http.StatusOK || !strings.Contains(home, `data-purpose="preinscripcio-escolar"`) ||
		!strings.Contains(home, "Preinscripció escolar: proximitat del domicili") || !strings.Contains(home, "Llei 12/2009") ||
		!strings.Contains(home, "Municipi, Adreça, Codi postal") || !strings.Contains(home, "365 dies") {
		t.Fatalf("templates: %d\n%s", code, home)
	}
	if strings.Contains(home, `data-purpose="ajut-lloguer"`) {
		t.Fatal("Girona's templates show another administration's purpose")
	}
	cvNoInlineScript(t, "home", home)

	// State changes need the CSRF token.
	if code, _, _ := pere.do("POST", "/console/verifier/requests", url.Values{"purpose": {"preinscripcio-escolar"}}); code != http.StatusForbidden {
		t.Fatalf("create without csrf: %d", code)
	}
	// A purpose Girona has not registered, and an unknown format, are refused.
	if code, page, _ := pere.do("POST", "/console/verifier/requests", url.Values{"csrf": {cvCSRF(t, pere)}, "purpose": {"ajut-lloguer"}}); code != http.StatusForbidden || !strings.Contains(page, "no té registrada") {
		t.Fatalf("unregistered purpose: %d", code)
	}
	if code, _, _ := pere.do("POST", "/console/verifier/requests", url.Values{"csrf": {cvCSRF(t, pere)}, "purpose": {"preinscripcio-escolar"}, "format": {"pdf"}}); code != http.StatusBadRequest {
		t.Fatalf("unknown format: %d", code)
	}

	id := cvCreate(t, pere, "preinscripcio-escolar", "sd-jwt")
	code, page, _ := pere.do("GET", "/console/verifier/requests/"+id, nil)
	if code != http.StatusOK || !strings.Contains(page, "<svg") || !strings.Contains(page, `aria-label="Codi QR de la sol·licitud de dades"`) ||
		!strings.Contains(page, ">openid4vp://?client_id=decentralized_identifier") ||
		!strings.Contains(page, `data-state-url="/console/verifier/requests/`+id+`/state"`) || !strings.Contains(page, `<noscript>`) ||
		!strings.Contains(page, `<script src="/static/verifier.js" defer>`) || !strings.Contains(page, "Llei 12/2009") ||
		!strings.Contains(page, "Municipi, Adreça, Codi postal") {
		t.Fatalf("pending request page: %d\n%s", code, page)
	}
	cvNoInlineScript(t, "request", page)
	if code, st := cvState(t, pere, id); code != http.StatusOK || st.State != "pending" || st.Answered {
		t.Fatalf("state before the answer: %d %+v", code, st)
	}

	// Another administration's verifier: not found, not listed.
	jaume := newBrowser(t, ts.URL)
	cvSignIn(t, jaume, cvJaume, cvJaumePassword)
	if code, _, _ := jaume.do("GET", "/console/verifier/requests/"+id, nil); code != http.StatusNotFound {
		t.Fatalf("Jaume opens Pere's request: %d", code)
	}
	if code, _ := cvState(t, jaume, id); code != http.StatusNotFound {
		t.Fatalf("Jaume polls Pere's request: %d", code)
	}
	if _, list, _ := jaume.do("GET", "/console/verifier/requests", nil); strings.Contains(list, id) {
		t.Fatal("Pere's request is in Jaume's list")
	}
	if code, _, _ := jaume.do("POST", "/console/verifier/requests", url.Values{"csrf": {cvCSRF(t, jaume)}, "purpose": {"preinscripcio-escolar"}}); code != http.StatusForbidden {
		t.Fatalf("Jaume asks under Girona's purpose: %d", code)
	}
	if _, jhome, _ := jaume.do("GET", "/console/verifier", nil); !strings.Contains(jhome, `data-purpose="ajut-lloguer"`) || strings.Contains(jhome, "preinscripcio-escolar") {
		t.Fatal("Jaume's templates are not AHC's")
	}
	// Citizens and anonymous visitors get no console.
	anon := newBrowser(t, ts.URL)
	if code, _, h := anon.do("GET", "/console/verifier/requests/"+id+"/state", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Fatalf("anonymous state: %d", code)
	}

	cvLaiaAnswers(t, a, cvLaia(t, a), id)
	if code, st := cvState(t, pere, id); code != http.StatusOK || st.State != "accepted" || st.Outcome != "accepted" || !st.Answered {
		t.Fatalf("state after the answer: %d %+v", code, st)
	}
	_, page, _ = pere.do("GET", "/console/verifier/requests/"+id, nil)
	if !strings.Contains(page, `data-outcome="accepted"`) || strings.Contains(page, `data-ok="false"`) || strings.Contains(page, "<svg") ||
		strings.Contains(page, "data-state-url") || strings.Contains(page, "verifier.js") {
		t.Fatalf("answered request page:\n%s", page)
	}
	for _, check := range []string{verdict.Signature, verdict.IssuerTrusted, verdict.Status, verdict.HolderBinding, verdict.Audience, verdict.Nonce, verdict.RequestedClaim} {
		if !strings.Contains(page, `data-check="`+check+`" data-ok="true"`) {
			t.Errorf("check %s is not shown passed", check)
		}
	}
	if !strings.Contains(page, `data-claim="municipality">Municipi</dt><dd>Girona</dd>`) || !strings.Contains(page, `data-claim="postalCode"`) || strings.Contains(page, `data-claim="givenName"`) {
		t.Fatalf("disclosed claims:\n%s", page)
	}
	if !strings.Contains(page, "ha signat aquestes dades i ningú no les ha modificades") {
		t.Fatal("checks are not explained in plain words")
	}
	if _, list, _ := pere.do("GET", "/console/verifier/requests", nil); !strings.Contains(list, `data-request="`+id+`" data-state="accepted"`) {
		t.Fatalf("Pere's list:\n%s", list)
	}
	// The same page in English.
	_, en, _ := pere.do("GET", "/console/verifier/requests/"+id+"?lang=en", nil)
	if !strings.Contains(en, "School pre-enrolment: proximity of the home") || !strings.Contains(en, ">Accepted<") || !strings.Contains(en, "Municipality") {
		t.Fatalf("English page:\n%s", en)
	}
	pere.do("GET", "/console/verifier?lang=ca", nil)

	// A JSON-LD request is created and says so; unknown ids are not found.
	ld := cvCreate(t, pere, "serveis-socials", "jsonld")
	if _, page, _ := pere.do("GET", "/console/verifier/requests/"+ld, nil); !strings.Contains(page, "JSON-LD") || !strings.Contains(page, "Unitat de convivència") {
		t.Fatal("JSON-LD request page")
	}
	if code, _, _ := pere.do("GET", "/console/verifier/requests/nope", nil); code != http.StatusNotFound {
		t.Fatalf("unknown request: %d", code)
	}
	// Newest first.
	if _, list, _ := pere.do("GET", "/console/verifier/requests", nil); strings.Index(list, ld) > strings.Index(list, id) || !strings.Contains(list, ld) {
		t.Fatal("recent requests are not newest first")
	}

	// Laia declines: the page says so, with her reason.
	declined := cvCreate(t, pere, "preinscripcio-escolar", "")
	ctx := context.Background()
	r, err := a.Verifier.Request(ctx, declined)
	if err != nil {
		t.Fatal(err)
	}
	ws := cvLaia(t, a)
	ir, err := a.OpenRequest(ctx, ws, r.QR(a.PublicBase()))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Decline(ctx, ws, ir, "ja ho porto en paper"); err != nil {
		t.Fatal(err)
	}
	if code, st := cvState(t, pere, declined); code != http.StatusOK || st.State != "refused" || st.Outcome != "declined" || !st.Answered {
		t.Fatalf("declined state: %d %+v", code, st)
	}
	if _, page, _ := pere.do("GET", "/console/verifier/requests/"+declined, nil); !strings.Contains(page, `data-outcome="declined"`) ||
		!strings.Contains(page, "ja ho porto en paper") || strings.Contains(page, `data-claim=`) {
		t.Fatalf("declined request page:\n%s", page)
	}
}

// TestConsoleVerifierScan: Pere verifies Laia's QR code by pasting its
// content (accepted, then refused as a replay), then from an uploaded
// picture of a fresh one; nonsense, nothing and a request without the CSRF
// token are refused.
func TestConsoleVerifierScan(t *testing.T) {
	ts, s := serve(t)
	a := s.cfg.App
	ws := cvLaia(t, a)
	pere := newBrowser(t, ts.URL)
	cvSignIn(t, pere, cvPere, cvPerePassword)

	code, page, _ := pere.do("GET", "/console/verifier/scan", nil)
	if code != http.StatusOK || !strings.Contains(page, `<script src="/static/vendor/jsQR.js" defer>`) || !strings.Contains(page, `<script src="/static/scanner.js" defer>`) ||
		!strings.Contains(page, `id="payload"`) || !strings.Contains(page, `data-prefixes="ESPAI1: http://127.0.0.1:8080/p/"`) || !strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, "<noscript>") {
		t.Fatalf("scanner page: %d\n%s", code, page)
	}
	cvNoInlineScript(t, "scan", page)
	csrf := csrfOf(t, page)
	for _, asset := range []string{"/static/vendor/jsQR.js", "/static/scanner.js", "/static/verifier.js", "/static/console_verifier.css"} {
		if code, body, _ := pere.do("GET", asset, nil); code != http.StatusOK || len(body) < 100 {
			t.Fatalf("%s: %d", asset, code)
		}
	}

	payload := cvLaiaQR(t, a, ws).Code.Content
	code, page, _ = pere.do("POST", "/console/verifier/scan", url.Values{"csrf": {csrf}, "payload": {payload}})
	if code != http.StatusOK || !strings.Contains(page, `data-outcome="accepted"`) || strings.Contains(page, `data-ok="false"`) ||
		!strings.Contains(page, `data-claim="municipality">Municipi</dt><dd>Girona</dd>`) || !strings.Contains(page, `data-claim="givenName"`) ||
		!strings.Contains(page, "Ajuntament de Girona") {
		t.Fatalf("paste: %d\n%s", code, page)
	}
	// The same code again: refused, and the page says why.
	code, page, _ = pere.do("POST", "/console/verifier/scan", url.Values{"csrf": {csrf}, "payload": {payload}})
	if code != http.StatusOK || !strings.Contains(page, `data-outcome="refused"`) || !strings.Contains(page, `data-check="nonce" data-ok="false"`) ||
		!strings.Contains(page, "cada codi serveix una sola vegada") || strings.Contains(page, `data-claim=`) {
		t.Fatalf("replay: %d\n%s", code, page)
	}

	// A picture of a fresh code.
	png, err := cvLaiaQR(t, a, ws).Code.PNG(4)
	if err != nil {
		t.Fatal(err)
	}
	code, page = cvUpload(t, pere, csrf, "laia.png", png)
	if code != http.StatusOK || !strings.Contains(page, `data-outcome="accepted"`) || !strings.Contains(page, `data-claim="municipality"`) {
		t.Fatalf("upload: %d\n%s", code, page)
	}
	if code, page = cvUpload(t, pere, csrf, "notes.png", []byte("not a picture")); code != http.StatusUnprocessableEntity || !strings.Contains(page, "cap codi QR llegible") {
		t.Fatalf("upload of a non-picture: %d", code)
	}

	code, page, _ = pere.do("POST", "/console/verifier/scan", url.Values{"csrf": {csrf}, "payload": {"hello"}})
	if code != http.StatusOK || !strings.Contains(page, `data-outcome="refused"`) || !strings.Contains(page, `data-check="parse" data-ok="false"`) {
		t.Fatalf("nonsense: %d", code)
	}
	if code, _, _ := pere.do("POST", "/console/verifier/scan", url.Values{"csrf": {csrf}, "payload": {"  "}}); code != http.StatusBadRequest {
		t.Fatalf("nothing: %d", code)
	}
	if code, _, _ := pere.do("POST", "/console/verifier/scan", url.Values{"payload": {payload}}); code != http.StatusForbidden {
		t.Fatalf("scan without csrf: %d", code)
	}
	if code, _, _ := pere.do("POST", "/console/verifier/scan", url.Values{"csrf": {"forged"}, "payload": {payload}}); code != http.StatusForbidden {
		t.Fatalf("scan with a wrong csrf: %d", code)
	}
	// A citizen's session opens no console.
	laia := newBrowser(t, ts.URL)
	if code, _ := laia.login(apptest.Laia, apptest.LaiaPassphrase); code != http.StatusSeeOther {
		t.Fatalf("Laia's login: %d", code)
	}
	if code, _, h := laia.do("GET", "/console/verifier/scan", nil); code != http.StatusSeeOther || h.Get("Location") != "/console/login" {
		t.Fatalf("citizen on the scanner: %d", code)
	}
}

// TestConsoleVerifierMessages: every verifier console string exists in
// every language, and every check the verifier reports is explained.
func TestConsoleVerifierMessages(t *testing.T) {
	for _, l := range languages {
		for key := range messages["ca"] {
			if strings.HasPrefix(key, "cv.") && messages[l][key] == "" {
				t.Errorf("%s: missing %s", l, key)
			}
		}
		for key := range messages[l] {
			if strings.HasPrefix(key, "cv.") && messages["ca"][key] == "" {
				t.Errorf("ca: missing %s (in %s)", key, l)
			}
		}
		for _, check := range []string{verdict.Parse, verdict.Signature, verdict.IssuerKey, verdict.IssuerTrusted, verdict.ProofPurpose,
			verdict.Validity, verdict.Status, verdict.Disclosures, verdict.HolderBinding, verdict.Audience, verdict.Nonce,
			verdict.Freshness, verdict.SDHash, verdict.RequestedClaim} {
			for _, suffix := range []string{"", ".help", ".fail"} {
				if messages[l]["cv.check."+check+suffix] == "" {
					t.Errorf("%s: check %s has no cv.check.%s%s", l, check, check, suffix)
				}
			}
		}
	}
	for _, a := range app.StandardAdministrations() {
		for _, p := range a.Purposes {
			if messages["ca"]["cv.purpose."+p.ID] != p.Title {
				t.Errorf("purpose %s: registered %q, ca message %q", p.ID, p.Title, messages["ca"]["cv.purpose."+p.ID])
			}
			for _, c := range p.Claims {
				if messages["ca"]["cv.claim."+c] == "" {
					t.Errorf("purpose %s asks for %s, which has no label", p.ID, c)
				}
			}
		}
	}
}
