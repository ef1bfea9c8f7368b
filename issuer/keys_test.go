package issuer

import (
	"context"
	"errors"
	"github.com/espai/espai/internal/credential"
	"path/filepath"
	"testing"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/trust"
	bolt "go.etcd.io/bbolt"
)

// fixedNow is the test clock: 2026-11-26 10:00 UTC.
var fixedNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func newTestService(t testing.TB) *Service {
	t.Helper()
	dir := t.TempDir()
	sealer, err := atrest.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "issuer.db"), Config{DIDDomain: "espai.localhost", Now: func() time.Time { return fixedNow }}, sealer, testRegisters(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				return err
			}
			return nil
		}); err != nil {
			t.Errorf("bbolt check: %v", err)
		}
		s.Close()
	})
	ctx := context.Background()
	for _, a := range []Administration{
		{ID: "aoc", Name: "Consorci Administració Oberta de Catalunya", Operator: true},
		{ID: "atc", Name: "Agència Tributària de Catalunya", Types: []credential.Type{credential.Tax}},
		{ID: "tgss", Name: "Tresoreria General de la Seguretat Social", Types: []credential.Type{credential.WorkLife}},
		{ID: "udg", Name: "Universitat de Girona", Types: []credential.Type{credential.Degree}},
		{ID: "ajuntament-girona", Name: "Ajuntament de Girona", Types: []credential.Type{credential.Census}},
	} {
		if err := s.Onboard(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestOnboardIsIdempotentAndValidated(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	if err := s.Onboard(ctx, Administration{ID: "atc", Name: "Agència Tributària de Catalunya", Types: []credential.Type{credential.Tax}}); err != nil {
		t.Errorf("re-onboarding the same administration: %v", err)
	}
	if err := s.Onboard(ctx, Administration{ID: "atc", Name: "Agència Tributària de Catalunya", Types: []credential.Type{credential.Tax, credential.Census}}); err == nil {
		t.Error("re-onboarding with other types succeeded")
	}
	for _, bad := range []Administration{
		{ID: "Bad Id", Name: "x"},
		{ID: "ok", Name: ""},
		{ID: "ok", Name: "x", Types: []credential.Type{"passport"}},
	} {
		if err := s.Onboard(ctx, bad); err == nil {
			t.Errorf("Onboard(%+v) succeeded", bad)
		}
	}
}

func TestDIDDocumentAndRotation(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	doc, err := s.ResolveDID(ctx, "did:web:espai.localhost:issuers:atc")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.VerificationMethod) != 2 || len(doc.AssertionMethod) != 2 {
		t.Fatalf("document has %d methods, %d assertion methods; want 2, 2", len(doc.VerificationMethod), len(doc.AssertionMethod))
	}
	old, err := s.signer(ctx, "atc", algES256)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := s.RotateKeys(ctx, "atc")
	if err != nil || gen != 2 {
		t.Fatalf("RotateKeys = %d, %v", gen, err)
	}
	cur, err := s.signer(ctx, "atc", algES256)
	if err != nil {
		t.Fatal(err)
	}
	if cur.kid == old.kid || cur.kid != "did:web:espai.localhost:issuers:atc#es256-2" {
		t.Errorf("after rotation kid = %s (was %s)", cur.kid, old.kid)
	}
	doc, err = s.ResolveDID(ctx, "did:web:espai.localhost:issuers:atc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Key(old.kid, did.AssertionMethod); err != nil {
		t.Errorf("old key no longer resolvable after rotation: %v", err)
	}
	if _, err := doc.Key(cur.kid, did.AssertionMethod); err != nil {
		t.Errorf("new key not resolvable: %v", err)
	}
	for _, id := range []string{"did:web:espai.localhost:issuers:nobody", "did:web:other.example:issuers:atc", "did:web:espai.localhost:issuers:"} {
		if _, err := s.ResolveDID(ctx, id); !errors.Is(err, did.ErrNotFound) {
			t.Errorf("ResolveDID(%s) err = %v, want did.ErrNotFound", id, err)
		}
	}
}

func TestTrustList(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	tok, err := s.TrustList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	anchors, err := s.TrustAnchors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := trust.Verify([]byte(tok), anchors, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Allows(s.DID("atc"), string(credential.Tax)) || l.Allows(s.DID("udg"), string(credential.Tax)) || !l.Allows(s.DID("udg"), string(credential.Degree)) {
		t.Errorf("trust list entries wrong: %+v", l.Entities)
	}
}
