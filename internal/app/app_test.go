package app

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/wallet"
)

const laia = "12345678Z"

// testOptions is a fresh demo directory with cheap Argon2id parameters (the
// same as internal/apptest, which this package cannot import).
func testOptions(t testing.TB) Options {
	return Options{
		Root: filepath.Join(t.TempDir(), "data"), Demo: true, Create: true,
		Wallet: wallet.Config{Argon2: wallet.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}, WrongPassphraseDelay: -1},
	}
}

func openDemo(t testing.TB) *App {
	t.Helper()
	a, err := Open(context.Background(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func unlock(t *testing.T, a *App, id, pass string) *wallet.Session {
	t.Helper()
	s, err := a.Wallet.Unlock(context.Background(), id, pass)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Lock)
	return s
}

func TestDemoLaiaHoldsOneOfEachVerifiedCredential(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	s := unlock(t, a, laia, "laia-demo-2026")
	rep := s.InboxReport()
	if len(rep.Rejected) != 0 || rep.Pending != 0 {
		t.Fatalf("inbox report %+v: want everything accepted", rep)
	}
	creds, damaged, err := s.Credentials(ctx)
	if err != nil || len(damaged) != 0 {
		t.Fatal(err, damaged)
	}
	got := map[credential.Type]wallet.Credential{}
	for _, c := range creds {
		got[c.Type] = c
	}
	for _, typ := range credential.Types {
		c, ok := got[typ]
		if !ok {
			t.Fatalf("Laia has no %s credential (has %d)", typ, len(creds))
		}
		v, err := a.Checker.VerifyCredential(ctx, c.Raw)
		if err != nil || !v.Valid {
			t.Fatalf("%s: %v %+v", typ, err, v)
		}
	}
	if name := got[credential.Census].Claims["givenName"]; name != "Laia" {
		t.Fatalf("census givenName %v", name)
	}
	if got[credential.Census].Issuer != a.Issuer.DID("ajuntament-girona") {
		t.Fatalf("census issuer %s", got[credential.Census].Issuer)
	}
	// Every issuance was recorded, and the receipts verify offline.
	// (Her demo life adds one answered verifier request, a consent and a
	// verification, and two Via Oberta queries about her.)
	issued := 0
	rs, _, err := s.Receipts(ctx)
	if err != nil || len(rs) != 8 {
		t.Fatalf("receipts %d, %v", len(rs), err)
	}
	for _, r := range rs {
		var b ReceiptBundle
		if err := json.Unmarshal(r.Raw, &b); err != nil {
			t.Fatal(err)
		}
		e, _, err := b.Verify(a.Ledger.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == ledger.KindCredentialIssued && strings.Contains(string(r.Raw), "Laia") {
			t.Fatal("the receipt bundle document should name the credential, not the person")
		}
		if e.Administration != r.Administration {
			t.Fatalf("entry administration %s, receipt %s", e.Administration, r.Administration)
		}
		if e.Kind == ledger.KindCredentialIssued {
			issued++
		}
	}
	if issued != 4 {
		t.Fatalf("%d issuance receipts, want 4", issued)
	}
}

func TestRevokedCredentialFailsStatusAndWalletIsTold(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	d, err := a.IssueAndDeliver(ctx, issuer.Request{Type: credential.Census, Format: credential.JSONLD, Citizen: laia})
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Checker.VerifyCredential(ctx, []byte(d.Issued.Credential))
	if err != nil || !v.Valid {
		t.Fatalf("fresh JSON-LD credential: %v %+v", err, v)
	}
	if _, err := a.ChangeStatus(ctx, d.Issued.ID, issuer.StatusRevoked, "canvi de domicili"); err != nil {
		t.Fatal(err)
	}
	// The deployment's own verifier sees the revocation at once (its cached
	// list is dropped), not after the list's TTL.
	v, err = a.Checker.VerifyCredential(ctx, []byte(d.Issued.Credential))
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.FirstFailure().Name != verdict.Status || !strings.Contains(v.FirstFailure().Detail, "revoked") {
		t.Fatalf("revoked credential verdict %+v", v)
	}
	s := unlock(t, a, laia, "laia-demo-2026")
	events, _, err := s.Activity(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		if e.Kind == wallet.EventCredentialRevoked && e.Fields["reason"] == "canvi de domicili" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no revocation event in %d events", len(events))
	}
}

func TestIssueRefusesWithoutWalletAndUnknownCitizen(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	ids, err := a.Registers.IDs(ctx, "census")
	if err != nil {
		t.Fatal(err)
	}
	var noWallet string
	for _, id := range ids {
		if ok, _ := a.Wallet.Enrolled(ctx, id); !ok {
			noWallet = id
			break
		}
	}
	before := a.Ledger.Latest().Size
	if _, err := a.IssueAndDeliver(ctx, issuer.Request{Type: credential.Census, Format: credential.SDJWT, Citizen: noWallet}); !errors.Is(err, issuer.ErrNoHolder) {
		t.Fatalf("no wallet: %v", err)
	}
	if _, err := a.IssueAndDeliver(ctx, issuer.Request{Type: credential.Census, Format: credential.SDJWT, Citizen: "00000000T"}); err == nil {
		t.Fatal("unknown citizen issued")
	}
	if after := a.Ledger.Latest().Size; after != before {
		t.Fatalf("ledger grew from %d to %d on refused issuance", before, after)
	}
}
