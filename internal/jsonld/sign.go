package jsonld

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/signer"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
	"github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"
)

// ProofOptions are the proof fields a signer chooses.
type ProofOptions struct {
	// Purpose is PurposeAssertion or PurposeAuthentication. Required.
	Purpose string
	// Created is the proof's creation time (whole seconds, UTC). Required:
	// the caller's clock, never time.Now inside this package.
	Created time.Time
	// Challenge and Domain bind a presentation to a verifier's request
	// (its nonce and its identifier). Empty for credentials.
	Challenge string
	Domain    string
}

func (o ProofOptions) validate() error {
	if o.Purpose != PurposeAssertion && o.Purpose != PurposeAuthentication {
		return fmt.Errorf("%w: proof purpose %q", ErrBadSigner, o.Purpose)
	}
	if o.Created.IsZero() {
		return fmt.Errorf("%w: proof created time is zero", ErrBadSigner)
	}
	return nil
}

func (o ProofOptions) ldpContext(s Signer) *verifiable.LinkedDataProofContext {
	created := o.Created.UTC().Truncate(time.Second)
	return &verifiable.LinkedDataProofContext{
		SignatureType:           ProofType,
		Suite:                   ed25519signature2020.New(suite.WithSigner(edSigner{s.Key})),
		SignatureRepresentation: verifiable.SignatureProofValue,
		Created:                 &created,
		VerificationMethod:      s.MethodID,
		Purpose:                 o.Purpose,
		Challenge:               o.Challenge,
		Domain:                  o.Domain,
	}
}

// Sign adds an Ed25519Signature2020 proof to a JSON-LD document (a status
// list credential, a presentation, any Espai document) and returns the signed
// JSON. The document is checked with the same strict rules as verification
// first, so nothing unsigned can slip in; a document that already has a proof
// is refused (Espai documents carry exactly one).
func (p *Processor) Sign(ctx context.Context, doc []byte, s Signer, o ProofOptions) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	m, err := decode(doc)
	if err != nil {
		return nil, err
	}
	if _, ok := m["proof"]; ok {
		return nil, fmt.Errorf("%w: document already has a proof", ErrMalformed)
	}
	if err := p.loader.strict(doc); err != nil {
		return nil, err
	}
	c := o.ldpContext(s)
	var out []byte
	err = guard(func() (err error) {
		out, err = signer.New(c.Suite).Sign(&signer.Context{
			SignatureType:      c.SignatureType,
			Created:            c.Created,
			VerificationMethod: c.VerificationMethod,
			Purpose:            c.Purpose,
			Challenge:          c.Challenge,
			Domain:             c.Domain,
		}, doc, ariesjsonld.WithDocumentLoader(p.loader))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("jsonld: sign: %w", err)
	}
	// aries appends the proof as a one-element array; Espai documents carry
	// one proof object, as Issue writes it (same signed data: proof is not
	// part of the canonicalized document and an array of one expands alike).
	signed, err := decode(out)
	if err != nil {
		return nil, err
	}
	if a, ok := signed["proof"].([]any); ok && len(a) == 1 {
		signed["proof"] = a[0]
	}
	return marshalDoc(signed)
}

// marshalDoc turns a document built in Go into JSON.
func marshalDoc(m map[string]any) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b, nil
}
