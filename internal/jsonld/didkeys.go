package jsonld

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/espai/espai/internal/did"
)

// DIDKeys is the KeyResolver over DID resolution: it resolves the method's
// DID with Resolver and returns the key only if the document lists the method
// under the purpose. did.Methods resolves did:key locally (aries' fingerprint
// code) and did:web through its Web resolver.
type DIDKeys struct {
	Resolver did.Resolver
}

var _ KeyResolver = DIDKeys{}

// ResolveKey implements KeyResolver. Errors wrap did.ErrNotFound,
// did.ErrNotAuthorized or did.ErrMalformed, or the resolver's own error.
func (k DIDKeys) ResolveKey(ctx context.Context, methodID, purpose string) (ed25519.PublicKey, error) {
	if k.Resolver == nil {
		return nil, fmt.Errorf("%w: no DID resolver", did.ErrNotFound)
	}
	id, _, err := did.SplitURL(methodID)
	if err != nil {
		return nil, err
	}
	doc, err := k.Resolver.ResolveDID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", id, err)
	}
	if doc.ID != id {
		return nil, fmt.Errorf("%w: resolving %s returned the document of %s", did.ErrMalformed, id, doc.ID)
	}
	pub, err := doc.Key(methodID, purpose)
	if err != nil {
		return nil, err
	}
	ed, ok := pub.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an Ed25519 key", did.ErrNotAuthorized, methodID)
	}
	return ed, nil
}
