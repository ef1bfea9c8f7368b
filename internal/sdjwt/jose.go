package sdjwt

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math/big"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// b64 is the only base64 Espai reads and writes in JOSE objects: URL alphabet,
// no padding, and (Strict) no stray bits in the last character, so every byte
// string has exactly one accepted encoding.
var b64 = base64.RawURLEncoding.Strict()

// refusedHeaders are JOSE header parameters that make a verifier fetch or
// trust key material chosen by the sender (jku, x5u, jwk, x5c), change what
// the signature covers (b64) or demand extensions we do not implement (crit).
// Keys come only from the caller's lookup (DID documents) or the credential's
// cnf claim.
var refusedHeaders = []string{"jku", "x5u", "jwk", "x5c", "b64", "crit"}

// maxKidLen bounds a kid; DID URLs of Espai administrations are < 200 bytes.
const maxKidLen = 512

// Header is the checked protected header of a compact JWS.
type Header struct {
	Alg string // as written; compare with the algorithm pinned to the key
	Typ string
	Kid string
}

// Signer is a private key and the JWS algorithm it signs with. Key is a
// private jwk.Key (EC P-256/P-384/P-521 or OKP Ed25519). Alg, when set, must be
// the algorithm that key type implies (ES256, ES384, ES512, EdDSA); when zero
// it is derived from the key. KeyID is written as the JWS kid (required for
// issuers, ignored for key-binding JWTs); when empty the key's own kid is used.
//
// Raw, when set, is the same private key as Key in crypto form. Long-lived
// signers (an issuer's key) set it so each signature does not export the JWK
// again: with Go's FIPS ECDSA a freshly exported key repeats its
// precomputation, which costs as much as the signature itself.
type Signer struct {
	Key   jwk.Key
	Alg   jwa.SignatureAlgorithm
	KeyID string
	Raw   crypto.Signer
}

// LogValue redacts the private key: only the algorithm and kid are logged.
func (s Signer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("alg", s.Alg.String()), slog.String("kid", s.kid()), slog.String("key", "REDACTED"))
}

// prepare checks the signer and returns its raw private key and algorithm.
func (s Signer) prepare() (crypto.Signer, jwa.SignatureAlgorithm, error) {
	if s.Key == nil {
		return nil, "", fmt.Errorf("%w: no key", ErrBadSigner)
	}
	if priv, _ := jwk.IsPrivateKey(s.Key); !priv {
		return nil, "", fmt.Errorf("%w: key is not a private key", ErrBadSigner)
	}
	var raw any = s.Raw
	if s.Raw == nil {
		if err := s.Key.Raw(&raw); err != nil {
			return nil, "", fmt.Errorf("%w: %v", ErrBadSigner, err)
		}
	}
	var signer crypto.Signer
	switch k := raw.(type) {
	case *ecdsa.PrivateKey:
		signer = k
	case ed25519.PrivateKey:
		signer = k
	default:
		return nil, "", fmt.Errorf("%w: unsupported key type %T (want EC or Ed25519)", ErrBadSigner, raw)
	}
	alg, err := AlgForKey(signer.Public())
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBadSigner, err)
	}
	if s.Alg != "" && s.Alg != alg {
		return nil, "", fmt.Errorf("%w: alg %s does not match the key (it signs %s)", ErrBadSigner, s.Alg, alg)
	}
	return signer, alg, nil
}

func (s Signer) kid() string {
	if s.KeyID != "" {
		return s.KeyID
	}
	if s.Key != nil {
		return s.Key.KeyID()
	}
	return ""
}

// AlgForKey returns the one JWS algorithm Espai accepts for a public key:
// ES256/ES384/ES512 for EC P-256/P-384/P-521, EdDSA for Ed25519. The
// algorithm is pinned to the key, never taken from a header, so a header can
// not make a verifier use a key with another algorithm (alg confusion). key is
// a *ecdsa.PublicKey, an ed25519.PublicKey or a public jwk.Key; RSA, symmetric
// and private keys are refused.
func AlgForKey(key any) (jwa.SignatureAlgorithm, error) {
	pub, err := publicKey(key)
	if err != nil {
		return "", err
	}
	return algForPublic(pub), nil
}

// publicKey normalises key to *ecdsa.PublicKey or ed25519.PublicKey.
func publicKey(key any) (crypto.PublicKey, error) {
	if k, ok := key.(jwk.Key); ok {
		if priv, _ := jwk.IsPrivateKey(k); priv {
			return nil, errors.New("a private key was given where a public key is expected")
		}
		var raw any
		if err := k.Raw(&raw); err != nil {
			return nil, fmt.Errorf("jwk: %v", err)
		}
		key = raw
	}
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return nil, errors.New("nil EC key")
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return k, nil
		}
		return nil, fmt.Errorf("unsupported curve %s", k.Curve.Params().Name)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key length")
		}
		return k, nil
	case nil:
		return nil, errors.New("no key")
	default:
		return nil, fmt.Errorf("unsupported key type %T (want EC P-256/384/521 or Ed25519 public key)", key)
	}
}

