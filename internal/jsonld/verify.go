package jsonld

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
)

// wireCredential is the JSON shape of an Espai credential.
type wireCredential struct {
	ID                string          `json:"id"`
	Type              json.RawMessage `json:"type"`
	Issuer            json.RawMessage `json:"issuer"`
	IssuanceDate      string          `json:"issuanceDate"`
	ExpirationDate    *string         `json:"expirationDate"`
	CredentialSubject json.RawMessage `json:"credentialSubject"`
	CredentialStatus  json.RawMessage `json:"credentialStatus"`
}

// fields extracts the Credential from a strictly parsed document.
func fields(raw []byte) (*Credential, error) {
	var w wireCredential
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c := &Credential{ID: w.ID}
	if !absoluteIRI(c.ID) {
		return nil, fmt.Errorf("%w: credential id %q is not an absolute IRI", ErrMalformed, c.ID)
	}
	if err := json.Unmarshal(w.Type, &c.Types); err != nil || len(c.Types) < 2 || c.Types[0] != TypeVerifiableCredential {
		return nil, fmt.Errorf("%w: type must be [\"VerifiableCredential\", <Espai type>, ...]", ErrMalformed)
	}
	if err := json.Unmarshal(w.Issuer, &c.Issuer); err != nil || !strings.HasPrefix(c.Issuer, "did:") {
		return nil, fmt.Errorf("%w: issuer must be a DID string", ErrMalformed)
	}
	var err error
	if c.IssuanceDate, err = time.Parse(time.RFC3339, w.IssuanceDate); err != nil {
		return nil, fmt.Errorf("%w: issuanceDate %q: %v", ErrMalformed, w.IssuanceDate, err)
	}
	if w.ExpirationDate != nil {
		if c.ExpirationDate, err = time.Parse(time.RFC3339, *w.ExpirationDate); err != nil {
			return nil, fmt.Errorf("%w: expirationDate %q: %v", ErrMalformed, *w.ExpirationDate, err)
		}
	}
	var subject map[string]any
	if err := json.Unmarshal(w.CredentialSubject, &subject); err != nil || subject == nil {
		return nil, fmt.Errorf("%w: credentialSubject must be one object", ErrMalformed)
	}
	c.SubjectID, _ = subject["id"].(string)
	if !strings.HasPrefix(c.SubjectID, "did:") {
		return nil, fmt.Errorf("%w: credentialSubject id must be the holder's DID", ErrMalformed)
	}
	delete(subject, "id")
	c.Claims = subject
	if len(w.CredentialStatus) > 0 {
		var s StatusEntry
		dec := json.NewDecoder(strings.NewReader(string(w.CredentialStatus)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("%w: credentialStatus: %v", ErrMalformed, err)
		}
		if s.Type != TypeStatusEntry || !absoluteIRI(s.ID) || !absoluteIRI(s.StatusListCredential) ||
			s.StatusPurpose == "" || s.StatusListIndex == "" {
			return nil, fmt.Errorf("%w: credentialStatus is not a complete %s", ErrMalformed, TypeStatusEntry)
		}
		c.Status = &s
	}
	return c, nil
}

// Verify verifies a JSON-LD credential at time now. It always returns a
// verdict listing the checks that ran:
//
//   - parse: strict JSON-LD (offline loader, every term defined, no inline
//     context, absolute IRIs), aries' strict parse (no credentialSchema
//     fetch), exactly one Ed25519Signature2020 proof;
//   - proof_purpose: assertionMethod;
//   - issuer_key: the verification method belongs to the issuer DID and the
//     KeyResolver returns its key for assertionMethod;
//   - signature: the proof verifies with that key;
//   - validity: issuanceDate and proof created not after now+DefaultSkew,
//     expirationDate (when present) not before now-DefaultSkew.
//
// The credential is returned, and the error is nil, only when every check
// passed; otherwise the error is a *CheckError naming the first failed
// check. Trust in the issuer for the credential type and status are the
// caller's checks.
func (p *Processor) Verify(ctx context.Context, raw []byte, keys KeyResolver, now time.Time) (*verdict.Verdict, *Credential, error) {
	v := &verdict.Verdict{Format: string(credential.JSONLD)}
	c := p.verifyCredential(ctx, raw, keys, now, v, "")
	if err := result(v); err != nil {
		return v, nil, err
	}
	v.Claims = c.Claims
	return v, c, nil
}

// result turns an invalid verdict into its *CheckError.
func result(v *verdict.Verdict) error {
	if f := v.FirstFailure(); f != nil {
		return &CheckError{Check: f.Name, Err: errors.New(f.Detail)}
	}
	if !v.Valid {
		return &CheckError{Check: verdict.Parse, Err: errors.New("no check ran")}
	}
	return nil
}

// verifyCredential runs the credential checks into v, prefixing details with
// label (used for credentials inside a presentation). It returns the
// credential when it could be parsed.
func (p *Processor) verifyCredential(ctx context.Context, raw []byte, keys KeyResolver, now time.Time, v *verdict.Verdict, label string) *Credential {
	fail := func(check string, err error) { v.Failf(check, "%s%v", label, err) }
	pass := func(check, detail string) { v.Pass(check, label+detail) }

	c, pr, err := p.parseVC(raw)
	if err != nil {
		fail(verdict.Parse, err)
		return nil
	}
	if v.Type == "" {
		v.Type, v.Issuer = c.Type(), c.Issuer
	}
	pass(verdict.Parse, "JSON-LD VC 1.1, strict, one "+ProofType+" proof")

	if pr.Purpose == PurposeAssertion {
		pass(verdict.ProofPurpose, PurposeAssertion)
	} else {
		fail(verdict.ProofPurpose, fmt.Errorf("proof purpose %q, want %s", pr.Purpose, PurposeAssertion))
	}

	if pr.Controller() != c.Issuer {
		fail(verdict.IssuerKey, fmt.Errorf("verification method %s does not belong to issuer %s", pr.VerificationMethod, c.Issuer))
	} else if pub, err := keys.ResolveKey(ctx, pr.VerificationMethod, PurposeAssertion); err != nil {
		fail(verdict.IssuerKey, fmt.Errorf("%s: %w", pr.VerificationMethod, err))
	} else {
		pass(verdict.IssuerKey, pr.VerificationMethod)
		if err := p.verifySignature(raw, pr.VerificationMethod, pub); err != nil {
			fail(verdict.Signature, err)
		} else {
			pass(verdict.Signature, ProofType)
		}
	}

	if err := validity(c, pr, now); err != nil {
		fail(verdict.Validity, err)
	} else {
		pass(verdict.Validity, validityDetail(c))
	}
	return c
}

// parseVC runs every parse step on a credential.
func (p *Processor) parseVC(raw []byte) (*Credential, *Proof, error) {
	if err := p.loader.strict(raw); err != nil {
		return nil, nil, err
	}
	doc, err := decode(raw)
	if err != nil {
		return nil, nil, err
	}
	pr, err := parseProof(doc)
	if err != nil {
		return nil, nil, err
	}
	c, err := fields(raw)
	if err != nil {
		return nil, nil, err
	}
	if _, err := p.parseCredential(raw); err != nil {
		return nil, nil, err
	}
	return c, pr, nil
}

func validity(c *Credential, pr *Proof, now time.Time) error {
	latest := now.Add(DefaultSkew)
	if c.IssuanceDate.After(latest) {
		return fmt.Errorf("issued in the future (%s)", timestamp(c.IssuanceDate))
	}
	if pr.Created.After(latest) {
		return fmt.Errorf("proof created in the future (%s)", timestamp(pr.Created))
	}
	if !c.ExpirationDate.IsZero() && !c.ExpirationDate.After(now.Add(-DefaultSkew)) {
		return fmt.Errorf("expired at %s", timestamp(c.ExpirationDate))
	}
	return nil
}

func validityDetail(c *Credential) string {
	if c.ExpirationDate.IsZero() {
		return "issued " + timestamp(c.IssuanceDate) + ", no expiry"
	}
	return "issued " + timestamp(c.IssuanceDate) + ", expires " + timestamp(c.ExpirationDate)
}
