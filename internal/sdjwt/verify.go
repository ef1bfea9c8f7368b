package sdjwt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// ClockSkew is the tolerance applied to every time comparison (iat, nbf, exp
// of the credential, iat of the key-binding JWT): 60 s, enough for phones
// whose clocks drift, short enough that an expired credential is not usable
// for longer than a minute.
const ClockSkew = 60 * time.Second

// IssuerKey is the public key an issuer signs with, as the caller's lookup
// found it. Key is a *ecdsa.PublicKey, an ed25519.PublicKey or a public
// jwk.Key. Algs optionally narrows the algorithms accepted; the algorithm is
// always pinned to the key type (AlgForKey) and must also be in Algs when
// Algs is non-empty.
type IssuerKey struct {
	Key  any
	Algs []jwa.SignatureAlgorithm
}

// IssuerKeys finds issuer keys. IssuerKey returns the key identified by kid
// (the JWS header kid, a DID URL) only if kid is a verification method of iss
// (the unverified iss claim, a DID) listed for assertion in iss's DID
// document: the signature check that follows is what binds the JWT to iss.
// Any error means "no key" and the credential is refused; wrap the cause (not
// found, not authorised, unreachable) so callers can tell them apart.
type IssuerKeys interface {
	IssuerKey(ctx context.Context, iss, kid string) (IssuerKey, error)
}

// IssuerKeysFunc adapts a function to IssuerKeys.
type IssuerKeysFunc func(ctx context.Context, iss, kid string) (IssuerKey, error)

// IssuerKey implements IssuerKeys.
func (f IssuerKeysFunc) IssuerKey(ctx context.Context, iss, kid string) (IssuerKey, error) {
	return f(ctx, iss, kid)
}

// StatusRef is the credential's status_list reference (Token Status List
// §6.2): entry Index of the Status List Token at URI.
type StatusRef struct {
	Index int
	URI   string
}

// Credential is a verified SD-JWT VC: the plaintext claims the verifier needs
// (issuer, type, validity, holder key, status reference) and the
// reconstructed claims, which include every disclosed claim and nothing the
// holder did not disclose.
type Credential struct {
	Issuer string
	VCT    string
	KeyID  string
	Alg    string
	// IssuedAt, NotBefore and Expiry are zero when the claim is absent.
	IssuedAt, NotBefore, Expiry time.Time
	// Status is nil when the credential has no status.status_list.
	Status *StatusRef
	// Confirmation is the holder's public key from cnf.jwk; nil when absent.
	Confirmation jwk.Key
	// Claims are the reconstructed claims (without _sd and _sd_alg).
	Claims map[string]any
	// Disclosed lists the paths of the disclosed claims, e.g. "given_name",
	// "address.street", "nationalities[]".
	Disclosed []string
}

// recorder writes checks into a verdict and keeps the first failure's cause.
type recorder struct {
	v     *verdict.Verdict
	first *CheckError
}

func (r *recorder) pass(name, detail string) { r.v.Pass(name, detail) }

func (r *recorder) fail(name string, err error) {
	r.v.Fail(name, err)
	if r.first == nil {
		r.first = &CheckError{Check: name, Err: err}
	}
}

func (r *recorder) result() error {
	if r.first != nil {
		return r.first
	}
	if !r.v.Valid {
		return &CheckError{Check: verdict.Parse, Err: errors.New("no check ran")}
	}
	return nil
}

// Verify verifies an issued SD-JWT VC (no key-binding JWT: a wallet checks
// what it receives). Every check is written into the returned verdict:
//   - parse: the compact form, the disclosures, typ dc+sd-jwt (or legacy
//     vc+sd-jwt), no jku/x5u/jwk/x5c/b64/crit header, alg neither none nor a
//     MAC, a plain kid, iss and vct strings, _sd_alg sha-256, well-formed
//     iat/nbf/exp/status/cnf;
//   - issuer_key: keys returns a key for (iss, kid);
//   - signature: the JWS verifies with that key, alg pinned to the key type;
//   - validity: iat and nbf not after now+ClockSkew, exp after now-ClockSkew;
//   - disclosures: every disclosure referenced exactly once, no digest twice,
//     no name clash (see reconstruct).
//
// The credential is returned, and the error is nil, only when every check
// passed; otherwise the error is a *CheckError naming the first failed
// check. Status and trust in the issuer for vct are the caller's checks.
func Verify(ctx context.Context, compact string, keys IssuerKeys, now time.Time) (*verdict.Verdict, *Credential, error) {
	r := &recorder{v: &verdict.Verdict{Format: string(credential.SDJWT)}}
	sd, err := Parse(compact)
	if err != nil {
		r.fail(verdict.Parse, err)
		return r.v, nil, r.result()
	}
	if sd.KeyBinding != "" {
		r.fail(verdict.Parse, fmt.Errorf("%w: a key-binding JWT is present: this is a presentation", ErrMalformed))
		return r.v, nil, r.result()
	}
	c := verifyIssued(ctx, sd, keys, now, r)
	if err := r.result(); err != nil {
		return r.v, nil, err
	}
	r.v.Claims = c.Claims
	return r.v, c, nil
}

