package jsonld

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"time"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"
)

// TypeVerifiableCredential is the base type every credential carries first.
const TypeVerifiableCredential = "VerifiableCredential"

// Credential is a W3C VC 1.1 credential as Espai issues it: what Issue takes
// and what Verify returns.
type Credential struct {
	// ID is the credential id, a "urn:uuid:" IRI (see NewID).
	ID string
	// Types lists the credential types; "VerifiableCredential" comes first
	// (Issue adds it when missing), then the Espai type, e.g.
	// "CensusCredential".
	Types []string
	// Issuer is the issuer's DID; the proof's verification method must
	// belong to it.
	Issuer string
	// IssuanceDate and ExpirationDate bound validity; a zero ExpirationDate
	// means the credential does not expire (a university degree).
	IssuanceDate   time.Time
	ExpirationDate time.Time
	// SubjectID is the holder's DID (did:key or did:jwk).
	SubjectID string
	// Claims is the credentialSubject without its id. Values are what
	// encoding/json produces: string, float64, bool, []any, map[string]any.
	// Every key must be a term of Espai's context.
	Claims map[string]any
	// Status is the credential's Bitstring Status List entry, nil if none.
	// The VC 1.1 data model as aries implements it allows one entry.
	Status *StatusEntry
}

// StatusEntry is a BitstringStatusListEntry.
type StatusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"` // "BitstringStatusListEntry"
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
	// StatusSize and StatusMessage describe a multi-bit entry (statusPurpose
	// "message"): Espai publishes 2 bits per credential, 0x0 valid, 0x1
	// revoked, 0x2 suspended, because aries' VC 1.1 allows one status entry
	// and a credential must be revocable and suspendable.
	StatusSize    int             `json:"statusSize,omitempty"`
	StatusMessage []StatusMessage `json:"statusMessage,omitempty"`
}

// StatusMessage names one value of a multi-bit status entry.
type StatusMessage struct {
	Status  string `json:"status"`  // "0x0"
	Message string `json:"message"` // "valid"
}

// TypeStatusEntry is the type of a StatusEntry.
const TypeStatusEntry = "BitstringStatusListEntry"

// LogValue keeps personal data out of logs: only identifiers are logged.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", c.ID),
		slog.Any("types", c.Types),
		slog.String("issuer", c.Issuer),
		slog.Int("claims", len(c.Claims)),
	)
}

// Type returns the credential's most specific type: the first one that is
// not VerifiableCredential.
func (c *Credential) Type() string {
	for _, t := range c.Types {
		if t != TypeVerifiableCredential {
			return t
		}
	}
	return ""
}

// NewID returns a fresh random credential id "urn:uuid:<v4 UUID>".
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// document renders c as JSON-LD (without proof).
func (c Credential) document() (map[string]any, error) {
	if !absoluteIRI(c.ID) {
		return nil, fmt.Errorf("%w: credential id %q is not an absolute IRI", ErrMalformed, c.ID)
	}
	types := c.Types
	if len(types) == 0 || types[0] != TypeVerifiableCredential {
		types = append([]string{TypeVerifiableCredential}, types...)
	}
	if len(types) < 2 {
		return nil, fmt.Errorf("%w: credential has no Espai type", ErrMalformed)
	}
	if !strings.HasPrefix(c.Issuer, "did:") {
		return nil, fmt.Errorf("%w: issuer %q is not a DID", ErrMalformed, c.Issuer)
	}
	if !strings.HasPrefix(c.SubjectID, "did:") {
		return nil, fmt.Errorf("%w: subject id %q is not a DID", ErrMalformed, c.SubjectID)
	}
	if c.IssuanceDate.IsZero() {
		return nil, fmt.Errorf("%w: issuance date is zero", ErrMalformed)
	}
	subject := make(map[string]any, len(c.Claims)+1)
	for k, v := range c.Claims {
		if k == "id" {
			return nil, fmt.Errorf("%w: claims must not hold \"id\" (use SubjectID)", ErrMalformed)
		}
		subject[k] = v
	}
	subject["id"] = c.SubjectID
	anyTypes := make([]any, len(types))
	for i, t := range types {
		anyTypes[i] = t
	}
	m := map[string]any{
		"@context":          []any{ContextCredentialsV1, ContextEd25519Signature2020, ContextEspaiV1},
		"id":                c.ID,
		"type":              anyTypes,
		"issuer":            c.Issuer,
		"issuanceDate":      timestamp(c.IssuanceDate),
		"credentialSubject": subject,
	}
	if !c.ExpirationDate.IsZero() {
		if !c.ExpirationDate.After(c.IssuanceDate) {
			return nil, fmt.Errorf("%w: expiration date is not after issuance date", ErrMalformed)
		}
		m["expirationDate"] = timestamp(c.ExpirationDate)
	}
	if s := c.Status; s != nil {
		if s.Type != TypeStatusEntry {
			return nil, fmt.Errorf("%w: status entry type %q (want %s)", ErrMalformed, s.Type, TypeStatusEntry)
		}
		entry := map[string]any{
			"id":                   s.ID,
			"type":                 s.Type,
			"statusPurpose":        s.StatusPurpose,
			"statusListIndex":      s.StatusListIndex,
			"statusListCredential": s.StatusListCredential,
		}
		if s.StatusSize > 0 {
			entry["statusSize"] = s.StatusSize
			var msgs []any
			for _, sm := range s.StatusMessage {
				msgs = append(msgs, map[string]any{"status": sm.Status, "message": sm.Message})
			}
			entry["statusMessage"] = msgs
		}
		m["credentialStatus"] = entry
	}
	return m, nil
}

// Issue renders c as a JSON-LD VC 1.1 credential, parses it strictly through
// aries (undefined terms are refused here, at issuance, not found later by a
// verifier), signs it with an Ed25519Signature2020 proof (purpose
// assertionMethod, created = c.IssuanceDate) and returns the JSON. The signer's
// method must belong to c.Issuer.
func (p *Processor) Issue(ctx context.Context, c Credential, s Signer) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	if s.DID() != c.Issuer {
		return nil, fmt.Errorf("%w: method %s does not belong to issuer %s", ErrBadSigner, s.MethodID, c.Issuer)
	}
	m, err := c.document()
	if err != nil {
		return nil, err
	}
	raw, err := marshalDoc(m)
	if err != nil {
		return nil, err
	}
	if err := p.loader.strict(raw); err != nil {
		return nil, err
	}
	vc, err := p.parseCredential(raw)
	if err != nil {
		return nil, err
	}
	o := ProofOptions{Purpose: PurposeAssertion, Created: c.IssuanceDate}
	if err := guard(func() error {
		return vc.AddLinkedDataProof(o.ldpContext(s), ariesjsonld.WithDocumentLoader(p.loader))
	}); err != nil {
		return nil, fmt.Errorf("jsonld: sign credential: %w", err)
	}
	out, err := vc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("jsonld: marshal credential: %w", err)
	}
	return out, nil
}

// parseCredential is aries' strict parse without the proof check (the
// verifier runs the signature check itself, as a separate verdict step):
// offline loader, no credentialSchema fetch, strict JSON-LD validation.
func (p *Processor) parseCredential(raw []byte) (*verifiable.Credential, error) {
	var vc *verifiable.Credential
	err := guard(func() (err error) {
		vc, err = verifiable.ParseCredential(raw,
			verifiable.WithDisabledProofCheck(),
			verifiable.WithStrictValidation(),
			verifiable.WithNoCustomSchemaCheck(),
			verifiable.WithJSONLDDocumentLoader(p.loader),
		)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return vc, nil
}
