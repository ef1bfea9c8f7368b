package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/verifier"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestVerifierRequestApprovedOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	o := testOptions(t)
	o.Now = func() time.Time { return now }
	a, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	r, err := a.Verifier.CreateRequest(ctx, "ajuntament-girona", "preinscripcio-escolar", verifier.FormatSDJWT, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := unlock(t, a, laia, "laia-demo-2026")
	ir, err := a.OpenRequest(ctx, s, r.QR(DefaultPublicBase))
	if err != nil {
		t.Fatal(err)
	}
	if ir.VerifierName() != "Ajuntament de Girona" || ir.Purpose.LegalBasis == "" || len(ir.Candidates) != 1 {
		t.Fatalf("incoming request %+v", ir)
	}
	before := a.Ledger.Latest().Size
	out, err := a.Approve(ctx, s, ir, ir.Candidates[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if out.State != verifier.StateAccepted || out.Receipt == nil {
		t.Fatalf("outcome %+v", out)
	}
	got, err := a.Verifier.Request(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != verifier.StateAccepted || got.Verdict.Claims["municipality"] != "Girona" || got.Verdict.Claims["givenName"] != nil {
		t.Fatalf("stored request %+v", got.Verdict)
	}
	// Two entries: the citizen's consent and the verifier's verification,
	// under the same pseudonym towards the Ajuntament.
	if after := a.Ledger.Latest().Size; after != before+2 {
		t.Fatalf("ledger grew by %d", after-before)
	}
	entries, err := a.Ledger.Entries(ctx, before, before+2)
	if err != nil {
		t.Fatal(err)
	}
	e0, err := ledger.ParseEntry(entries[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	e1, err := ledger.ParseEntry(entries[1].Data)
	if err != nil {
		t.Fatal(err)
	}
	if e0.Kind != ledger.KindConsentGiven || e1.Kind != ledger.KindPresentationVerified ||
		e0.Pseudonym != e1.Pseudonym || e1.Outcome != ledger.OutcomeAccepted || e1.Administration != "ajuntament-girona" {
		t.Fatalf("entries %+v %+v", e0, e1)
	}
	// The wallet holds both receipts and they verify.
	rs, _, err := s.Receipts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, rc := range rs {
		var b ReceiptBundle
		if err := json.Unmarshal(rc.Raw, &b); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Verify(a.Ledger.VerifierKey()); err != nil {
			t.Fatalf("%s receipt: %v", rc.Kind, err)
		}
		kinds[rc.Kind] = true
	}
	if !kinds[ledger.KindConsentGiven.String()] || !kinds[ledger.KindPresentationVerified.String()] {
		t.Fatalf("receipts %v", kinds)
	}
	// The request is answered: the QR cannot be used again.
	if _, err := a.OpenRequest(ctx, s, r.QR(DefaultPublicBase)); !errors.Is(err, verifier.ErrAnswered) {
		t.Fatalf("reopen: %v", err)
	}
}

func TestVerifierRequestDeclinedAndJSONLD(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	s := unlock(t, a, laia, "laia-demo-2026")
	r, err := a.Verifier.CreateRequest(ctx, "ahc", "ajut-lloguer", verifier.FormatSDJWT, nil)
	if err != nil {
		t.Fatal(err)
	}
	ir, err := a.OpenRequest(ctx, s, r.QR(DefaultPublicBase))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Decline(ctx, s, ir, "no vull compartir-ho"); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Verifier.Request(ctx, r.ID); got.State != verifier.StateRefused {
		t.Fatalf("declined request state %s", got.State)
	}

	// A JSON-LD census credential answers an ldp_vc request (shown whole).
	if _, err := a.IssueAndDeliver(ctx, issuer.Request{Type: credential.Census, Format: credential.JSONLD, Citizen: laia}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenInbox(ctx); err != nil {
		t.Fatal(err)
	}
	r, err = a.Verifier.CreateRequest(ctx, "ajuntament-girona", "preinscripcio-escolar", verifier.FormatLDPVC, nil)
	if err != nil {
		t.Fatal(err)
	}
	ir, err = a.OpenRequest(ctx, s, r.QR(DefaultPublicBase))
	if err != nil {
		t.Fatal(err)
	}
	if len(ir.Candidates) != 1 || ir.Candidates[0].Format != credential.JSONLD {
		t.Fatalf("candidates %+v", ir.Candidates)
	}
	out, err := a.Approve(ctx, s, ir, ir.Candidates[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if out.State != verifier.StateAccepted {
		t.Fatalf("JSON-LD outcome %+v", out)
	}
}

// TestWalletRefusesRequestBeyondRegistration serves, from another origin, a
// request correctly signed by the Ajuntament de Girona but asking for more
// than its registered purpose allows. The wallet refuses it and reports
// invalid_request to the response URI.
func TestWalletRefusesRequestBeyondRegistration(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	s := unlock(t, a, laia, "laia-demo-2026")
	reported := make(chan url.Values, 1)
	var signed string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			io.WriteString(w, signed)
		case http.MethodPost:
			r.ParseForm()
			reported <- r.PostForm
			w.Write([]byte(`{"state":"refused"}`))
		}
	}))
	defer srv.Close()
	r, err := a.Verifier.CreateRequest(ctx, "ajuntament-girona", "preinscripcio-escolar", verifier.FormatSDJWT, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj := r.Object
	obj.ResponseURI = srv.URL + "/response"
	obj.DCQL.Credentials[0].Claims = append(obj.DCQL.Credentials[0].Claims, verifier.DCQLClaim{Path: []string{"birthDate"}})
	if signed, err = a.Issuer.SignJWT(ctx, "ajuntament-girona", verifier.RequestTyp, obj); err != nil {
		t.Fatal(err)
	}
	// A request_uri off the verifier's host is refused before any fetch...
	if _, err = a.OpenRequest(ctx, s, verifier.QRURI(obj.ClientID, srv.URL+"/object")); !errors.Is(err, ErrRequestRefused) || !strings.Contains(err.Error(), "own address") {
		t.Fatalf("off-host request_uri: %v", err)
	}
	// ... and so is a client that is not on the trust list.
	if _, err = a.OpenRequest(ctx, s, verifier.QRURI(verifier.ClientIDPrefix+"did:web:evil.example", "https://evil.example/object")); !errors.Is(err, ErrRequestRefused) || !strings.Contains(err.Error(), "not a verifier on the trust list") {
		t.Fatalf("unknown client: %v", err)
	}
	u, _ := url.Parse(srv.URL)
	a.AllowRequestHost(u.Host)
	_, err = a.OpenRequest(ctx, s, verifier.QRURI(obj.ClientID, srv.URL+"/object"))
	if !errors.Is(err, ErrRequestRefused) || !strings.Contains(err.Error(), "birthDate") {
		t.Fatalf("beyond registration: %v", err)
	}
	select {
	case f := <-reported:
		if f.Get("error") != "invalid_request" || f.Get("state") != obj.State {
			t.Fatalf("reported %v", f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the refusal was not reported to the verifier")
	}
	// Signed by another administration's key: refused too.
	obj2 := r.Object
	obj2.ResponseURI = srv.URL + "/response"
	if signed, err = a.Issuer.SignJWT(ctx, "ahc", verifier.RequestTyp, obj2); err != nil {
		t.Fatal(err)
	}
	if _, err = a.OpenRequest(ctx, s, verifier.QRURI(obj.ClientID, srv.URL+"/object")); !errors.Is(err, ErrRequestRefused) || !strings.Contains(err.Error(), "not signed by a key of") {
		t.Fatalf("foreign signature: %v", err)
	}
	select {
	case f := <-reported:
		if f.Get("error") != "invalid_request" {
			t.Fatalf("reported %v", f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the refusal was not reported to the verifier")
	}
}

func TestQRPresentationFitsAndIsSingleUse(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	s := unlock(t, a, laia, "laia-demo-2026")
	creds, _, _ := s.Credentials(ctx)
	var census string
	for _, c := range creds {
		if c.Type == credential.Census {
			census = c.ID
		}
	}
	qr, err := a.PresentQR(ctx, s, census, []string{"givenName", "familyName", "municipality"})
	if err != nil {
		t.Fatal(err)
	}
	if qr.Handoff || qr.Code.Version > 25 {
		t.Fatalf("census with 3 claims: version %d, handoff %v", qr.Code.Version, qr.Handoff)
	}
	t.Logf("census, 3 claims: QR version %d at level M, %d characters", qr.Code.Version, len(qr.Code.Content))
	// Every persona, with the longest three claims of their census record.
	for _, p := range []struct{ id, pass string }{{"38765432J", "jordi-demo-2026"}, {"40123456W", "montserrat-demo-2026"}, {"Y2345678Z", "youssef-demo-2026"}, {"39876543V", "marta-demo-2026"}} {
		ps := unlock(t, a, p.id, p.pass)
		pcs, _, _ := ps.Credentials(ctx)
		for _, c := range pcs {
			if c.Type != credential.Census {
				continue
			}
			pq, err := a.PresentQR(ctx, ps, c.ID, []string{"address", "familyName", "municipality"})
			if err != nil {
				t.Fatal(err)
			}
			if pq.Handoff || pq.Code.Version > 25 {
				t.Fatalf("%s: census with 3 claims does not fit a version-25 code (version %d, %d characters)", p.id, pq.Code.Version, len(pq.Code.Content))
			}
		}
	}
	// What a camera reads back is what the scanner verifies.
	img, err := qr.Code.PNG(4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(m)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Verifier.Scan(ctx, "ahc", res.GetText())
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || v.Claims["municipality"] != "Girona" || v.Claims["address"] != nil {
		t.Fatalf("scan: %+v", v)
	}
	v, err = a.Verifier.Scan(ctx, "ajuntament-girona", res.GetText())
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.FirstFailure().Name != verdict.Nonce {
		t.Fatalf("second scan: %+v", v)
	}
	// A truncated or damaged payload is refused at parse.
	for _, bad := range []string{res.GetText()[:len(res.GetText())/2], strings.Replace(res.GetText(), "A", "B", 1), "hola"} {
		if v, _ := a.Verifier.Scan(ctx, "ahc", bad); v.Valid {
			t.Fatalf("damaged payload accepted")
		}
	}
	// A presentation that cannot fit (the whole working life) goes by one-time URL.
	var work string
	for _, c := range creds {
		if c.Type == credential.WorkLife {
			work = c.ID
		}
	}
	big, err := a.PresentQR(ctx, s, work, []string{"givenName", "familyName", "secondFamilyName", "nationalId", "totalDaysContributed", "employment"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("working life, 6 claims: handoff %v, QR version %d", big.Handoff, big.Code.Version)
	v, err = a.Verifier.Scan(ctx, "soc", big.Code.Content)
	if err != nil || !v.Valid {
		t.Fatalf("scan: %v %+v", err, v)
	}
	if v, _ := a.Verifier.Scan(ctx, "soc", big.Code.Content); v.Valid {
		t.Fatal("a one-time URL worked twice")
	}
}

// TestQRSizesPerType records the QR payload size and version of a typical
// presentation of each credential type (figures for docs/presentation.md).
func TestQRSizesPerType(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	s := unlock(t, a, laia, "laia-demo-2026")
	creds, _, _ := s.Credentials(ctx)
	claims := map[credential.Type][]string{
		credential.Census:   {"givenName", "familyName", "municipality"},
		credential.Tax:      {"givenName", "upToDate", "validUntil"},
		credential.Degree:   {"degreeTitle", "university", "awardDate"},
		credential.WorkLife: {"givenName", "familyName", "totalDaysContributed"},
	}
	for _, c := range creds {
		want := claims[c.Type]
		if c.Type == credential.Tax {
			want = []string{"nationalId", "upToDate", "validUntil"}
		}
		qr, err := a.PresentQR(ctx, s, c.ID, want)
		if err != nil {
			t.Fatal(err)
		}
		if qr.Handoff || qr.Code.Version > 25 {
			t.Errorf("%s with %v: version %d, handoff %v", c.Type, want, qr.Code.Version, qr.Handoff)
		}
		t.Logf("%-8s %v: %d characters, QR version %d (level M)", c.Type, want, len(qr.Code.Content), qr.Code.Version)
	}
}

func TestVerifierPurgesAfterRetention(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	o := testOptions(t)
	o.Now = func() time.Time { return now }
	a, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	r, err := a.Verifier.CreateRequest(ctx, "ajuntament-girona", "preinscripcio-escolar", verifier.FormatSDJWT, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := unlock(t, a, laia, "laia-demo-2026")
	ir, err := a.OpenRequest(ctx, s, r.QR(DefaultPublicBase))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Approve(ctx, s, ir, ir.Candidates[0].ID); err != nil {
		t.Fatal(err)
	}
	stale, err := a.Verifier.CreateRequest(ctx, "ahc", "ajut-lloguer", verifier.FormatSDJWT, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Verifier.Purge(ctx); n != 0 {
		t.Fatalf("purged %d fresh requests", n)
	}
	// The purpose keeps data 365 days; a year and a week later it is gone.
	now = now.AddDate(1, 0, 7)                                // the services share this clock
	if n, err := a.Verifier.Purge(ctx); err != nil || n < 2 { // ours and the demo personas' requests
		t.Fatalf("purge: %d, %v", n, err)
	}
	got, err := a.Verifier.Request(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != verifier.StateAccepted || got.Verdict == nil || got.Verdict.Claims != nil || len(got.Verdict.Checks) == 0 {
		t.Fatalf("after retention: %+v", got.Verdict)
	}
	if _, err := a.Verifier.Request(ctx, stale.ID); !errors.Is(err, verifier.ErrNotFound) {
		t.Fatalf("expired request kept: %v", err)
	}
}
