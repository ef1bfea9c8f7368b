package jsonld

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
)

// TypeVerifiablePresentation is the type of every presentation.
const TypeVerifiablePresentation = "VerifiablePresentation"

// DefaultMaxPresentationAge is how old a presentation's proof may be when
// PresentationRequest.MaxAge is zero: long enough to scan a QR code and post
// it, short enough that a captured presentation is soon useless (the nonce
// is the main replay defence).
const DefaultMaxPresentationAge = 5 * time.Minute

// PresentationRequest is what the verifier expects of a presentation.
type PresentationRequest struct {
	Challenge string        // the verifier's single-use nonce; required
	Domain    string        // the verifier's identifier (audience); required
	MaxAge    time.Duration // zero means DefaultMaxPresentationAge
}

// Presentation is a verified presentation.
type Presentation struct {
	Holder      string        // the holder's DID
	Proof       Proof         // the holder's proof
	Credentials []*Credential // every embedded credential, each verified
}

// Present wraps credentials (each the JSON an Issue returned) in a
// presentation signed by the holder: Ed25519Signature2020, proofPurpose
// authentication, the verifier's challenge and domain, created at created.
// The presentation's holder is the signer's DID.
func (p *Processor) Present(ctx context.Context, holder Signer, credentials [][]byte, challenge, domain string, created time.Time) ([]byte, error) {
	if challenge == "" || domain == "" {
		return nil, fmt.Errorf("%w: a presentation needs the verifier's challenge and domain", ErrMalformed)
	}
	if len(credentials) == 0 {
		return nil, fmt.Errorf("%w: a presentation needs at least one credential", ErrMalformed)
	}
	if err := holder.validate(); err != nil {
		return nil, err
	}
	vcs := make([]any, len(credentials))
	for i, raw := range credentials {
		m, err := decode(raw)
		if err != nil {
			return nil, fmt.Errorf("credential %d: %w", i, err)
		}
		vcs[i] = m
	}
	doc, err := marshalDoc(map[string]any{
		"@context":             []any{ContextCredentialsV1, ContextEd25519Signature2020},
		"type":                 []any{TypeVerifiablePresentation},
		"holder":               holder.DID(),
		"verifiableCredential": vcs,
	})
	if err != nil {
		return nil, err
	}
	return p.Sign(ctx, doc, holder, ProofOptions{
		Purpose: PurposeAuthentication, Created: created, Challenge: challenge, Domain: domain,
	})
}

// wirePresentation is the JSON shape of an Espai presentation.
type wirePresentation struct {
	Type                 []string          `json:"type"`
	Holder               string            `json:"holder"`
	VerifiableCredential []json.RawMessage `json:"verifiableCredential"`
}

