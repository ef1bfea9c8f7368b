package jsonld

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"
)

// Proof purposes (W3C Data Integrity verification relationships).
const (
	PurposeAssertion      = "assertionMethod" // credentials and status lists
	PurposeAuthentication = "authentication"  // presentations
)

// ProofType is the only Data Integrity proof type Espai writes and accepts.
const ProofType = "Ed25519Signature2020"

// DefaultSkew bounds the clock difference tolerated between an issuer or a
// holder and this verifier: an issuanceDate or proof created up to 60 s in the
// future is accepted, an expirationDate is honoured 60 s late. Phones and
// servers synchronised by NTP stay well within it; anything larger is refused.
const DefaultSkew = 60 * time.Second

// Processor issues, signs and verifies Espai's JSON-LD documents with the
// offline loader. It holds no mutable state: share one per process.
type Processor struct {
	loader *Loader
}

// NewProcessor builds the offline loader and returns a processor using it.
func NewProcessor() (*Processor, error) {
	l, err := NewLoader()
	if err != nil {
		return nil, err
	}
	return &Processor{loader: l}, nil
}

// NewProcessorWithLoader returns a processor sharing an existing loader.
func NewProcessorWithLoader(l *Loader) (*Processor, error) {
	if l == nil {
		return nil, fmt.Errorf("jsonld: nil loader")
	}
	return &Processor{loader: l}, nil
}

// Loader returns the processor's offline document loader (for other aries
// calls, which must always be given one).
func (p *Processor) Loader() *Loader { return p.loader }

// Signer is an Ed25519 key and the DID URL of its verification method, e.g.
// "did:web:espai.localhost:issuers:atc#key-1" or a did:key method id.
type Signer struct {
	MethodID string
	Key      ed25519.PrivateKey
}

// DID is the DID the method belongs to (the part before '#').
func (s Signer) DID() string {
	d, _, _ := strings.Cut(s.MethodID, "#")
	return d
}

func (s Signer) validate() error {
	if len(s.Key) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: Ed25519 private key has %d bytes", ErrBadSigner, len(s.Key))
	}
	d, frag, ok := strings.Cut(s.MethodID, "#")
	if !ok || frag == "" || !strings.HasPrefix(d, "did:") || strings.ContainsAny(frag, "#/?") {
		return fmt.Errorf("%w: verification method %q is not a DID URL did:...#fragment", ErrBadSigner, s.MethodID)
	}
	return nil
}

// edSigner is the aries suite signer for an Ed25519 key.
type edSigner struct{ key ed25519.PrivateKey }

func (e edSigner) Sign(data []byte) ([]byte, error) { return ed25519.Sign(e.key, data), nil }
func (e edSigner) Alg() string                      { return "EdDSA" }

// timestamp formats t as an XML Schema dateTime in UTC, whole seconds: the
// form issuanceDate, expirationDate and created take in every Espai document.
func timestamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
