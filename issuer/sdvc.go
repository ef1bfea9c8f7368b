package issuer

import (
	"context"
	"fmt"
	"slices"

	"github.com/espai/espai/internal/sdjwt"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// plaintextClaims are never selectively disclosable: the verifier needs them
// before it looks at any disclosure (SD-JWT VC §3.2.2.2).
var plaintextClaims = []string{"iss", "vct", "iat", "nbf", "exp", "cnf", "status"}

// signSDJWT signs an SD-JWT VC (typ dc+sd-jwt) with the administration's
// ES256 key. Every personal claim is selectively disclosable; iss, vct, iat,
// exp, cnf (the holder's key) and status are plaintext.
func (s *Service) signSDJWT(ctx context.Context, rec *Record, sub *subject, h *Holder) (string, error) {
	if h == nil || h.JWK == nil {
		return "", fmt.Errorf("%w: an SD-JWT VC is bound to its holder's key; the citizen has no wallet (enrol first)", ErrNoHolder)
	}
	sk, err := s.signer(ctx, rec.Admin, algES256)
	if err != nil {
		return "", err
	}
	pub, err := h.JWK.PublicKey()
	if err != nil {
		return "", fmt.Errorf("holder key: %w", err)
	}
	// cnf carries the bare key: a kid (the wallet's thumbprint) adds bytes
	// to every presentation QR code and nothing a verifier needs.
	for _, k := range []string{jwk.KeyIDKey, jwk.AlgorithmKey, jwk.KeyUsageKey, jwk.KeyOpsKey} {
		_ = pub.Remove(k)
	}
	claims := make(map[string]any, len(sub.claims)+6)
	disclosable := make([]string, 0, len(sub.claims))
	for k, v := range sub.claims {
		if slices.Contains(plaintextClaims, k) {
			return "", fmt.Errorf("claim %q clashes with a registered SD-JWT VC claim", k)
		}
		claims[k] = v
		disclosable = append(disclosable, k)
	}
	slices.Sort(disclosable)
	claims["iss"] = sk.issuer
	claims["vct"] = rec.Type.VCT()
	claims["iat"] = rec.IssuedAt.Unix()
	if !rec.ExpiresAt.IsZero() {
		claims["exp"] = rec.ExpiresAt.Unix()
	}
	claims["cnf"] = map[string]any{"jwk": pub}
	claims["status"] = map[string]any{"status_list": map[string]any{
		"idx": rec.Index,
		"uri": s.statusURI(rec.Admin, rec.List, rec.Format),
	}}
	return sdjwt.Issue(sdjwt.Signer{Key: sk.jwk, Alg: jwa.ES256, KeyID: sk.kid, Raw: sk.raw}, claims, disclosable)
}
