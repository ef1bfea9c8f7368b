package issuer

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
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
	cnf, err := bareJWK(h.JWK)
	if err != nil {
		return "", fmt.Errorf("holder key: %w", err)
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
	claims["cnf"] = map[string]any{"jwk": cnf}
	claims["status"] = map[string]any{"status_list": map[string]any{
		"idx": rec.Index,
		"uri": s.statusURI(rec.Admin, rec.List, rec.Format),
	}}
	return sdjwt.Issue(sdjwt.Signer{Key: sk.jwk, Alg: jwa.ES256, KeyID: sk.kid, Raw: sk.raw}, claims, disclosable)
}

// bareJWK is the public JWK of k with only the members that define the key
// (RFC 7638's required members): cnf needs nothing else, and a kid would add
// bytes to every presentation QR code.
func bareJWK(k jwk.Key) (map[string]any, error) {
	var raw any
	if err := k.Raw(&raw); err != nil {
		return nil, err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	switch pk := raw.(type) {
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(pk)}, nil
	case ed25519.PrivateKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(pk.Public().(ed25519.PublicKey))}, nil
	case *ecdsa.PublicKey:
		return ecJWK(pk)
	case *ecdsa.PrivateKey:
		return ecJWK(&pk.PublicKey)
	}
	return nil, fmt.Errorf("unsupported holder key type %T (want Ed25519 or P-256)", raw)
}

func ecJWK(pk *ecdsa.PublicKey) (map[string]any, error) {
	if pk.Curve != elliptic.P256() {
		return nil, fmt.Errorf("holder key curve %s, want P-256", pk.Curve.Params().Name)
	}
	b, err := pk.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "EC", "crv": "P-256", "x": b64(b[1:33]), "y": b64(b[33:])}, nil
}
