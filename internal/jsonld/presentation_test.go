package jsonld

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/verdict"
)

var presentedAt = verifyAt.Add(-time.Minute)

func presentFixtures(t *testing.T, holder Signer, vcs ...[]byte) []byte {
	t.Helper()
	vp, err := testProcessor(t).Present(context.Background(), holder, vcs, testChallenge, testDomain, presentedAt)
	if err != nil {
		t.Fatalf("present: %v", err)
	}
	return vp
}

func TestPresentationRoundTrip(t *testing.T) {
	p := testProcessor(t)
	fs := fixtures()
	census, tax := issueFixture(t, fs[0]), issueFixture(t, fs[1])
	vp := presentFixtures(t, holderSigner("maria"), census, tax)
	golden(t, "presentation.json", vp)
	req := PresentationRequest{Challenge: testChallenge, Domain: testDomain}
	v, got, err := p.VerifyPresentation(context.Background(), vp, testKeys(), req, verifyAt)
	if err != nil {
		t.Fatalf("%v\n%+v", err, v.Checks)
	}
	for _, name := range []string{verdict.Parse, verdict.ProofPurpose, verdict.HolderBinding, verdict.Signature,
		verdict.Nonce, verdict.Audience, verdict.Freshness, verdict.IssuerKey, verdict.Validity} {
		if !v.Passed(name) {
			t.Errorf("check %s did not pass", name)
		}
	}
	if got.Holder != holderSigner("maria").DID() || len(got.Credentials) != 2 || got.Proof.Challenge != testChallenge {
		t.Errorf("presentation: %+v", got)
	}
	if _, ok := v.Claims["TaxComplianceCredential"]; !ok {
		t.Errorf("claims by type missing: %v", v.Claims)
	}
	// The committed golden presentation still verifies.
	if !*update {
		if _, _, err := p.VerifyPresentation(context.Background(), readTestdata(t, "presentation.json"), testKeys(), req, verifyAt); err != nil {
			t.Errorf("golden presentation: %v", err)
		}
	}
}

func TestPresentationChecks(t *testing.T) {
	p := testProcessor(t)
	census := issueFixture(t, fixtures()[0])
	maria := holderSigner("maria")
	good := presentFixtures(t, maria, census)
	req := PresentationRequest{Challenge: testChallenge, Domain: testDomain}

	tests := []struct {
		name  string
		vp    func(t *testing.T) []byte
		req   PresentationRequest
		now   time.Time
		check string
		want  string // in the failing check's detail
	}{
		{"challenge mismatch", func(*testing.T) []byte { return good }, PresentationRequest{Challenge: "other", Domain: testDomain}, verifyAt, verdict.Nonce, "challenge"},
		{"domain mismatch", func(*testing.T) []byte { return good }, PresentationRequest{Challenge: testChallenge, Domain: "did:web:elsewhere"}, verifyAt, verdict.Audience, "domain"},
		{"request without challenge", func(*testing.T) []byte { return good }, PresentationRequest{Domain: testDomain}, verifyAt, verdict.Nonce, "no challenge"},
		{"stale", func(*testing.T) []byte { return good }, req, presentedAt.Add(DefaultMaxPresentationAge + time.Second), verdict.Freshness, "older"},
		{"from the future", func(*testing.T) []byte { return good }, req, presentedAt.Add(-2 * time.Minute), verdict.Freshness, "future"},
		{"unsigned presentation", func(t *testing.T) []byte { return withoutProof(t, good) }, req, verifyAt, verdict.Parse, "no proof"},
		{"unsigned credential in a signed presentation", func(t *testing.T) []byte {
			return presentFixtures(t, maria, withoutProof(t, census))
		}, req, verifyAt, verdict.Parse, "credential 0: "},
		{"tampered credential re-signed by the holder", func(t *testing.T) []byte {
			bad := editJSON(t, census, func(m map[string]any) { m["credentialSubject"].(map[string]any)["municipality"] = "Girona" })
			return presentFixtures(t, maria, bad)
		}, req, verifyAt, verdict.Signature, "credential 0: "},
		{"signed by someone else than the holder", func(t *testing.T) []byte {
			vp := editJSON(t, withoutProof(t, good), func(m map[string]any) { m["holder"] = holderSigner("mallory").DID() })
			return resign(t, vp, maria, ProofOptions{Purpose: PurposeAuthentication, Created: presentedAt, Challenge: testChallenge, Domain: testDomain})
		}, req, verifyAt, verdict.HolderBinding, "does not belong to holder"},
		{"another holder's credential", func(t *testing.T) []byte {
			return presentFixtures(t, holderSigner("mallory"), census)
		}, req, verifyAt, verdict.HolderBinding, "is not the holder"},
		{"assertion purpose", func(t *testing.T) []byte {
			return resign(t, withoutProof(t, good), maria, ProofOptions{Purpose: PurposeAssertion, Created: presentedAt, Challenge: testChallenge, Domain: testDomain})
		}, req, verifyAt, verdict.ProofPurpose, "authentication"},
		{"holder proof tampered", func(t *testing.T) []byte {
			return editJSON(t, good, func(m map[string]any) { proofObject(m)["challenge"] = "n-other" })
		}, PresentationRequest{Challenge: "n-other", Domain: testDomain}, verifyAt, verdict.Signature, ""},
		{"expired credential", func(*testing.T) []byte { return good }, req, issued.Add(91 * 24 * time.Hour), verdict.Freshness, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, got, err := p.VerifyPresentation(context.Background(), tt.vp(t), testKeys(), tt.req, tt.now)
			if err == nil || got != nil || v.Valid {
				t.Fatalf("accepted: %+v", v.Checks)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			found := false
			for _, c := range v.Checks {
				if c.Name == tt.check && !c.OK && strings.Contains(c.Detail, tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no failed %s check containing %q: %+v", tt.check, tt.want, v.Checks)
			}
		})
	}
}

func TestPresentRefuses(t *testing.T) {
	p := testProcessor(t)
	census := issueFixture(t, fixtures()[0])
	maria := holderSigner("maria")
	for name, f := range map[string]func() error{
		"no challenge": func() error {
			_, err := p.Present(context.Background(), maria, [][]byte{census}, "", testDomain, presentedAt)
			return err
		},
		"no credential": func() error {
			_, err := p.Present(context.Background(), maria, nil, testChallenge, testDomain, presentedAt)
			return err
		},
		"not JSON": func() error {
			_, err := p.Present(context.Background(), maria, [][]byte{[]byte("eyJ")}, testChallenge, testDomain, presentedAt)
			return err
		},
	} {
		if err := f(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
