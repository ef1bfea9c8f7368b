package statuslist

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/sdjwt"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const (
	testIss = "did:web:padro.example.cat"
	testKid = "did:web:padro.example.cat#key-1"
	testURI = "https://padro.example.cat/status/1"
)

type keyFixture struct {
	signer sdjwt.Signer
	pub    jwk.Key
	keys   sdjwt.IssuerKeys
}

func newKeys(t testing.TB, raw any) keyFixture {
	t.Helper()
	k, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return keyFixture{
		signer: sdjwt.Signer{Key: k, KeyID: testKid},
		pub:    pub,
		keys: sdjwt.IssuerKeysFunc(func(_ context.Context, iss, kid string) (sdjwt.IssuerKey, error) {
			if iss != testIss || kid != testKid {
				return sdjwt.IssuerKey{}, errors.New("unknown key")
			}
			return sdjwt.IssuerKey{Key: pub}, nil
		}),
	}
}

func ecRaw(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testToken(t testing.TB) Token {
	l, err := NewList(1<<16, DefaultBits)
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Set(42, Invalid)
	_ = l.Set(43, Suspended)
	return Token{Issuer: testIss, URI: testURI, IssuedAt: testNow.Add(-time.Minute), Expiry: testNow.Add(time.Hour), TTL: 10 * time.Minute, List: l}
}

func TestTokenRoundTrip(t *testing.T) {
	for name, raw := range map[string]any{"ES256": ecRaw(t), "EdDSA": func() any { _, k, _ := ed25519.GenerateKey(rand.Reader); return k }()} {
		t.Run(name, func(t *testing.T) {
			kf := newKeys(t, raw)
			tok, err := SignToken(kf.signer, testToken(t))
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyToken(context.Background(), tok, testURI, kf.keys, testNow, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.Issuer != testIss || got.URI != testURI || got.TTL != 10*time.Minute || !got.Expiry.Equal(testNow.Add(time.Hour)) || got.KeyID != testKid {
				t.Fatalf("token %+v", got)
			}
			for i, want := range map[int]Status{0: Valid, 42: Invalid, 43: Suspended, 1<<16 - 1: Valid} {
				if s, err := got.List.Get(i); err != nil || s != want {
					t.Fatalf("entry %d = %v (%v), want %v", i, s, err, want)
				}
			}
		})
	}
}

// signRaw signs any claims with any header, bypassing SignToken's checks.
func signRaw(t *testing.T, claims map[string]any, typ string, key any, alg jwa.SignatureAlgorithm, extra map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(claims)
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, typ)
	_ = h.Set(jws.KeyIDKey, testKid)
	for k, v := range extra {
		_ = h.Set(k, v)
	}
	out, err := jws.Sign(b, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestVerifyTokenRejects(t *testing.T) {
	kf := newKeys(t, ecRaw(t))
	other := newKeys(t, ecRaw(t))
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	c, _ := testToken(t).List.Encode()
	good := func() map[string]any {
		return map[string]any{"iss": testIss, "sub": testURI, "iat": testNow.Unix(), "exp": testNow.Add(time.Hour).Unix(), "ttl": 300, "status_list": c}
	}
	with := func(k string, v any) map[string]any {
		m := good()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	pubJSON, _ := json.Marshal(kf.pub)
	bomb := b64.EncodeToString(zlibOf(t, make([]byte, 8<<20)))
	for name, tc := range map[string]struct {
		tok string
		err error
	}{
		"typ JWT":         {signRaw(t, good(), "JWT", kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"typ sd-jwt":      {signRaw(t, good(), "dc+sd-jwt", kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"other key":       {signRaw(t, good(), TypToken, other.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"EdDSA on P-256":  {signRaw(t, good(), TypToken, edPriv, jwa.EdDSA, nil), ErrInvalidToken},
		"HS256 pub bytes": {signRaw(t, good(), TypToken, pubJSON, jwa.HS256, nil), ErrInvalidToken},
		"jku":             {signRaw(t, good(), TypToken, kf.signer.Key, jwa.ES256, map[string]any{"jku": "https://evil.example/k"}), ErrInvalidToken},
		"alg none": {func() string {
			p := strings.Split(signRaw(t, good(), TypToken, kf.signer.Key, jwa.ES256, nil), ".")
			return b64.EncodeToString([]byte(`{"alg":"none","typ":"statuslist+jwt","kid":"`+testKid+`"}`)) + "." + p[1] + ".AAAA"
		}(), ErrInvalidToken},
		"wrong sub":      {signRaw(t, with("sub", "https://padro.example.cat/status/2"), TypToken, kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"no sub":         {signRaw(t, with("sub", nil), TypToken, kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"no iss":         {signRaw(t, with("iss", nil), TypToken, kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"other iss":      {signRaw(t, with("iss", "did:web:other.example"), TypToken, kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"expired":        {signRaw(t, with("exp", testNow.Add(-2*ClockSkew).Unix()), TypToken, kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"iat in future":  {signRaw(t, with("iat", testNow.Add(2*ClockSkew).Unix()), TypToken, kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"no iat":         {signRaw(t, with("iat", nil), TypToken, kf.signer.Key, jwa.ES256, nil), ErrInvalidToken},
		"ttl negative":   {signRaw(t, with("ttl", -5), TypToken, kf.signer.Key, jwa.ES256, nil), ErrMalformed},
		"no status_list": {signRaw(t, with("status_list", nil), TypToken, kf.signer.Key, jwa.ES256, nil), ErrMalformed},
		"bits 3":         {signRaw(t, with("status_list", Claim{Bits: 3, Lst: c.Lst}), TypToken, kf.signer.Key, jwa.ES256, nil), ErrMalformed},
		"zip bomb":       {signRaw(t, with("status_list", Claim{Bits: 2, Lst: bomb}), TypToken, kf.signer.Key, jwa.ES256, nil), ErrTooLarge},
		"garbage":        {"not.a.jwt", ErrInvalidToken},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := VerifyToken(context.Background(), tc.tok, testURI, kf.keys, testNow, 0); !errors.Is(err, tc.err) {
				t.Fatalf("VerifyToken = %v, want %v", err, tc.err)
			}
		})
	}
	if _, err := VerifyToken(context.Background(), signRaw(t, good(), TypToken, kf.signer.Key, jwa.ES256, nil), testURI, kf.keys, testNow, 0); err != nil {
		t.Fatalf("control: %v", err)
	}
	if _, err := SignToken(kf.signer, Token{Issuer: testIss}); err == nil {
		t.Fatal("SignToken accepted a token without URI and list")
	}
}
