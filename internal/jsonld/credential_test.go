package jsonld

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/espai/espai/internal/verdict"
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	p := testProcessor(t)
	keys := testKeys()
	for _, f := range fixtures() {
		t.Run(f.name, func(t *testing.T) {
			raw := issueFixture(t, f)
			golden(t, f.name+".json", raw)
			v, c, err := p.Verify(context.Background(), raw, keys, verifyAt)
			if err != nil {
				t.Fatalf("verify: %v\n%+v", err, v.Checks)
			}
			if !v.Valid {
				t.Fatalf("verdict invalid: %+v", v.Checks)
			}
			for _, name := range []string{verdict.Parse, verdict.ProofPurpose, verdict.IssuerKey, verdict.Signature, verdict.Validity} {
				if !v.Passed(name) {
					t.Errorf("check %s did not pass: %+v", name, v.Checks)
				}
			}
			want := f.withIssuer()
			if c.ID != want.ID || c.Issuer != want.Issuer || c.SubjectID != want.SubjectID ||
				!c.IssuanceDate.Equal(want.IssuanceDate) || !c.ExpirationDate.Equal(want.ExpirationDate) {
				t.Errorf("fields: got %+v", c)
			}
			if !reflect.DeepEqual(c.Types, want.Types) || !reflect.DeepEqual(c.Claims, want.Claims) {
				t.Errorf("types/claims: got %v %v, want %v %v", c.Types, c.Claims, want.Types, want.Claims)
			}
			if !reflect.DeepEqual(c.Status, want.Status) {
				t.Errorf("status: got %+v, want %+v", c.Status, want.Status)
			}
			if v.Type != want.Type() || v.Issuer != want.Issuer || !reflect.DeepEqual(v.Claims, want.Claims) {
				t.Errorf("verdict type/issuer/claims: %q %q %v", v.Type, v.Issuer, v.Claims)
			}
		})
	}
}

// TestGoldenVerify verifies the committed files, so a change in aries or the
// contexts that breaks already-issued credentials is caught.
func TestGoldenVerify(t *testing.T) {
	if *update {
		t.Skip("regenerating")
	}
	p := testProcessor(t)
	for _, f := range fixtures() {
		if _, _, err := p.Verify(context.Background(), readTestdata(t, f.name+".json"), testKeys(), verifyAt); err != nil {
			t.Errorf("%s: %v", f.name, err)
		}
	}
}

func TestVerifyChecks(t *testing.T) {
	p := testProcessor(t)
	census := fixtures()[0]
	good := issueFixture(t, census)
	other := issuerSigner("other")
	authOnly := Signer{MethodID: issuerDID("ajuntament-barcelona") + "#key-auth", Key: testKey("ajuntament-barcelona auth")}

	tests := []struct {
		name  string
		raw   func(t *testing.T) []byte
		now   time.Time
		check string // the check that must fail
	}{
		{"expired", func(*testing.T) []byte { return good }, issued.Add(91 * 24 * time.Hour), verdict.Validity},
		{"expired beyond skew", func(*testing.T) []byte { return good }, census.cred.ExpirationDate.Add(DefaultSkew + time.Second), verdict.Validity},
		{"issued in the future", func(*testing.T) []byte { return good }, issued.Add(-2 * time.Minute), verdict.Validity},
		{"proof removed", func(t *testing.T) []byte { return withoutProof(t, good) }, verifyAt, verdict.Parse},
		{"two proofs", func(t *testing.T) []byte { return twoProofs(t, good) }, verifyAt, verdict.Parse},
		{"wrong proof purpose", func(t *testing.T) []byte {
			return resign(t, withoutProof(t, good), issuerSigner("ajuntament-barcelona"), ProofOptions{Purpose: PurposeAuthentication, Created: issued})
		}, verifyAt, verdict.ProofPurpose},
		{"method of another DID", func(t *testing.T) []byte {
			return resign(t, withoutProof(t, good), other, ProofOptions{Purpose: PurposeAssertion, Created: issued})
		}, verifyAt, verdict.IssuerKey},
		{"method not listed for assertion", func(t *testing.T) []byte {
			return resign(t, withoutProof(t, good), authOnly, ProofOptions{Purpose: PurposeAssertion, Created: issued})
		}, verifyAt, verdict.IssuerKey},
		{"wrong key under the right method", func(t *testing.T) []byte {
			s := Signer{MethodID: issuerSigner("ajuntament-barcelona").MethodID, Key: testKey("mallory")}
			return resign(t, withoutProof(t, good), s, ProofOptions{Purpose: PurposeAssertion, Created: issued})
		}, verifyAt, verdict.Signature},
		{"proof member not covered by the signature", func(t *testing.T) []byte {
			return editJSON(t, good, func(m map[string]any) { m["proof"].(map[string]any)["nonce"] = "x" })
		}, verifyAt, verdict.Parse},
		{"proofValue in another multibase", func(t *testing.T) []byte {
			return editJSON(t, good, func(m map[string]any) { m["proof"].(map[string]any)["proofValue"] = "uAAAA" })
		}, verifyAt, verdict.Parse},
		{"proof type", func(t *testing.T) []byte {
			return editJSON(t, good, func(m map[string]any) { m["proof"].(map[string]any)["type"] = "Ed25519Signature2018" })
		}, verifyAt, verdict.Parse},
		{"not JSON", func(*testing.T) []byte { return []byte("{") }, verifyAt, verdict.Parse},
		{"empty", func(*testing.T) []byte { return nil }, verifyAt, verdict.Parse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c, err := p.Verify(context.Background(), tt.raw(t), testKeys(), tt.now)
			if err == nil || c != nil || v.Valid {
				t.Fatalf("accepted: %+v", v.Checks)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Check != tt.check {
				t.Errorf("first failure %v, want check %s; checks %+v", err, tt.check, v.Checks)
			}
			if v.Claims != nil {
				t.Error("claims exposed on an invalid verdict")
			}
		})
	}
}

