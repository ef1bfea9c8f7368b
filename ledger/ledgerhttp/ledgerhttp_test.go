package ledgerhttp

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gin-gonic/gin"
	"golang.org/x/mod/sumdb/note"

	"github.com/espai/espai/ledger"
)

func serve(t *testing.T, n int) (*httptest.Server, *ledger.Log, string) {
	t.Helper()
	sk, vk, err := note.GenerateKey(rand.Reader, ledger.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(context.Background(), ledger.Config{Path: filepath.Join(t.TempDir(), "ledger.db"), SignerKey: sk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for i := range n {
		e := ledger.Entry{Kind: ledger.KindCredentialIssued, Administration: "ajuntament-girona", CredentialType: "CensusCredential",
			Pseudonym: ledger.PseudonymID{1}, Commitment: ledger.Commitment{byte(i), 2}}
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	Register(r.Group("/ledger/v1"), l)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, l, vk
}

func TestAuditOverHTTP(t *testing.T) {
	srv, _, vk := serve(t, 25)
	c := &Client{Base: srv.URL + "/ledger/v1"}
	got, err := c.VerifierKey(context.Background())
	if err != nil || got != vk {
		t.Fatalf("key %q %v", got, err)
	}
	rep, err := ledger.Audit(context.Background(), c, vk, nil)
	if err != nil || !rep.OK() || rep.Entries != 25 {
		t.Fatalf("audit %+v %v", rep, err)
	}
}

func TestStatusCodes(t *testing.T) {
	srv, _, _ := serve(t, 3)
	tests := []struct {
		path string
		want int
	}{
		{"/checkpoint", 200},
		{"/entries/2", 200},
		{"/entries/3", 404},
		{"/entries/x", 400},
		{"/entries?start=0&end=3", 200},
		{"/entries?start=0&end=4", 400},
		{"/proof/inclusion?index=1&size=3", 200},
		{"/proof/inclusion?index=3&size=3", 400},
		{"/proof/consistency?old=1&new=3", 200},
		{"/proof/consistency?old=0&new=3", 400},
		{"/anchors", 200},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/ledger/v1" + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
