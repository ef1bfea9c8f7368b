package attacktest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"testing"
)

var b64 = base64.RawURLEncoding

// Seg is the base64url (unpadded) JSON encoding of v: a JWS header or payload.
func Seg(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64.EncodeToString(raw)
}

// SplitJWS decodes a compact JWS: its header and payload as maps, its
// payload segment as written, and its signature segment.
func SplitJWS(t testing.TB, compact string) (hdr, payload map[string]any, payloadSeg, sig string) {
	t.Helper()
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.40q", compact)
	}
	for i, dst := range []*map[string]any{&hdr, &payload} {
		raw, err := b64.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return hdr, payload, parts[1], parts[2]
}

// With returns a copy of m with members set; a nil value deletes the member.
func With(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

// Unsigned is "<header>.<payloadSeg>.<sig>" with any signature text at all.
func Unsigned(t testing.TB, hdr map[string]any, payloadSeg, sig string) string {
	t.Helper()
	return Seg(t, hdr) + "." + payloadSeg + "." + sig
}

// JWS signs hdr and payloadSeg exactly as given, with the algorithm hdr
// names applied to key whatever the key's type: an *ecdsa.PrivateKey
// (ES*, R || S sized by the key's curve, hashed as alg says), an
// ed25519.PrivateKey, an *rsa.PrivateKey (RS*, PS*) or []byte (HS*, the key
// bytes as the MAC key). Nothing checks that alg fits the key: that is the
// point.
func JWS(t testing.TB, hdr map[string]any, payloadSeg string, key any) string {
	t.Helper()
	alg, _ := hdr["alg"].(string)
	input := Seg(t, hdr) + "." + payloadSeg
	return input + "." + b64.EncodeToString(sign(t, alg, key, input))
}

func hashOf(alg string) (func() hash.Hash, crypto.Hash) {
	switch {
	case strings.HasSuffix(alg, "384"):
		return sha512.New384, crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		return sha512.New, crypto.SHA512
	}
	return sha256.New, crypto.SHA256
}

func sign(t testing.TB, alg string, key any, input string) []byte {
	t.Helper()
	newHash, ch := hashOf(alg)
	h := newHash()
	h.Write([]byte(input))
	digest := h.Sum(nil)
	switch k := key.(type) {
	case []byte:
		m := hmac.New(newHash, k)
		m.Write([]byte(input))
		return m.Sum(nil)
	case ed25519.PrivateKey:
		return ed25519.Sign(k, []byte(input))
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			t.Fatal(err)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	case *rsa.PrivateKey:
		var (
			sig []byte
			err error
		)
		if strings.HasPrefix(alg, "PS") {
			sig, err = rsa.SignPSS(rand.Reader, k, ch, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, ch, digest)
		}
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	t.Fatalf("attacktest: no signer for %T", key)
	return nil
}
