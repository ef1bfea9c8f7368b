package jsonld

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/verifier"

	"github.com/espai/espai/internal/verdict"
)

// KeyResolver finds the public key of a verification method. The caller
// implements it through DID resolution (DIDKeys adapts a did.Resolver).
//
// ResolveKey returns the Ed25519 key of methodID only if the DID document of
// the method's controller lists the method under purpose (PurposeAssertion or
// PurposeAuthentication). Any error means "no key": the signature is refused.
// Errors should wrap the resolver's cause (not found, not authorised,
// unreachable) so that callers can tell an invalid document from an outage.
type KeyResolver interface {
	ResolveKey(ctx context.Context, methodID, purpose string) (ed25519.PublicKey, error)
}

// Proof is the parsed Ed25519Signature2020 proof of a document.
type Proof struct {
	VerificationMethod string
	Purpose            string
	Created            time.Time
	Challenge          string
	Domain             string
	ProofValue         string
}

// Controller is the DID of the proof's verification method.
func (p *Proof) Controller() string {
	d, _, _ := strings.Cut(p.VerificationMethod, "#")
	return d
}

// proofFields are the members an Espai proof may have. aries rebuilds the
// signed proof options from its own struct, so any other member (nonce,
// expires, jws, ...) would not be covered by the signature: refuse it.
func proofField(k string) bool {
	switch k {
	case "type", "created", "verificationMethod", "proofPurpose", "proofValue", "challenge", "domain":
		return true
	}
	return false
}

// parseProof extracts the single proof of doc.
func parseProof(doc map[string]any) (*Proof, error) {
	raw, ok := doc["proof"]
	if !ok {
		return nil, fmt.Errorf("%w: no proof (unsigned document)", ErrMalformed)
	}
	if list, ok := raw.([]any); ok {
		if len(list) != 1 {
			return nil, fmt.Errorf("%w: %d proofs (want exactly one)", ErrMalformed, len(list))
		}
		raw = list[0]
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: proof is not an object", ErrMalformed)
	}
	for k := range m {
		if !proofField(k) {
			return nil, fmt.Errorf("%w: proof member %q not allowed", ErrMalformed, k)
		}
	}
	str := func(k string, required bool) (string, error) {
		v, ok := m[k]
		if !ok {
			if required {
				return "", fmt.Errorf("%w: proof has no %s", ErrMalformed, k)
			}
			return "", nil
		}
		s, ok := v.(string)
		if !ok || (required && s == "") {
			return "", fmt.Errorf("%w: proof %s is not a string", ErrMalformed, k)
		}
		return s, nil
	}
	typ, err := str("type", true)
	if err != nil {
		return nil, err
	}
	if typ != ProofType {
		return nil, fmt.Errorf("%w: proof type %q (want %s)", ErrMalformed, typ, ProofType)
	}
	var p Proof
	for _, f := range []struct {
		key      string
		dst      *string
		required bool
	}{
		{"verificationMethod", &p.VerificationMethod, true},
		{"proofPurpose", &p.Purpose, true},
		{"proofValue", &p.ProofValue, true},
		{"challenge", &p.Challenge, false},
		{"domain", &p.Domain, false},
	} {
		if *f.dst, err = str(f.key, f.required); err != nil {
			return nil, err
		}
	}
	created, err := str("created", true)
	if err != nil {
		return nil, err
	}
	if p.Created, err = time.Parse(time.RFC3339, created); err != nil {
		return nil, fmt.Errorf("%w: proof created %q: %v", ErrMalformed, created, err)
	}
	// Ed25519Signature2020 mandates base58btc multibase ('z'); aries would
	// accept any multibase encoding of the same signature.
	if !strings.HasPrefix(p.ProofValue, "z") {
		return nil, fmt.Errorf("%w: proofValue is not base58btc multibase", ErrMalformed)
	}
	if d, frag, ok := strings.Cut(p.VerificationMethod, "#"); !ok || frag == "" || !strings.HasPrefix(d, "did:") {
		return nil, fmt.Errorf("%w: verification method %q is not a DID URL", ErrMalformed, p.VerificationMethod)
	}
	return &p, nil
}

// verifySignature checks the proof of raw with pub through aries' document
// verifier (URDNA2015 canonicalization with the offline loader).
func (p *Processor) verifySignature(raw []byte, methodID string, pub ed25519.PublicKey) error {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	dv, err := verifier.New(fixedKey{methodID, pub},
		ed25519signature2020.New(suite.WithVerifier(ed25519signature2020.NewPublicKeyVerifier())))
	if err != nil {
		return err
	}
	return guard(func() error {
		return dv.VerifyObject(doc, ariesjsonld.WithDocumentLoader(p.loader), ariesjsonld.WithValidateRDF())
	})
}

// guard runs an aries call and turns a panic into an error: aries v0.3.2 is
// archived and has unchecked type assertions on some paths; hostile input
// must give a clear error, never crash the server.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: aries panicked: %v", ErrMalformed, r)
		}
	}()
	return f()
}

// fixedKey answers aries' key lookup with the one key resolved beforehand
// (through the caller's KeyResolver, with a context and a purpose, which
// aries' interface lacks) and refuses any other method id.
type fixedKey struct {
	id  string
	pub ed25519.PublicKey
}

func (f fixedKey) Resolve(id string) (*verifier.PublicKey, error) {
	if id != f.id {
		return nil, fmt.Errorf("verification method %q was not resolved", id)
	}
	return &verifier.PublicKey{Type: "Ed25519VerificationKey2020", Value: f.pub}, nil
}

// VerifyProof verifies a signed JSON-LD document's single proof: strict
// parsing, proof shape, proof purpose, the key (resolved for purpose) and the
// signature. It returns the proof for the caller's own checks (challenge,
// domain, controller). It does not look at the document's contents; use
// Verify and VerifyPresentation for credentials and presentations.
func (p *Processor) VerifyProof(ctx context.Context, raw []byte, keys KeyResolver, purpose string) (*Proof, error) {
	if err := p.loader.strict(raw); err != nil {
		return nil, err
	}
	doc, err := decode(raw)
	if err != nil {
		return nil, err
	}
	pr, err := parseProof(doc)
	if err != nil {
		return nil, err
	}
	if pr.Purpose != purpose {
		return nil, &CheckError{Check: verdict.ProofPurpose, Err: fmt.Errorf("proof purpose %q (want %s)", pr.Purpose, purpose)}
	}
	pub, err := keys.ResolveKey(ctx, pr.VerificationMethod, purpose)
	if err != nil {
		return nil, &CheckError{Check: verdict.IssuerKey, Err: err}
	}
	if err := p.verifySignature(raw, pr.VerificationMethod, pub); err != nil {
		return nil, &CheckError{Check: verdict.Signature, Err: err}
	}
	return pr, nil
}
