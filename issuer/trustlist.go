package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/espai/espai/internal/trust"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// trustListLifetime is how long a signed trust list is valid. A day lets
// verifiers keep working through an outage of the publisher, and a removed
// administration stops being trusted within a day.
const trustListLifetime = 24 * time.Hour

// TrustList returns the current trust list signed by the scheme operator.
func (s *Service) TrustList(ctx context.Context) (string, error) {
	op, err := s.operator(ctx)
	if err != nil {
		return "", err
	}
	admins, err := s.Administrations(ctx)
	if err != nil {
		return "", err
	}
	now := s.now()
	l := &trust.List{Issuer: s.DID(op.ID), IssuedAt: now.Unix(), Expires: now.Add(trustListLifetime).Unix()}
	for _, a := range admins {
		e := trust.Entity{ID: s.DID(a.ID), Admin: a.ID, Name: a.Name, Purposes: a.Purposes}
		for _, t := range a.Types {
			e.Types = append(e.Types, string(t))
		}
		l.Entities = append(l.Entities, e)
	}
	sk, err := s.signer(ctx, op.ID, algES256)
	if err != nil {
		return "", err
	}
	return trust.Sign(l, sk.jwk)
}

// TrustAnchors returns the operator's public ES256 keys (every generation):
// the keys a verifier of this deployment pins.
func (s *Service) TrustAnchors(ctx context.Context) ([]jwk.Key, error) {
	op, err := s.operator(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := s.keys(op.ID)
	if err != nil {
		return nil, err
	}
	var out []jwk.Key
	for _, k := range keys {
		if k.Alg != algES256 {
			continue
		}
		pub, err := jwk.ParseKey(k.Public)
		if err != nil {
			return nil, fmt.Errorf("operator key %s: %w", k.KID, err)
		}
		out = append(out, pub)
	}
	return out, nil
}
