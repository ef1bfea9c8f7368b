package attacktest

import (
	"crypto/elliptic"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// JWS makes signatures a standard implementation accepts when the key fits
// the algorithm: the attacks differ from honest tokens only where they mean to.
func TestJWSInteroperates(t *testing.T) {
	ec, ed, rs, mac := ECKey(t, elliptic.P384()), EdKey(t), RSAKey(t), []byte("secret")
	for _, c := range []struct {
		alg      jwa.SignatureAlgorithm
		priv     any
		verifier any
	}{
		{jwa.ES384, ec, &ec.PublicKey},
		{jwa.EdDSA, ed, ed.Public()},
		{jwa.RS256, rs, &rs.PublicKey},
		{jwa.PS256, rs, &rs.PublicKey},
		{jwa.HS512, mac, mac},
	} {
		tok := JWS(t, map[string]any{"alg": c.alg.String(), "typ": "JWT"}, Seg(t, map[string]any{"a": 1}), c.priv)
		if _, err := jws.Verify([]byte(tok), jws.WithKey(c.alg, c.verifier)); err != nil {
			t.Errorf("%s: %v", c.alg, err)
		}
		h, p, _, _ := SplitJWS(t, tok)
		if h["alg"] != c.alg.String() || p["a"] != 1.0 {
			t.Errorf("%s: split %v %v", c.alg, h, p)
		}
	}
}
