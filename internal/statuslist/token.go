package statuslist

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/espai/espai/internal/sdjwt"
)

// TypToken is the JWS typ of a Status List Token (§5.1).
const TypToken = "statuslist+jwt"

// ClockSkew is the tolerance on iat and exp of a Status List Token: 60 s, as
// for credentials (sdjwt.ClockSkew).
const ClockSkew = sdjwt.ClockSkew

// Token is a Status List Token: the list published at URI (the sub claim)
// by Issuer, issued at IssuedAt, valid until Expiry (zero: no exp) and to be
// cached for at most TTL (zero: no ttl claim).
type Token struct {
	Issuer   string
	URI      string
	IssuedAt time.Time
	Expiry   time.Time
	TTL      time.Duration
	List     *List
	// KeyID is the kid the token was signed under (set by VerifyToken).
	KeyID string
}

type tokenClaims struct {
	Iss        string `json:"iss,omitempty"`
	Sub        string `json:"sub"`
	Iat        int64  `json:"iat"`
	Exp        int64  `json:"exp,omitempty"`
	TTL        int64  `json:"ttl,omitempty"`
	StatusList Claim  `json:"status_list"`
}

// SignToken signs t as a Status List Token JWT (typ statuslist+jwt, kid of
// s) with claims iss, sub = t.URI, iat, exp, ttl (seconds) and status_list.
func SignToken(s sdjwt.Signer, t Token) (string, error) {
	if t.URI == "" || t.Issuer == "" || t.List == nil || t.IssuedAt.IsZero() {
		return "", fmt.Errorf("statuslist: a token needs an issuer, a URI, a list and iat")
	}
	c, err := t.List.Encode()
	if err != nil {
		return "", err
	}
	claims := tokenClaims{Iss: t.Issuer, Sub: t.URI, Iat: t.IssuedAt.Unix(), TTL: int64(t.TTL / time.Second), StatusList: c}
	if !t.Expiry.IsZero() {
		claims.Exp = t.Expiry.Unix()
	}
	return sdjwt.SignJWT(s, TypToken, claims)
}

// VerifyToken verifies a Status List Token fetched from uri and decodes its
// list, refusing a lst that inflates beyond maxBytes (0: DefaultMaxBytes).
// It checks: the JWS header (no alg none or MAC, no jku/x5u/jwk/x5c/b64/crit,
// plain kid; see sdjwt.ParseJWT), typ statuslist+jwt, a key from keys for
// (iss, kid) with the algorithm pinned to the key type, the signature, sub
// equal to uri, iat not after now+ClockSkew, exp (when present) after
// now-ClockSkew, ttl a non-negative integer. Errors wrap ErrInvalidToken,
// ErrMalformed or ErrTooLarge; the caller must also check that Issuer is the
// credential's issuer.
func VerifyToken(ctx context.Context, raw, uri string, keys sdjwt.IssuerKeys, now time.Time, maxBytes int) (*Token, error) {
	h, payload, err := sdjwt.ParseJWT(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if h.Typ != TypToken {
		return nil, fmt.Errorf("%w: typ %q, want %s", ErrInvalidToken, h.Typ, TypToken)
	}
	if h.Kid == "" {
		return nil, fmt.Errorf("%w: no kid", ErrInvalidToken)
	}
	iss, ok := payload["iss"].(string)
	if !ok || iss == "" {
		return nil, fmt.Errorf("%w: no iss: the signer cannot be identified", ErrInvalidToken)
	}
	if keys == nil {
		return nil, fmt.Errorf("%w: no key lookup configured", ErrInvalidToken)
	}
	key, err := keys.IssuerKey(ctx, iss, h.Kid)
	if err != nil {
		return nil, fmt.Errorf("%w: no key %s for %s: %w", ErrInvalidToken, h.Kid, iss, err)
	}
	if err := sdjwt.VerifyJWS(raw, h, key.Key, key.Algs); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	t := &Token{Issuer: iss, KeyID: h.Kid}
	if t.URI, ok = payload["sub"].(string); !ok || t.URI != uri {
		return nil, fmt.Errorf("%w: sub %v is not the list's URI %s", ErrInvalidToken, payload["sub"], uri)
	}
	iat, err := seconds(payload, "iat", true)
	if err != nil {
		return nil, err
	}
	t.IssuedAt = time.Unix(iat, 0)
	if t.IssuedAt.After(now.Add(ClockSkew)) {
		return nil, fmt.Errorf("%w: issued in the future (%s)", ErrInvalidToken, t.IssuedAt.UTC().Format(time.RFC3339))
	}
	if exp, err := seconds(payload, "exp", false); err != nil {
		return nil, err
	} else if exp != 0 {
		t.Expiry = time.Unix(exp, 0)
		if !t.Expiry.After(now.Add(-ClockSkew)) {
			return nil, fmt.Errorf("%w: expired at %s", ErrInvalidToken, t.Expiry.UTC().Format(time.RFC3339))
		}
	}
	ttl, err := seconds(payload, "ttl", false)
	if err != nil {
		return nil, err
	}
	t.TTL = time.Duration(ttl) * time.Second
	sl, ok := payload["status_list"]
	if !ok {
		return nil, fmt.Errorf("%w: no status_list", ErrMalformed)
	}
	b, err := json.Marshal(sl)
	if err != nil {
		return nil, fmt.Errorf("%w: status_list: %v", ErrMalformed, err)
	}
	var c Claim
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: status_list: %v", ErrMalformed, err)
	}
	if t.List, err = c.Decode(maxBytes); err != nil {
		return nil, err
	}
	return t, nil
}

// seconds reads a non-negative integer claim (NumericDate or ttl).
func seconds(p map[string]any, name string, required bool) (int64, error) {
	v, present := p[name]
	if !present {
		if required {
			return 0, fmt.Errorf("%w: no %s", ErrInvalidToken, name)
		}
		return 0, nil
	}
	f, ok := v.(float64)
	if !ok || f < 0 || f > 1e11 || f != math.Trunc(f) {
		return 0, fmt.Errorf("%w: %s is not a non-negative integer", ErrMalformed, name)
	}
	return int64(f), nil
}