func algForPublic(pub crypto.PublicKey) jwa.SignatureAlgorithm {
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		switch k.Curve {
		case elliptic.P384():
			return jwa.ES384
		case elliptic.P521():
			return jwa.ES512
		}
		return jwa.ES256
	}
	return jwa.EdDSA
}

// signJWS signs payload with typ and kid (when non-empty) in the protected header.
func signJWS(s Signer, typ, kid string, payload []byte) (string, error) {
	key, alg, err := s.prepare()
	if err != nil {
		return "", err
	}
	if kid != "" {
		if err := checkKid(kid); err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadSigner, err)
		}
	}
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid,omitempty"`
		Typ string `json:"typ"`
	}{alg.String(), kid, typ})
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := signInput(key, alg, input)
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", typ, err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// ecdsaDigest hashes a JWS signing input with the SHA-2 function an ECDSA
// algorithm names (RFC 7518 §3.4).
func ecdsaDigest(alg jwa.SignatureAlgorithm, input string) ([]byte, error) {
	var h hash.Hash
	switch alg {
	case jwa.ES256:
		h = sha256.New()
	case jwa.ES384:
		h = sha512.New384()
	case jwa.ES512:
		h = sha512.New()
	default:
		return nil, fmt.Errorf("algorithm %s for an EC key", alg)
	}
	h.Write([]byte(input))
	return h.Sum(nil), nil
}

// signInput signs a JWS signing input (RFC 7515 §5.1) with the standard
// library: ECDSA as the fixed-size R || S of RFC 7518 §3.4 over the SHA-2
// digest the algorithm names, Ed25519 per RFC 8037. jws.Sign does the same
// after building and serialising its own header object, which costs a
// quarter of a signature.
func signInput(key crypto.Signer, alg jwa.SignatureAlgorithm, input string) ([]byte, error) {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		if alg != jwa.EdDSA {
			return nil, fmt.Errorf("algorithm %s for an Ed25519 key", alg)
		}
		return ed25519.Sign(k, []byte(input)), nil
	case *ecdsa.PrivateKey:
		digest, err := ecdsaDigest(alg, input)
		if err != nil {
			return nil, err
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
	return nil, fmt.Errorf("unsupported key type %T", key)
}

// SignJWT signs claims as a compact JWS with the given typ header and the
// signer's kid. The status list package uses it for Status List Tokens.
func SignJWT(s Signer, typ string, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", typ, err)
	}
	return signJWS(s, typ, s.kid(), payload)
}

// ParseJWT splits a compact JWS, checks its protected header and decodes its
// payload as a JSON object. Nothing is verified yet: use the header's kid to
// find the key, then VerifyJWS. It refuses alg none (any spelling) and MAC
// algorithms, the headers jku, x5u, jwk, x5c, b64 and crit, a kid that is not
// a plain identifier, and duplicate member names in header or payload.
func ParseJWT(compact string) (Header, map[string]any, error) {
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return Header{}, nil, fmt.Errorf("%w: a compact JWS has 3 parts, got %d", ErrMalformed, len(parts))
	}
	for i, p := range parts {
		if p == "" {
			return Header{}, nil, fmt.Errorf("%w: JWS part %d is empty", ErrMalformed, i+1)
		}
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return Header{}, nil, fmt.Errorf("%w: JWS header: %v", ErrMalformed, err)
	}
	hm, err := decodeObject(hb)
	if err != nil {
		return Header{}, nil, fmt.Errorf("%w: JWS header: %v", ErrMalformed, err)
	}
	h, err := checkHeader(hm)
	if err != nil {
		return Header{}, nil, err
	}
	if _, err := b64.DecodeString(parts[2]); err != nil {
		return Header{}, nil, fmt.Errorf("%w: JWS signature: %v", ErrMalformed, err)
	}
	pb, err := b64.DecodeString(parts[1])
	if err != nil {
		return Header{}, nil, fmt.Errorf("%w: JWS payload: %v", ErrMalformed, err)
	}
	claims, err := decodeObject(pb)
	if err != nil {
		return Header{}, nil, fmt.Errorf("%w: JWS payload: %v", ErrMalformed, err)
	}
	return h, claims, nil
}

