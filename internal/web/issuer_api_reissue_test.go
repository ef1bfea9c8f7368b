package web

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/espai/espai/internal/apptest"
)

// TestIssuerAPIReissue: a system re-issues one of its credentials; the new
// one is delivered, the old one revoked as superseded, once; another
// administration cannot, and bad input changes nothing.
func TestIssuerAPIReissue(t *testing.T) {
	ts, _ := serve(t)
	base := ts.URL + "/api/v1/issuer/credentials"
	code, body := call(t, "POST", base, "demo-girona-issuer", map[string]any{"type": "census", "citizen": apptest.Laia, "deliver": true})
	if code != http.StatusCreated {
		t.Fatalf("issue: %d %s", code, body)
	}
	var first struct{ Record struct{ ID string } }
	if err := json.Unmarshal(body, &first); err != nil {
		t.Fatal(err)
	}
	re := base + "/" + first.Record.ID + "/reissue"
	if code, _ := call(t, "POST", re, "demo-atc-issuer", map[string]any{}); code != http.StatusNotFound {
		t.Fatalf("re-issue by another administration: %d", code)
	}
	if code, _ := call(t, "POST", re, "demo-girona-issuer", map[string]any{"format": "pdf"}); code != http.StatusBadRequest {
		t.Fatalf("bad format: %d", code)
	}
	code, body = call(t, "POST", re, "demo-girona-issuer", map[string]any{"note": "adreça corregida"})
	var out struct {
		Record   struct{ ID, Status string }
		Replaced string
	}
	if code != http.StatusCreated || json.Unmarshal(body, &out) != nil || out.Replaced != first.Record.ID || out.Record.ID == first.Record.ID {
		t.Fatalf("re-issue: %d %s", code, body)
	}
	code, body = call(t, "GET", ts.URL+"/api/v1/issuer/citizens/"+apptest.Laia+"/credentials", "demo-girona-issuer", nil)
	var list struct{ Credentials []struct{ ID, Status string } }
	if code != 200 || json.Unmarshal(body, &list) != nil {
		t.Fatalf("list: %d %s", code, body)
	}
	status := map[string]string{}
	for _, c := range list.Credentials {
		status[c.ID] = c.Status
	}
	if status[first.Record.ID] != "revoked" || status[out.Record.ID] != "valid" {
		t.Fatalf("after re-issue: %v", status)
	}
	if code, _ := call(t, "POST", re, "demo-girona-issuer", map[string]any{}); code < 400 || code >= 500 {
		t.Fatalf("re-issuing a replaced credential: %d", code)
	}
}
