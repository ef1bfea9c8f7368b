package jsonld

// The JSON-LD part of the attack suite (issue 8; docs/security-attacks.md).
// Hostile documents are signed with aries directly where aries will sign
// them (so their signature is valid and only the strict rules stand in the
// way), or carry the honest document's proof otherwise. Every one is refused
// with the check named; parse refusals also wrap ErrMalformed or
// ErrUnknownContext; nothing is ever fetched.

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	at "github.com/espai/espai/internal/attacktest"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/verdict"
)

// ldAttack is one hostile document and the check that must refuse it.
type ldAttack struct {
	name     string
	doc      []byte
	check    string
	detail   string
	sentinel error // what parsing wraps, for check parse
}

func ldRefused(t *testing.T, c ldAttack, v *verdict.Verdict, accepted bool, err error) {
	t.Helper()
	if err == nil || accepted || v.Valid || v.Claims != nil {
		t.Fatalf("ACCEPTED: %+v", v.Checks)
	}
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Check != c.check || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want a %s CheckError wrapping ErrInvalid", err, c.check)
	}
	f := v.FirstFailure()
	if f == nil || f.Name != c.check || !strings.Contains(f.Detail, c.detail) {
		t.Fatalf("first failure %+v, want %s with %q; all %+v", f, c.check, c.detail, v.Checks)
	}
}

