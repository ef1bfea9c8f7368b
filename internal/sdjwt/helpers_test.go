package sdjwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// testNow is the fixed clock of the tests (and of testdata/).
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const (
	testIss = "did:web:padro.example.cat"
	testKid = "did:web:padro.example.cat#key-1"
	testVCT = "urn:espai:credential:census:1"
	testAud = "did:web:verifier.example.cat"
	testNon = "n-0S6_WzA2Mj"
)

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func jwkOf(t testing.TB, raw any) jwk.Key {
	t.Helper()
	k, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publicJWK(t testing.TB, k jwk.Key) jwk.Key {
	t.Helper()
	p, err := k.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// staticKeys is a hand-written IssuerKeys: one issuer, one kid.
type staticKeys struct {
	iss, kid string
	key      any
	err      error
}

func (s staticKeys) IssuerKey(_ context.Context, iss, kid string) (IssuerKey, error) {
	if s.err != nil {
		return IssuerKey{}, s.err
	}
	if iss != s.iss || kid != s.kid {
		return IssuerKey{}, errors.New("unknown issuer key")
	}
	return IssuerKey{Key: s.key}, nil
}

// fixture is an issuer and a holder with their keys.
type fixture struct {
	issuer Signer
	holder Signer
	keys   staticKeys
}

func newFixture(t testing.TB, issuerRaw, holderRaw any) fixture {
	t.Helper()
	ik := jwkOf(t, issuerRaw)
	return fixture{
		issuer: Signer{Key: ik, KeyID: testKid},
		holder: Signer{Key: jwkOf(t, holderRaw)},
		keys:   staticKeys{iss: testIss, kid: testKid, key: publicJWK(t, ik)},
	}
}

// censusClaims is a 6-claim census credential bound to holder.
func censusClaims(t testing.TB, holder Signer) map[string]any {
	t.Helper()
	pub := publicJWK(t, holder.Key)
	return map[string]any{
		"iss":          testIss,
		"vct":          testVCT,
		"iat":          testNow.Add(-24 * time.Hour).Unix(),
		"exp":          testNow.Add(90 * 24 * time.Hour).Unix(),
		"cnf":          map[string]any{"jwk": pub},
		"status":       map[string]any{"status_list": map[string]any{"idx": 42, "uri": "https://padro.example.cat/status/1"}},
		"given_name":   "Mercè",
		"family_name":  "Puig i Vidal",
		"birthdate":    "1984-05-17",
		"municipality": "Girona",
		"registered":   "2019-09-01",
		"address":      map[string]any{"street": "Carrer de la Força 7", "postal_code": "17004"},
	}
}

var censusDisclosable = []string{"given_name", "family_name", "birthdate", "municipality", "registered", "address", "address.street"}

func issue(t testing.TB, f fixture) string {
	t.Helper()
	s, err := Issue(f.issuer, censusClaims(t, f.holder), censusDisclosable)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustMarshalIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
