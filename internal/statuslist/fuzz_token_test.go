package statuslist

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// jwsSigningInput is what a JWS signature covers: header.payload.
func jwsSigningInput(jwt string) string { return jwt[:max(strings.LastIndexByte(jwt, '.'), 0)] }

// malleateES256 swaps the signature (r, s) of an ES256 JWS for (r, n-s),
// which ECDSA accepts as well: the one edit of a signed token that verifies.
func malleateES256(t testing.TB, jwt string) string {
	t.Helper()
	i := strings.LastIndexByte(jwt, '.')
	sig, err := base64.RawURLEncoding.DecodeString(jwt[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 signature: %v", err)
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(elliptic.P256().Params().N, s)
	return jwt[:i+1] + base64.RawURLEncoding.EncodeToString(append(sig[:32:32], s.FillBytes(make([]byte, 32))...))
}

// fuzzTokenKey is a P-256 key derived from a label, so the token a fuzzing
// coordinator seeds verifies in every worker process.
func fuzzTokenKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	d := sha256.Sum256([]byte("espai statuslist fuzz"))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzVerifyTokenSameList: a Status List Token that verifies says what the
// issuer signed: the same issuer, URI, times, key id and every status. The
// seeds include the token with its ES256 signature malleated (it verifies)
// and the issuer's token for another URI (it does not).
func FuzzVerifyTokenSameList(f *testing.F) {
	kf := newKeys(f, fuzzTokenKey(f))
	orig := testToken(f)
	tok, err := SignToken(kf.signer, orig)
	if err != nil {
		f.Fatal(err)
	}
	want, err := VerifyToken(context.Background(), tok, testURI, kf.keys, testNow, 1<<16)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(malleateES256(f, tok))
	other := orig
	other.URI = testURI + "/"
	if o, err := SignToken(kf.signer, other); err == nil {
		f.Add(o)
	}
	f.Add(jwsSigningInput(tok) + ".")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := VerifyToken(context.Background(), in, testURI, kf.keys, testNow, 1<<16)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if got.Issuer != want.Issuer || got.URI != want.URI || !got.IssuedAt.Equal(want.IssuedAt) || !got.Expiry.Equal(want.Expiry) ||
			got.TTL != want.TTL || got.KeyID != want.KeyID || got.List.Bits() != want.List.Bits() || !bytes.Equal(got.List.Bytes(), want.List.Bytes()) {
			t.Fatalf("an edited token verifies as another: %+v", got)
		}
	})
}