// verifyIssued runs the issuer-part checks of sd into r. It returns the
// credential if the checks up to the signature passed (callers look at r).
func verifyIssued(ctx context.Context, sd *SDJWT, keys IssuerKeys, now time.Time, r *recorder) *Credential {
	h, payload, err := ParseJWT(sd.IssuerJWT)
	if err != nil {
		r.fail(verdict.Parse, fmt.Errorf("issuer-signed JWT: %w", err))
		return nil
	}
	c, err := credentialClaims(h, payload)
	if err != nil {
		r.fail(verdict.Parse, err)
		return nil
	}
	r.v.Issuer, r.v.Type = c.Issuer, c.VCT
	r.pass(verdict.Parse, fmt.Sprintf("SD-JWT VC (%s, %s), %d disclosures", h.Typ, h.Alg, len(sd.Disclosures)))

	if keys == nil {
		r.fail(verdict.IssuerKey, errors.New("no issuer key lookup configured"))
		return nil
	}
	ik, err := keys.IssuerKey(ctx, c.Issuer, c.KeyID)
	if err != nil {
		r.fail(verdict.IssuerKey, fmt.Errorf("no key %s for issuer %s: %w", c.KeyID, c.Issuer, err))
		return nil
	}
	r.pass(verdict.IssuerKey, c.KeyID)
	if err := VerifyJWS(sd.IssuerJWT, h, ik.Key, ik.Algs); err != nil {
		r.fail(verdict.Signature, err)
		return nil
	}
	r.pass(verdict.Signature, h.Alg)

	checkValidity(r, c, now)

	rec, err := reconstruct(payload, sd.Disclosures)
	if err != nil {
		r.fail(verdict.Disclosures, err)
		return c
	}
	c.Claims = rec.claims
	c.Disclosed = rec.paths
	r.pass(verdict.Disclosures, fmt.Sprintf("%d disclosed, each referenced exactly once", len(sd.Disclosures)))
	return c
}

func checkValidity(r *recorder, c *Credential, now time.Time) {
	switch {
	case !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(ClockSkew)):
		r.fail(verdict.Validity, fmt.Errorf("issued in the future (iat %s)", c.IssuedAt.UTC().Format(time.RFC3339)))
	case !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(ClockSkew)):
		r.fail(verdict.Validity, fmt.Errorf("not valid before %s", c.NotBefore.UTC().Format(time.RFC3339)))
	case !c.Expiry.IsZero() && !c.Expiry.After(now.Add(-ClockSkew)):
		r.fail(verdict.Validity, fmt.Errorf("expired at %s", c.Expiry.UTC().Format(time.RFC3339)))
	case c.Expiry.IsZero():
		r.pass(verdict.Validity, "no expiry")
	default:
		r.pass(verdict.Validity, "valid until "+c.Expiry.UTC().Format(time.RFC3339))
	}
}

// credentialClaims checks the header and the plaintext claims of an SD-JWT VC.
func credentialClaims(h Header, p map[string]any) (*Credential, error) {
	if h.Typ != TypSDJWTVC && h.Typ != TypLegacyVC {
		return nil, fmt.Errorf("%w: typ %q, want %s", ErrMalformed, h.Typ, TypSDJWTVC)
	}
	if h.Kid == "" {
		return nil, fmt.Errorf("%w: no kid: the issuer key cannot be found", ErrMalformed)
	}
	c := &Credential{KeyID: h.Kid, Alg: h.Alg}
	var ok bool
	if c.Issuer, ok = p["iss"].(string); !ok || c.Issuer == "" {
		return nil, fmt.Errorf("%w: iss missing or not a string", ErrMalformed)
	}
	if c.VCT, ok = p["vct"].(string); !ok || c.VCT == "" {
		return nil, fmt.Errorf("%w: vct missing or not a string", ErrMalformed)
	}
	if a, present := p["_sd_alg"]; present && a != HashAlg {
		return nil, fmt.Errorf("%w: _sd_alg %v, want %s", ErrMalformed, a, HashAlg)
	}
	var err error
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"iat", &c.IssuedAt}, {"nbf", &c.NotBefore}, {"exp", &c.Expiry}} {
		if *t.dst, err = numericDate(p, t.name); err != nil {
			return nil, err
		}
	}
	if c.Status, err = statusRef(p["status"]); err != nil {
		return nil, err
	}
	if cnf, present := p["cnf"]; present {
		if c.Confirmation, err = confirmationKey(cnf); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// numericDate reads an optional NumericDate claim.
func numericDate(p map[string]any, name string) (time.Time, error) {
	v, present := p[name]
	if !present {
		return time.Time{}, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, fmt.Errorf("%w: %s is not a NumericDate", ErrMalformed, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

func statusRef(v any) (*StatusRef, error) {
	if v == nil {
		return nil, nil
	}
	st, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: status is not an object", ErrMalformed)
	}
	sl, present := st["status_list"]
	if !present {
		return nil, nil
	}
	m, ok := sl.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: status.status_list is not an object", ErrMalformed)
	}
	idx, ok := m["idx"].(float64)
	if !ok || idx < 0 || idx != math.Trunc(idx) || idx > math.MaxInt32 {
		return nil, fmt.Errorf("%w: status.status_list.idx is not a non-negative integer", ErrMalformed)
	}
	uri, ok := m["uri"].(string)
	if !ok || uri == "" {
		return nil, fmt.Errorf("%w: status.status_list.uri missing", ErrMalformed)
	}
	return &StatusRef{Index: int(idx), URI: uri}, nil
}

// confirmationKey reads cnf.jwk: a public EC or Ed25519 key.
func confirmationKey(v any) (jwk.Key, error) {
	cnf, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: cnf is not an object", ErrMalformed)
	}
	raw, present := cnf["jwk"]
	if !present {
		return nil, fmt.Errorf("%w: cnf has no jwk (the only confirmation method supported)", ErrMalformed)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: cnf.jwk: %v", ErrMalformed, err)
	}
	k, err := jwk.ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: cnf.jwk: %v", ErrMalformed, err)
	}
	if _, err := AlgForKey(k); err != nil {
		return nil, fmt.Errorf("%w: cnf.jwk: %v", ErrMalformed, err)
	}
	return k, nil
}