// TestAttackCredential: context injection, signature stripping and foreign
// proofs on a JSON-LD credential.
func TestAttackCredential(t *testing.T) {
	p := testProcessor(t)
	trap := at.NewTrap(t)
	f := fixtures()[0] // census, Ajuntament de Barcelona
	good := issueFixture(t, f)
	unsigned := withoutProof(t, good)
	iss := issuerDID(f.issuer)
	subject := func(m map[string]any) map[string]any { return m["credentialSubject"].(map[string]any) }
	addContext := func(m map[string]any, extra ...any) { m["@context"] = append(m["@context"].([]any), extra...) }
	// signed makes the hostile document and signs it as the issuer would
	// have to (aries signs what it can; otherwise the honest proof is kept).
	signed := func(edit func(m map[string]any)) []byte { return ariesSignOrRaw(t, editJSON(t, unsigned, edit), f) }
	edited := func(edit func(m map[string]any)) []byte { return editJSON(t, good, edit) }
	signAs := func(s Signer, purpose string, created time.Time) []byte {
		return resign(t, unsigned, s, ProofOptions{Purpose: purpose, Created: created})
	}
	mallory := holderSigner("mallory")

	cases := []ldAttack{
		// Context injection.
		{"undefined term", signed(func(m map[string]any) { subject(m)["favouriteColour"] = "blau" }), verdict.Parse, "no context defines", ErrMalformed},
		{"undefined term inside a list item", signed(func(m map[string]any) {
			subject(m)["household"].([]any)[0].(map[string]any)["shoeSize"] = 42.0
		}), verdict.Parse, "no context defines", ErrMalformed},
		{"inline @context redefining municipality", signed(func(m map[string]any) {
			addContext(m, map[string]any{"municipality": "https://evil.example/vocab#municipality"})
		}), verdict.Parse, "inline @context", ErrMalformed},
		{"scoped @context redefining municipality in the subject", signed(func(m map[string]any) {
			subject(m)["@context"] = map[string]any{"municipality": "https://evil.example/vocab#municipality"}
		}), verdict.Parse, "inline @context", ErrMalformed},
		{"@protected false in an inline context", signed(func(m map[string]any) {
			addContext(m, map[string]any{"@protected": false, "givenName": "https://evil.example/vocab#nickname"})
		}), verdict.Parse, "inline @context", ErrMalformed},
		{"@vocab catching an undefined term", signed(func(m map[string]any) {
			addContext(m, map[string]any{"@vocab": "https://evil.example/vocab#"})
			subject(m)["favouriteColour"] = "blau"
		}), verdict.Parse, "inline @context", ErrMalformed},
		{"@context not a URL", signed(func(m map[string]any) { addContext(m, 7.0) }), verdict.Parse, "inline @context", ErrMalformed},
		{"unknown context URL", signed(func(m map[string]any) { addContext(m, trap.URL+"/contexts/v1") }), verdict.Parse, "unknown JSON-LD context " + trap.URL, ErrUnknownContext},
		{"unknown context URL in a nested scope", signed(func(m map[string]any) { subject(m)["@context"] = trap.URL + "/scoped" }), verdict.Parse, "unknown JSON-LD context " + trap.URL, ErrUnknownContext},
		{"a known context Espai does not allow (security v1)", signed(func(m map[string]any) { addContext(m, "https://w3id.org/security/v1") }), verdict.Parse, "not allowed", ErrMalformed},
		{"a known context Espai does not allow (DID v0.11)", signed(func(m map[string]any) { addContext(m, "https://w3id.org/did/v0.11") }), verdict.Parse, "not allowed", ErrMalformed},
		{"Espai's context listed twice", signed(func(m map[string]any) { addContext(m, ContextEspaiV1) }), verdict.Parse, "listed twice", ErrMalformed},
		{"Espai's context before the VC context", signed(func(m map[string]any) {
			c := m["@context"].([]any)
			c[0], c[len(c)-1] = c[len(c)-1], c[0]
		}), verdict.Parse, "first @context", ErrMalformed},
		{"relative @type", signed(func(m map[string]any) { m["type"] = append(m["type"].([]any), "Passport") }), verdict.Parse, "not defined by any context", ErrMalformed},
		{"relative type in the subject", signed(func(m map[string]any) { subject(m)["type"] = "Person" }), verdict.Parse, "not defined by any context", ErrMalformed},
		{"relative subject id", signed(func(m map[string]any) { subject(m)["id"] = "maria" }), verdict.Parse, "relative IRI", ErrMalformed},
		{"blank node subject id", signed(func(m map[string]any) { subject(m)["id"] = "_:b0" }), verdict.Parse, "relative IRI", ErrMalformed},
		{"municipality as an absolute IRI property", signed(func(m map[string]any) {
			subject(m)["https://espai.localhost/vocab#municipality"] = "Girona"
		}), verdict.Parse, "is an IRI", ErrMalformed},
		{"compact IRI property", signed(func(m map[string]any) { subject(m)["schema:name"] = "x" }), verdict.Parse, "is an IRI", ErrMalformed},
		{"@graph keyword", signed(func(m map[string]any) { m["@graph"] = []any{} }), verdict.Parse, "keyword", ErrMalformed},
		{"@included keyword", signed(func(m map[string]any) { subject(m)["@included"] = []any{} }), verdict.Parse, "keyword", ErrMalformed},
		{"@reverse keyword", signed(func(m map[string]any) { subject(m)["@reverse"] = map[string]any{} }), verdict.Parse, "keyword", ErrMalformed},
		{"null value", signed(func(m map[string]any) { subject(m)["givenName"] = nil }), verdict.Parse, "null", ErrMalformed},

		// Signature stripping and proof removal.
		{"proof removed", unsigned, verdict.Parse, "no proof", ErrMalformed},
		{"proof null", edited(func(m map[string]any) { m["proof"] = nil }), verdict.Parse, "null", ErrMalformed},
		{"proof an empty array", edited(func(m map[string]any) { m["proof"] = []any{} }), verdict.Parse, "0 proofs", ErrMalformed},
		{"two proofs", twoProofs(t, good), verdict.Parse, "2 proofs", ErrMalformed},
		{"proofValue removed", edited(func(m map[string]any) { delete(proofObject(m), "proofValue") }), verdict.Parse, "no proofValue", ErrMalformed},
		{"proofValue in another multibase", edited(func(m map[string]any) { proofObject(m)["proofValue"] = "u" + proofObject(m)["proofValue"].(string)[1:] }), verdict.Parse, "base58btc", ErrMalformed},
		{"jws instead of proofValue", edited(func(m map[string]any) {
			delete(proofObject(m), "proofValue")
			proofObject(m)["jws"] = "eyJhbGciOiJub25lIn0..x"
		}), verdict.Parse, "no context defines", ErrMalformed},
		{"proof of another suite", edited(func(m map[string]any) { proofObject(m)["type"] = "Ed25519Signature2018" }), verdict.Parse, "proof type", ErrMalformed},
		{"proof member the signature does not cover", edited(func(m map[string]any) { proofObject(m)["nonce"] = "x" }), verdict.Parse, "not allowed", ErrMalformed},

		// Proofs by other keys.
		{"signed by another administration's key", signAs(issuerSigner("other"), PurposeAssertion, issued), verdict.IssuerKey, "does not belong to issuer", nil},
		{"signed by the issuer's authentication-only key", signAs(Signer{MethodID: iss + "#key-auth", Key: testKey(f.issuer + " auth")}, PurposeAssertion, issued), verdict.IssuerKey, "not an assertionMethod", nil},
		{"signed by a did:key", signAs(mallory, PurposeAssertion, issued), verdict.IssuerKey, "does not belong to issuer", nil},
		{"verification method that does not exist", edited(func(m map[string]any) { proofObject(m)["verificationMethod"] = iss + "#key-9" }), verdict.IssuerKey, "not found", nil},
		{"verification method as a URL", edited(func(m map[string]any) { proofObject(m)["verificationMethod"] = trap.URL + "/keys#1" }), verdict.Parse, "not a DID URL", ErrMalformed},
		{"proof purpose authentication", signAs(issuerSigner(f.issuer), PurposeAuthentication, issued), verdict.ProofPurpose, "want assertionMethod", nil},
		{"claim changed under the proof", edited(func(m map[string]any) { subject(m)["municipality"] = "Girona" }), verdict.Signature, "", nil},
		{"proof created in the future", signAs(issuerSigner(f.issuer), PurposeAssertion, verifyAt.Add(2*time.Minute)), verdict.Validity, "proof created in the future", nil},
		{"issued in the future", ariesSign(t, editJSON(t, unsigned, func(m map[string]any) { m["issuanceDate"] = timestamp(verifyAt.Add(time.Hour)) }), issuerSigner(f.issuer), ProofOptions{Purpose: PurposeAssertion, Created: issued}), verdict.Validity, "issued in the future", nil},
		{"expired", ariesSign(t, editJSON(t, unsigned, func(m map[string]any) { m["expirationDate"] = timestamp(verifyAt.Add(-2 * time.Minute)) }), issuerSigner(f.issuer), ProofOptions{Purpose: PurposeAssertion, Created: issued}), verdict.Validity, "expired at", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, cred, err := p.Verify(context.Background(), c.doc, testKeys(), verifyAt)
			ldRefused(t, c, v, cred != nil, err)
			if c.sentinel != nil {
				if _, _, perr := p.parseVC(c.doc); !errors.Is(perr, c.sentinel) {
					t.Fatalf("parse error %v does not wrap %v", perr, c.sentinel)
				}
			}
		})
	}
	trap.Check(t)
}