func TestVerifySkewBoundary(t *testing.T) {
	p := testProcessor(t)
	good := issueFixture(t, fixtures()[0])
	if _, _, err := p.Verify(context.Background(), good, testKeys(), issued.Add(-DefaultSkew+time.Second)); err != nil {
		t.Errorf("issuance within the skew refused: %v", err)
	}
	if _, _, err := p.Verify(context.Background(), good, testKeys(), issued.Add(-DefaultSkew-time.Second)); err == nil {
		t.Error("issuance beyond the skew accepted")
	}
}

// TestFlippedCharacter changes one character of every JSON string value (at
// its start, middle and end), every number and every boolean: each change
// must be refused.
func TestFlippedCharacter(t *testing.T) {
	p := testProcessor(t)
	fs := fixtures()
	if testing.Short() {
		fs = fs[:1]
	}
	for _, f := range fs {
		good := issueFixture(t, f)
		var doc map[string]any
		mustUnmarshal(t, good, &doc)
		n := 0
		for _, leaf := range leaves(doc, nil) {
			for _, variant := range leaf.variants() {
				bad := editJSON(t, good, func(m map[string]any) { setPath(m, leaf.path, variant) })
				n++
				if v, _, err := p.Verify(context.Background(), bad, testKeys(), verifyAt); err == nil {
					t.Errorf("%s: %v -> %v accepted: %+v", f.name, leaf.path, variant, v.Checks)
				}
			}
		}
		t.Logf("%s: %d single-value changes refused", f.name, n)
	}
}

func TestIssueRefuses(t *testing.T) {
	p := testProcessor(t)
	base := fixtures()[0]
	tests := []struct {
		name string
		edit func(c *Credential, s *Signer)
		want error
	}{
		{"undefined claim", func(c *Credential, _ *Signer) { c.Claims = map[string]any{"favouriteColour": "blau"} }, ErrMalformed},
		{"undefined nested claim", func(c *Credential, _ *Signer) {
			c.Claims = map[string]any{"household": []any{map[string]any{"name": "x", "shoeSize": float64(42)}}}
		}, ErrMalformed},
		{"IRI as claim name", func(c *Credential, _ *Signer) { c.Claims = map[string]any{"https://evil.example/x": "y"} }, ErrMalformed},
		{"undefined type", func(c *Credential, _ *Signer) { c.Types = []string{"VerifiableCredential", "PassportCredential"} }, ErrMalformed},
		{"null claim", func(c *Credential, _ *Signer) { c.Claims = map[string]any{"givenName": nil} }, ErrMalformed},
		{"id in claims", func(c *Credential, _ *Signer) { c.Claims = map[string]any{"id": "did:key:z"} }, ErrMalformed},
		{"relative id", func(c *Credential, _ *Signer) { c.ID = "cred-1" }, ErrMalformed},
		{"signer of another DID", func(_ *Credential, s *Signer) { *s = issuerSigner("other") }, ErrBadSigner},
		{"short key", func(_ *Credential, s *Signer) { s.Key = s.Key[:10] }, ErrBadSigner},
		{"method without fragment", func(_ *Credential, s *Signer) { s.MethodID = issuerDID("ajuntament-barcelona") }, ErrBadSigner},
		{"expiry before issuance", func(c *Credential, _ *Signer) { c.ExpirationDate = issued.Add(-time.Hour) }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := base.withIssuer(), issuerSigner(base.issuer)
			tt.edit(&c, &s)
			_, err := p.Issue(context.Background(), c, s)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIssueDeterministic(t *testing.T) {
	f := fixtures()[1]
	a, b := issueFixture(t, f), issueFixture(t, f)
	if string(a) != string(b) {
		t.Error("issuing the same credential twice gave different bytes")
	}
}

func TestCanceledContext(t *testing.T) {
	p := testProcessor(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := fixtures()[0]
	if _, err := p.Issue(ctx, f.withIssuer(), issuerSigner(f.issuer)); !errors.Is(err, context.Canceled) {
		t.Errorf("issue: %v", err)
	}
}
