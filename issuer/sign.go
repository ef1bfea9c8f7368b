package issuer

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// SignJWT signs claims as administration admin with its current ES256 key,
// with the given typ header and kid = the key's DID URL. Verifiers use it to
// sign presentation requests; the key is the one their DID document lists.
func (s *Service) SignJWT(ctx context.Context, admin, typ string, claims any) (string, error) {
	sk, err := s.signer(ctx, admin, algES256)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", typ, err)
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, typ)
	_ = h.Set(jws.KeyIDKey, sk.kid)
	out, err := jws.Sign(payload, jws.WithKey(jwa.ES256, sk.jwk, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", typ, err)
	}
	return string(out), nil
}
