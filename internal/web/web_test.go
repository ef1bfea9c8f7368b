package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/ledgerhttp"
)

// serve starts the real server on 127.0.0.1 over a fresh demo deployment.
func serve(t *testing.T) (*httptest.Server, *Server) {
	t.Helper()
	a := apptest.Demo(t, nil)
	s := New(Config{App: a, Staff: a.Staff})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, s
}

func call(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestPublicEndpoints(t *testing.T) {
	ts, s := serve(t)
	a := s.cfg.App
	// did:web resolution over real HTTP finds the same keys.
	r := did.HTTPResolver{Base: ts.URL}
	doc, err := r.ResolveDID(context.Background(), a.Issuer.DID("atc"))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.VerificationMethod) != 2 {
		t.Fatalf("atc DID document has %d methods", len(doc.VerificationMethod))
	}
	code, body := call(t, "GET", ts.URL+"/trust/list", "", nil)
	if code != 200 {
		t.Fatalf("trust list: %d %s", code, body)
	}
	anchors, err := a.Issuer.TrustAnchors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := trust.Verify(body, anchors, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !l.Allows(a.Issuer.DID("udg"), "degree") || l.Allows(a.Issuer.DID("udg"), "tax") {
		t.Fatal("trust list: udg should issue degrees only")
	}
	for _, path := range []string{"/status/atc/1", "/status/atc/1/ld"} {
		if code, body := call(t, "GET", ts.URL+path, "", nil); code != 200 || len(body) < 100 {
			t.Fatalf("%s: %d", path, code)
		}
	}
	for _, path := range []string{"/status/atc/0", "/status/atc/x", "/status/nobody/1", "/issuers/nobody/did.json"} {
		if code, _ := call(t, "GET", ts.URL+path, "", nil); code != 404 {
			t.Fatalf("%s: %d, want 404", path, code)
		}
	}
	// The ledger's read API answers the audit client.
	src := &ledgerhttp.Client{Base: ts.URL + "/ledger"}
	rep, err := ledger.Audit(context.Background(), src, a.Ledger.VerifierKey(), nil)
	if err != nil || !rep.OK() {
		t.Fatalf("audit over HTTP: %v %+v", err, rep)
	}
}

func TestIssuerAPI(t *testing.T) {
	ts, _ := serve(t)
	url := ts.URL + "/api/v1/issuer/credentials"
	// No token, a wrong token, a verifier's token: refused.
	for _, tok := range []string{"", "nope", "demo-girona-verifier"} {
		code, _ := call(t, "POST", url, tok, map[string]any{"type": "census", "citizen": apptest.Laia})
		if code != http.StatusUnauthorized && code != http.StatusForbidden {
			t.Fatalf("token %q: %d", tok, code)
		}
	}
	// Girona's census office issues Laia's census credential into her wallet.
	code, body := call(t, "POST", url, "demo-girona-issuer", map[string]any{"type": "census", "citizen": apptest.Laia, "deliver": true})
	if code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, body)
	}
	var out struct {
		Record struct{ ID, Admin, Status string }
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Record.Admin != "ajuntament-girona" {
		t.Fatalf("issue body %s", body)
	}
	if strings.Contains(string(body), "Laia") {
		t.Fatal("a delivered credential must not come back in the response")
	}
	// The tax agency cannot issue census credentials for Girona.
	if code, _ := call(t, "POST", url, "demo-atc-issuer", map[string]any{"type": "census", "citizen": apptest.Laia}); code != http.StatusForbidden {
		t.Fatalf("atc issuing census: %d", code)
	}
	// Unknown citizen, unknown type: clear errors.
	if code, _ := call(t, "POST", url, "demo-girona-issuer", map[string]any{"type": "census", "citizen": "00000000T"}); code != http.StatusNotFound {
		t.Fatalf("unknown citizen: %d", code)
	}
	if code, _ := call(t, "POST", url, "demo-girona-issuer", map[string]any{"type": "passport", "citizen": apptest.Laia}); code != http.StatusBadRequest {
		t.Fatalf("unknown type: %d", code)
	}
	// Revocation needs a reason, then works once; other administrations see nothing.
	rev := url + "/" + out.Record.ID + "/revoke"
	if code, _ := call(t, "POST", rev, "demo-girona-issuer", map[string]any{}); code != http.StatusBadRequest {
		t.Fatalf("revoke without reason: %d", code)
	}
	if code, _ := call(t, "POST", rev, "demo-atc-issuer", map[string]any{"reason": "x"}); code != http.StatusNotFound {
		t.Fatalf("revoke by another administration: %d", code)
	}
	if code, body := call(t, "POST", rev, "demo-girona-issuer", map[string]any{"reason": "canvi de domicili"}); code != 200 || !strings.Contains(string(body), `"revoked"`) {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if code, _ := call(t, "POST", rev, "demo-girona-issuer", map[string]any{"reason": "again"}); code != http.StatusConflict {
		t.Fatalf("second revoke: %d", code)
	}
	code, body = call(t, "GET", ts.URL+"/api/v1/issuer/citizens/"+apptest.Laia+"/credentials", "demo-atc-issuer", nil)
	if code != 200 || strings.Contains(string(body), "ajuntament-girona") {
		t.Fatalf("atc sees Girona's issuances: %d %s", code, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts, _ := serve(t)
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Fatalf("%s = %q", h, got)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
}
