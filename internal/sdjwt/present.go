package sdjwt

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
)

// DefaultMaxAge is the freshness window of a key-binding JWT when a
// PresentationRequest leaves MaxAge zero: 5 minutes, time to scan a QR code
// and post it back, short enough to limit replay to the nonce cache's span.
const DefaultMaxAge = 5 * time.Minute

// PresentationRequest is what the verifier asked for. Audience and Nonce are
// required; MaxAge zero means DefaultMaxAge. Single use of the nonce is the
// caller's check (its nonce store).
type PresentationRequest struct {
	Audience string
	Nonce    string
	MaxAge   time.Duration
}

func (q PresentationRequest) validate() (time.Duration, error) {
	if q.Audience == "" || q.Nonce == "" {
		return 0, fmt.Errorf("%w: audience and nonce are required", ErrBadRequest)
	}
	switch {
	case q.MaxAge < 0:
		return 0, fmt.Errorf("%w: negative MaxAge", ErrBadRequest)
	case q.MaxAge == 0:
		return DefaultMaxAge, nil
	}
	return q.MaxAge, nil
}

// Present makes a presentation of an issued SD-JWT: it keeps only the
// disclosures needed for the requested claims (a requested path brings the
// disclosures of its parents and of everything inside it; a plaintext claim
// needs none) and appends a key-binding JWT (typ kb+jwt; aud, nonce, iat =
// now, sd_hash over the presented "<jwt>~<d>~...~") signed by holder, whose
// public key must be the credential's cnf.jwk. It returns ErrUnknownClaim
// when the credential holds no such claim.
func Present(issued string, claims []string, holder Signer, aud, nonce string, now time.Time) (string, error) {
	if aud == "" || nonce == "" {
		return "", fmt.Errorf("%w: audience and nonce are required", ErrBadRequest)
	}
	sd, err := Parse(issued)
	if err != nil {
		return "", err
	}
	if sd.KeyBinding != "" {
		return "", fmt.Errorf("%w: already a presentation (has a key-binding JWT)", ErrMalformed)
	}
	_, payload, err := ParseJWT(sd.IssuerJWT)
	if err != nil {
		return "", err
	}
	rec, err := reconstruct(payload, sd.Disclosures)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	key, _, err := holder.prepare()
	if err != nil {
		return "", err
	}
	if cnf, present := payload["cnf"]; present {
		ck, err := confirmationKey(cnf)
		if err != nil {
			return "", err
		}
		pub, err := publicKey(ck)
		if err != nil {
			return "", err
		}
		if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(key.Public()) {
			return "", fmt.Errorf("%w: the holder key is not the credential's cnf.jwk", ErrBadSigner)
		}
	}

	keep := make(map[int]bool, len(sd.Disclosures))
	for _, c := range claims {
		found := false
		for i, p := range rec.paths {
			self := p == c || strings.HasPrefix(p, c+".") || strings.HasPrefix(p, c+"[]")
			if self || strings.HasPrefix(c, p+".") { // the claim, inside it, or its container
				found = found || self
				for j := i; j >= 0 && !keep[j]; j = rec.parent[j] {
					keep[j] = true
				}
			}
		}
		if !found && !hasPath(rec.claims, c) {
			return "", fmt.Errorf("%w: %q", ErrUnknownClaim, c)
		}
	}
	idx := make([]int, 0, len(keep))
	for i := range keep {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var b strings.Builder
	b.WriteString(sd.IssuerJWT)
	b.WriteByte('~')
	for _, i := range idx {
		b.WriteString(sd.Disclosures[i].Encoded)
		b.WriteByte('~')
	}
	presented := b.String()
	kbClaims, err := json.Marshal(map[string]any{
		"iat":     now.Unix(),
		"aud":     aud,
		"nonce":   nonce,
		"sd_hash": Digest(presented),
	})
	if err != nil {
		return "", fmt.Errorf("key-binding JWT: %w", err)
	}
	kb, err := signJWS(holder, TypKB, "", kbClaims)
	if err != nil {
		return "", err
	}
	return presented + kb, nil
}

// hasPath reports whether claims hold a plaintext "a" or "a.b".
func hasPath(claims map[string]any, path string) bool {
	parent, child, nested := strings.Cut(path, ".")
	v, ok := claims[parent]
	if !ok || !nested {
		return ok
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[child]
	return ok
}

// VerifyPresentation verifies a presentation: every check of Verify on the
// issuer-signed part, then
//   - holder_binding: a key-binding JWT is present, typ kb+jwt, signed by the
//     credential's cnf.jwk with the algorithm pinned to that key;
//   - audience: its aud equals req.Audience;
//   - nonce: its nonce equals req.Nonce (single use is the caller's check);
//   - freshness: its iat is within req.MaxAge before now and not after
//     now+ClockSkew;
//   - sd_hash: its sd_hash is the digest of exactly the presented SD-JWT.
//
// An incomplete request returns ErrBadRequest and an empty verdict.
func VerifyPresentation(ctx context.Context, presentation string, keys IssuerKeys, req PresentationRequest, now time.Time) (*verdict.Verdict, *Credential, error) {
	r := &recorder{v: &verdict.Verdict{Format: string(credential.SDJWT)}}
	maxAge, err := req.validate()
	if err != nil {
		return r.v, nil, err
	}
	sd, err := Parse(presentation)
	if err != nil {
		r.fail(verdict.Parse, err)
		return r.v, nil, r.result()
	}
	c := verifyIssued(ctx, sd, keys, now, r)
	if c == nil {
		return r.v, nil, r.result()
	}
	checkKeyBinding(r, sd, c, req, maxAge, now)
	if err := r.result(); err != nil {
		return r.v, nil, err
	}
	r.v.Claims = c.Claims
	return r.v, c, nil
}

func checkKeyBinding(r *recorder, sd *SDJWT, c *Credential, req PresentationRequest, maxAge time.Duration, now time.Time) {
	if sd.KeyBinding == "" {
		r.fail(verdict.HolderBinding, fmt.Errorf("no key-binding JWT"))
		return
	}
	if c.Confirmation == nil {
		r.fail(verdict.HolderBinding, fmt.Errorf("the credential has no cnf.jwk: it is not bound to a holder"))
		return
	}
	h, kb, err := ParseJWT(sd.KeyBinding)
	if err != nil {
		r.fail(verdict.HolderBinding, fmt.Errorf("key-binding JWT: %w", err))
		return
	}
	if h.Typ != TypKB {
		r.fail(verdict.HolderBinding, fmt.Errorf("key-binding JWT typ %q, want %s", h.Typ, TypKB))
		return
	}
	if err := VerifyJWS(sd.KeyBinding, h, c.Confirmation, nil); err != nil {
		r.fail(verdict.HolderBinding, fmt.Errorf("key-binding JWT: %w", err))
		return
	}
	r.pass(verdict.HolderBinding, "signed by the credential's cnf.jwk ("+h.Alg+")")

	if aud, ok := kb["aud"].(string); !ok || aud != req.Audience {
		r.fail(verdict.Audience, fmt.Errorf("aud %v, want %q", kb["aud"], req.Audience))
	} else {
		r.pass(verdict.Audience, aud)
	}
	if n, ok := kb["nonce"].(string); !ok || n != req.Nonce {
		r.fail(verdict.Nonce, fmt.Errorf("nonce does not match the request"))
	} else {
		r.pass(verdict.Nonce, "matches the request")
	}
	switch iat, err := numericDate(kb, "iat"); {
	case err != nil || iat.IsZero():
		r.fail(verdict.Freshness, fmt.Errorf("key-binding JWT has no valid iat"))
	case iat.After(now.Add(ClockSkew)):
		r.fail(verdict.Freshness, fmt.Errorf("key-binding JWT issued in the future (%s)", iat.UTC().Format(time.RFC3339)))
	case now.Sub(iat) > maxAge:
		r.fail(verdict.Freshness, fmt.Errorf("key-binding JWT is %s old, limit %s", now.Sub(iat).Truncate(time.Second), maxAge))
	default:
		r.pass(verdict.Freshness, fmt.Sprintf("issued %s ago", now.Sub(iat).Truncate(time.Second)))
	}
	if h, ok := kb["sd_hash"].(string); !ok || h != Digest(sd.Presented()) {
		r.fail(verdict.SDHash, fmt.Errorf("sd_hash does not cover the presented SD-JWT"))
	} else {
		r.pass(verdict.SDHash, "covers the issuer JWT and the presented disclosures")
	}
}
