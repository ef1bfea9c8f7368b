package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

var fuzzNow = time.Unix(1_790_000_000, 0)

// fuzzOperatorKey derives a P-256 operator key from label, so the token a fuzzing
// coordinator seeds verifies in every worker process.
func fuzzOperatorKey(t testing.TB, label string) (priv, pub jwk.Key) {
	t.Helper()
	d := sha256.Sum256([]byte("espai trust fuzz: " + label))
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	priv, err = jwk.FromRaw(ec)
	if err != nil {
		t.Fatal(err)
	}
	_ = priv.Set(jwk.KeyIDKey, "did:web:espai.localhost:issuers:aoc#trust-1")
	pub, err = priv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func fuzzList() *List {
	return &List{Issuer: "did:web:espai.localhost:issuers:aoc", IssuedAt: fuzzNow.Unix(), Expires: fuzzNow.Add(24 * time.Hour).Unix(),
		Entities: []Entity{
			{ID: "did:web:espai.localhost:issuers:atc", Admin: "atc", Name: "Agència Tributària de Catalunya", Types: []string{"tax"}},
			{ID: "did:web:espai.localhost:issuers:ajuntament-girona", Admin: "ajuntament-girona", Name: "Ajuntament de Girona", Types: []string{"census"},
				Purposes: []Purpose{{ID: "preinscripcio-escolar", Title: "Preinscripció escolar", LegalBasis: "Llei 12/2009", Type: "census",
					Claims: []string{"municipality", "address", "postalCode"}, RetentionDays: 365}}},
		}}
}

// FuzzVerify: a trust list token that verifies with the pinned operator key
// is semantically the one the operator signed: the same issuer, validity and
// entities. Seeds: the signed list, its JWS JSON serialisation, the same
// payload signed by another key, with another typ, and with HS256 keyed by
// the public key.
func FuzzVerify(f *testing.F) {
	priv, pub := fuzzOperatorKey(f, "operator")
	otherPriv, _ := fuzzOperatorKey(f, "other")
	want := fuzzList()
	tok, err := Sign(want, priv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(tok))
	if parts := strings.Split(tok, "."); len(parts) == 3 {
		js, _ := json.Marshal(map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]})
		f.Add(js)
	}
	if other, err := Sign(want, otherPriv); err == nil {
		f.Add([]byte(other))
	}
	payload, _ := json.Marshal(want)
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, "JWT")
	if b, err := jws.Sign(payload, jws.WithKey(jwa.ES256, priv, jws.WithProtectedHeaders(h))); err == nil {
		f.Add(b)
	}
	h2 := jws.NewHeaders()
	_ = h2.Set(jws.TypeKey, Typ)
	if raw, err := json.Marshal(pub); err == nil {
		if b, err := jws.Sign(payload, jws.WithKey(jwa.HS256, raw, jws.WithProtectedHeaders(h2))); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a.b.c"))
	anchors := []jwk.Key{pub}
	f.Fuzz(func(t *testing.T, token []byte) {
		l, err := Verify(token, anchors, fuzzNow)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if !reflect.DeepEqual(l, want) {
			t.Fatalf("accepted a list the operator did not sign:\n got %+v\nwant %+v", l, want)
		}
	})
}