// VerifyPresentation verifies a presentation against the verifier's request
// at time now. aries checks the presentation's signature only; this adds
// every check it omits, each in the verdict:
//
//   - parse: strict JSON-LD over the whole presentation (embedded
//     credentials included), aries' strict parse, exactly one proof;
//   - proof_purpose: authentication;
//   - holder_binding: the proof's method belongs to the holder DID and is
//     listed for authentication; every credential's subject is the holder;
//   - signature: the holder's proof verifies;
//   - nonce / audience: challenge and domain equal the request's;
//   - freshness: proof created within MaxAge before now (DefaultSkew ahead);
//   - then every embedded credential goes through Verify's checks (details
//     prefixed "credential N: "): an unsigned credential fails.
//
// The presentation is returned, and the error is nil, only when every check
// passed. Replay (a nonce used twice) is the caller's to refuse: the nonce
// store lives with the request.
func (p *Processor) VerifyPresentation(ctx context.Context, raw []byte, keys KeyResolver, req PresentationRequest, now time.Time) (*verdict.Verdict, *Presentation, error) {
	v := &verdict.Verdict{Format: string(credential.JSONLD)}
	vp, pr, vcs, err := p.parseVP(raw)
	if err != nil {
		v.Fail(verdict.Parse, err)
		return v, nil, result(v)
	}
	v.Pass(verdict.Parse, fmt.Sprintf("JSON-LD VP 1.1, strict, %d credential(s)", len(vcs)))

	if pr.Purpose == PurposeAuthentication {
		v.Pass(verdict.ProofPurpose, PurposeAuthentication)
	} else {
		v.Failf(verdict.ProofPurpose, "proof purpose %q, want %s", pr.Purpose, PurposeAuthentication)
	}

	if pr.Controller() != vp.Holder {
		v.Failf(verdict.HolderBinding, "verification method %s does not belong to holder %s", pr.VerificationMethod, vp.Holder)
	} else if pub, err := keys.ResolveKey(ctx, pr.VerificationMethod, PurposeAuthentication); err != nil {
		v.Failf(verdict.HolderBinding, "%s: %v", pr.VerificationMethod, err)
	} else {
		v.Pass(verdict.HolderBinding, pr.VerificationMethod)
		if err := p.verifySignature(raw, pr.VerificationMethod, pub); err != nil {
			v.Fail(verdict.Signature, err)
		} else {
			v.Pass(verdict.Signature, ProofType+" by the holder")
		}
	}

	switch {
	case req.Challenge == "":
		v.Failf(verdict.Nonce, "the request has no challenge")
	case pr.Challenge != req.Challenge:
		v.Failf(verdict.Nonce, "challenge does not match the request")
	default:
		v.Pass(verdict.Nonce, "challenge matches")
	}
	switch {
	case req.Domain == "":
		v.Failf(verdict.Audience, "the request has no domain")
	case pr.Domain != req.Domain:
		v.Failf(verdict.Audience, "domain %q, want %q", pr.Domain, req.Domain)
	default:
		v.Pass(verdict.Audience, pr.Domain)
	}
	maxAge := req.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxPresentationAge
	}
	switch {
	case pr.Created.After(now.Add(DefaultSkew)):
		v.Failf(verdict.Freshness, "created in the future (%s)", timestamp(pr.Created))
	case pr.Created.Before(now.Add(-maxAge)):
		v.Failf(verdict.Freshness, "created %s, older than %s", timestamp(pr.Created), maxAge)
	default:
		v.Pass(verdict.Freshness, "created "+timestamp(pr.Created))
	}

	out := &Presentation{Holder: vp.Holder, Proof: *pr}
	for i, vc := range vcs {
		label := fmt.Sprintf("credential %d: ", i)
		c := p.verifyCredential(ctx, vc, keys, now, v, label)
		if c == nil {
			continue
		}
		if c.SubjectID != vp.Holder {
			v.Failf(verdict.HolderBinding, "%ssubject %s is not the holder %s", label, c.SubjectID, vp.Holder)
		}
		out.Credentials = append(out.Credentials, c)
	}
	if err := result(v); err != nil {
		return v, nil, err
	}
	v.Claims = presentedClaims(out.Credentials)
	return v, out, nil
}

// parseVP runs the parse steps of a presentation and returns its embedded
// credentials as JSON.
func (p *Processor) parseVP(raw []byte) (*wirePresentation, *Proof, [][]byte, error) {
	if err := p.loader.strict(raw); err != nil {
		return nil, nil, nil, err
	}
	doc, err := decode(raw)
	if err != nil {
		return nil, nil, nil, err
	}
	pr, err := parseProof(doc)
	if err != nil {
		return nil, nil, nil, err
	}
	var w wirePresentation
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: presentation shape: %v", ErrMalformed, err)
	}
	if len(w.Type) != 1 || w.Type[0] != TypeVerifiablePresentation {
		return nil, nil, nil, fmt.Errorf("%w: type must be [\"%s\"]", ErrMalformed, TypeVerifiablePresentation)
	}
	if !strings.HasPrefix(w.Holder, "did:") {
		return nil, nil, nil, fmt.Errorf("%w: holder must be a DID", ErrMalformed)
	}
	if len(w.VerifiableCredential) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: no verifiableCredential", ErrMalformed)
	}
	vcs := make([][]byte, len(w.VerifiableCredential))
	for i, vc := range w.VerifiableCredential {
		if len(vc) == 0 || vc[0] != '{' {
			return nil, nil, nil, fmt.Errorf("%w: credential %d is not an embedded JSON-LD credential", ErrMalformed, i)
		}
		vcs[i] = vc
	}
	if err := guard(func() error {
		_, err := verifiable.ParsePresentation(raw,
			verifiable.WithPresDisabledProofCheck(),
			verifiable.WithPresStrictValidation(),
			verifiable.WithPresJSONLDDocumentLoader(p.loader),
		)
		return err
	}); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &w, pr, vcs, nil
}

// presentedClaims is the verdict's claims: the credential's claims for a
// single credential, claims by credential type for several.
func presentedClaims(cs []*Credential) map[string]any {
	if len(cs) == 1 {
		return cs[0].Claims
	}
	out := make(map[string]any, len(cs))
	for _, c := range cs {
		out[c.Type()] = c.Claims
	}
	return out
}
