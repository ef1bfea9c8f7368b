package sdjwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
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