func checkHeader(hm map[string]any) (Header, error) {
	var h Header
	for _, name := range refusedHeaders {
		if _, ok := hm[name]; ok {
			return h, fmt.Errorf("%w: JWS header %q refused: keys come only from the issuer's DID document or cnf", ErrMalformed, name)
		}
	}
	alg, ok := hm["alg"].(string)
	if !ok || alg == "" {
		return h, fmt.Errorf("%w: JWS header has no alg", ErrMalformed)
	}
	if strings.EqualFold(alg, "none") {
		return h, fmt.Errorf("%w: alg %q: unsigned JWTs are refused", ErrMalformed, alg)
	}
	if strings.HasPrefix(strings.ToUpper(alg), "HS") {
		return h, fmt.Errorf("%w: alg %q: MAC algorithms are refused", ErrMalformed, alg)
	}
	h.Alg = alg
	if v, present := hm["typ"]; present {
		if h.Typ, ok = v.(string); !ok {
			return h, fmt.Errorf("%w: JWS typ is not a string", ErrMalformed)
		}
	}
	if v, present := hm["kid"]; present {
		if h.Kid, ok = v.(string); !ok {
			return h, fmt.Errorf("%w: JWS kid is not a string", ErrMalformed)
		}
		if err := checkKid(h.Kid); err != nil {
			return h, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	return h, nil
}

// checkKid accepts a plain identifier: printable ASCII without spaces,
// quotes or backslashes, at most maxKidLen bytes, and not a fetchable URL
// (no "://"). DID URLs such as did:web:example.cat#key-1 are plain
// identifiers; the key is found through the DID document, never by fetching kid.
func checkKid(kid string) error {
	if kid == "" || len(kid) > maxKidLen {
		return fmt.Errorf("kid must be 1..%d bytes", maxKidLen)
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return fmt.Errorf("kid contains byte 0x%02x: not a plain identifier", c)
		}
	}
	if strings.Contains(kid, "://") {
		return errors.New("kid is a URL: keys are never fetched from kid")
	}
	return nil
}

// VerifyJWS verifies the signature of compact, whose header h was returned
// by ParseJWT, with key. The algorithm is pinned to the key type (AlgForKey)
// and must equal both the header's alg and, when allowed is non-empty, one
// of allowed. A mismatch is refused before any signature arithmetic.
func VerifyJWS(compact string, h Header, key any, allowed []jwa.SignatureAlgorithm) error {
	pub, err := publicKey(key)
	if err != nil {
		return fmt.Errorf("verification key: %w", err)
	}
	alg := algForPublic(pub)
	if h.Alg != alg.String() {
		return fmt.Errorf("JWS alg %q does not match the %s key (it verifies %s only)", h.Alg, keyKind(pub), alg)
	}
	if len(allowed) > 0 {
		ok := false
		for _, a := range allowed {
			ok = ok || a == alg
		}
		if !ok {
			return fmt.Errorf("JWS alg %s is not among the algorithms allowed for this key %v", alg, allowed)
		}
	}
	if err := verifySignature(compact, alg, pub); err != nil {
		return fmt.Errorf("signature does not verify: %w", err)
	}
	return nil
}

// verifySignature checks the JWS signature of compact (RFC 7515 §5.2) with
// the standard library: the signing input is everything before the last
// ".", the signature its strict base64url decoding; ECDSA signatures are the
// fixed-size R || S of RFC 7518 §3.4, Ed25519 per RFC 8037. Parsing the
// header and payload again (as jws.Verify does) would only repeat what
// ParseJWT checked, at a third of the verification's cost.
func verifySignature(compact string, alg jwa.SignatureAlgorithm, pub crypto.PublicKey) error {
	i := strings.LastIndexByte(compact, '.')
	if i < 0 || strings.Count(compact, ".") != 2 {
		return errors.New("not a compact JWS")
	}
	input, sigB64 := compact[:i], compact[i+1:]
	sig, err := base64.RawURLEncoding.Strict().DecodeString(sigB64)
	if err != nil {
		return fmt.Errorf("signature encoding: %v", err)
	}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if alg != jwa.EdDSA || !ed25519.Verify(k, []byte(input), sig) {
			return errors.New("invalid EdDSA signature")
		}
		return nil
	case *ecdsa.PublicKey:
		digest, err := ecdsaDigest(alg, input)
		if err != nil {
			return err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return fmt.Errorf("ECDSA signature of %d bytes, want %d", len(sig), 2*size)
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return errors.New("invalid ECDSA signature")
		}
		return nil
	}
	return fmt.Errorf("unsupported key type %T", pub)
}

func keyKind(pub crypto.PublicKey) string {
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		return "EC " + k.Curve.Params().Name
	}
	return "Ed25519"
}

// decodeObject decodes a JSON object, refusing duplicate member names at the
// top level (RFC 7519 §4: reject or take the last; two parsers taking
// different ones is how claim-smuggling works) and trailing data.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	m := make(map[string]any, 8)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("bad JSON member name")
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("duplicate member %q", key)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("bad JSON value for %q: %v", key, err)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bad JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	return m, nil
}