// TestAttackPresentation: presentations that do not bind their credentials
// to their holder, or hide an unsigned credential.
func TestAttackPresentation(t *testing.T) {
	p := testProcessor(t)
	trap := at.NewTrap(t)
	census := issueFixture(t, fixtures()[0])
	maria, mallory := holderSigner("maria"), holderSigner("mallory")
	req := PresentationRequest{Challenge: testChallenge, Domain: testDomain}
	unsignedVP := func(holder string, vcs ...any) []byte {
		return mustMarshal(t, map[string]any{
			"@context": []any{ContextCredentialsV1, ContextEd25519Signature2020},
			"type":     []any{TypeVerifiablePresentation}, "holder": holder, "verifiableCredential": vcs,
		})
	}
	var cm map[string]any
	mustUnmarshal(t, census, &cm)
	sign := func(doc []byte, s Signer, purpose string) []byte {
		return resign(t, doc, s, ProofOptions{Purpose: purpose, Created: presentedAt, Challenge: testChallenge, Domain: testDomain})
	}
	// Mallory's own did:key document lists her key for authentication; she
	// also has a method id that is not hers.
	_, malloryMethod := did.KeyDID(mallory.Key.Public().(ed25519.PublicKey))

	cases := []ldAttack{
		{"unsigned VC inside a signed VP", presentFixtures(t, maria, withoutProof(t, census)), verdict.Parse, "credential 0: ", nil},
		{"VC with two proofs inside a VP", presentFixtures(t, maria, twoProofs(t, census)), verdict.Parse, "credential 0: ", nil},
		// Present refuses to sign it: the VC is swapped in after signing.
		{"VC with an inline context inside a VP", editJSON(t, presentFixtures(t, maria, census), func(m map[string]any) {
			vc := m["verifiableCredential"].([]any)[0].(map[string]any)
			vc["@context"] = append(vc["@context"].([]any), map[string]any{"municipality": "https://evil.example/#m"})
		}), verdict.Parse, "inline @context", ErrMalformed},
		{"VP with an unknown context", editJSON(t, presentFixtures(t, maria, census), func(m map[string]any) {
			m["@context"] = append(m["@context"].([]any), trap.URL+"/vp-context")
		}), verdict.Parse, "unknown JSON-LD context", ErrUnknownContext},
		{"VC as a string (a JWT) inside a VP", editJSON(t, presentFixtures(t, maria, census), func(m map[string]any) {
			m["verifiableCredential"] = []any{"eyJhbGciOiJub25lIn0.e30."}
		}), verdict.Parse, "", ErrMalformed},
		{"VP whose holder is not the credential's subject", presentFixtures(t, mallory, census), verdict.HolderBinding, "is not the holder", nil},
		{"VP naming another holder, signed by the subject", sign(unsignedVP(mallory.DID(), cm), maria, PurposeAuthentication), verdict.HolderBinding, "does not belong to holder", nil},
		{"VP signed by a method the holder does not have", sign(unsignedVP(maria.DID(), cm), Signer{MethodID: maria.DID() + "#" + strings.TrimPrefix(malloryMethod, mallory.DID()+"#"), Key: mallory.Key}, PurposeAuthentication), verdict.HolderBinding, "not found", nil},
		{"VP signed for assertion", sign(unsignedVP(maria.DID(), cm), maria, PurposeAssertion), verdict.ProofPurpose, "want authentication", nil},
		{"VP without proof", unsignedVP(maria.DID(), cm), verdict.Parse, "no proof", ErrMalformed},
		{"tampered VC re-signed by the holder", presentFixtures(t, maria, editJSON(t, census, func(m map[string]any) {
			m["credentialSubject"].(map[string]any)["municipality"] = "Girona"
		})), verdict.Signature, "credential 0: ", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, pres, err := p.VerifyPresentation(context.Background(), c.doc, testKeys(), req, verifyAt)
			ldRefused(t, c, v, pres != nil, err)
			if c.sentinel != nil {
				if _, _, _, perr := p.parseVP(c.doc); !errors.Is(perr, c.sentinel) {
					t.Fatalf("parse error %v does not wrap %v", perr, c.sentinel)
				}
			}
		})
	}
	trap.Check(t)
}
