package sdjwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// TestSignatureCheckAgreesWithJWX flips every character of signed JWTs and
// checks that verifySignature accepts exactly what jwx's jws.Verify accepts.
func TestSignatureCheckAgreesWithJWX(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, k := range []struct {
		alg  jwa.SignatureAlgorithm
		priv any
		pub  any
	}{{jwa.ES256, ec, &ec.PublicKey}, {jwa.ES384, ec384, &ec384.PublicKey}, {jwa.EdDSA, ed, ed.Public()}} {
		signed, err := jws.Sign([]byte(`{"iss":"did:web:espai.localhost:issuers:atc","vct":"x"}`), jws.WithKey(k.alg, k.priv))
		if err != nil {
			t.Fatal(err)
		}
		c := string(signed)
		if err := verifySignature(c, k.alg, k.pub); err != nil {
			t.Fatalf("%s: valid signature refused: %v", k.alg, err)
		}
		for i := range c {
			for _, r := range []byte{'A', 'B', 'g', '_', '.'} {
				if c[i] == r {
					continue
				}
				m := c[:i] + string(r) + c[i+1:]
				_, jerr := jws.Verify([]byte(m), jws.WithKey(k.alg, k.pub), jws.WithCompact())
				oerr := verifySignature(m, k.alg, k.pub)
				if oerr == nil && jerr != nil {
					t.Fatalf("%s: %q accepted here, refused by jwx (%v)", k.alg, m, jerr)
				}
				if oerr == nil && m != c {
					t.Fatalf("%s: a changed JWS verified: %q", k.alg, m)
				}
			}
		}
	}
}

// TestSignedJWSVerifiesWithJWX checks that what signJWS writes is a JWS jwx
// verifies, for every key type Espai signs with.
func TestSignedJWSVerifiesWithJWX(t *testing.T) {
	for _, k := range []any{ecKeyRaw(t, elliptic.P256()), ecKeyRaw(t, elliptic.P384()), edKeyRaw(t)} {
		key, err := jwk.FromRaw(k)
		if err != nil {
			t.Fatal(err)
		}
		out, err := signJWS(Signer{Key: key}, "test+jwt", "did:web:espai.localhost:issuers:atc#es256-1", []byte(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := key.PublicKey()
		alg, _ := AlgForKey(pub)
		payload, err := jws.Verify([]byte(out), jws.WithKey(alg, pub))
		if err != nil || string(payload) != `{"a":1}` {
			t.Fatalf("%s: %v", alg, err)
		}
		h, _, err := ParseJWT(out)
		if err != nil || h.Typ != "test+jwt" || h.Kid == "" {
			t.Fatalf("header %+v %v", h, err)
		}
	}
}

func ecKeyRaw(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edKeyRaw(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
