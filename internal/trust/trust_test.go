package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

func newKey(t *testing.T) (jwk.Key, jwk.Key) {
	t.Helper()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	priv, err := jwk.FromRaw(ec)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := priv.PublicKey()
	return priv, pub
}

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_790_000_000, 0)
	priv, pub := newKey(t)
	_, otherPub := newKey(t)
	l := &List{Issuer: "did:web:espai.localhost:issuers:aoc", IssuedAt: now.Unix(), Expires: now.Add(24 * time.Hour).Unix(),
		Entities: []Entity{{ID: "did:web:espai.localhost:issuers:atc", Admin: "atc", Name: "Agència Tributària de Catalunya", Types: []string{"tax"}},
			{ID: "did:web:espai.localhost:issuers:udg", Admin: "udg", Name: "Universitat de Girona", Types: []string{"degree"}}}}
	tok, err := Sign(l, priv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify([]byte(tok), []jwk.Key{otherPub, pub}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Allows("did:web:espai.localhost:issuers:atc", "tax") {
		t.Error("ATC not allowed to issue tax credentials")
	}
	if got.Allows("did:web:espai.localhost:issuers:udg", "tax") {
		t.Error("a university allowed to issue tax credentials")
	}
	if got.Allows("did:web:evil.example", "tax") {
		t.Error("unknown DID allowed")
	}

	if _, err := Verify([]byte(tok), []jwk.Key{otherPub}, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("other anchor: err = %v", err)
	}
	if _, err := Verify([]byte(tok), []jwk.Key{pub}, now.Add(25*time.Hour)); !errors.Is(err, ErrInvalid) {
		t.Errorf("expired: err = %v", err)
	}
	for i := range tok {
		if tok[i] == '.' {
			continue
		}
		b := []byte(tok)
		b[i] ^= 0x01
		if _, err := Verify(b, []jwk.Key{pub}, now); err == nil {
			t.Fatalf("flip at %d accepted", i)
		}
	}
	// A list signed with the right key but the wrong typ, or HS256 keyed with the public key.
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, "JWT")
	wrongTyp, _ := jws.Sign([]byte(`{"iss":"x","exp":9999999999}`), jws.WithKey(jwa.ES256, priv, jws.WithProtectedHeaders(h)))
	if _, err := Verify(wrongTyp, []jwk.Key{pub}, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("wrong typ: err = %v", err)
	}
	h2 := jws.NewHeaders()
	_ = h2.Set(jws.TypeKey, Typ)
	hs, _ := jws.Sign([]byte(`{"iss":"x","exp":9999999999}`), jws.WithKey(jwa.HS256, []byte(strings.Repeat("k", 32)), jws.WithProtectedHeaders(h2)))
	if _, err := Verify(hs, []jwk.Key{pub}, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("HS256: err = %v", err)
	}
}

func TestCheckRequest(t *testing.T) {
	l := &List{Entities: []Entity{{ID: "did:web:x:issuers:ajuntament-girona", Name: "Ajuntament de Girona", Purposes: []Purpose{
		{ID: "school-admission-residence", Title: "Admissió escolar", LegalBasis: "Decret 11/2014", Type: "census", Claims: []string{"municipality", "address", "postalCode"}, RetentionDays: 365},
	}}}}
	if p, err := l.CheckRequest("did:web:x:issuers:ajuntament-girona", "school-admission-residence", "census", []string{"municipality", "address"}); err != nil || p.RetentionDays != 365 {
		t.Fatalf("registered request refused: %v", err)
	}
	for name, tc := range map[string]struct {
		did, purpose, typ string
		claims            []string
	}{
		"unregistered verifier": {"did:web:evil", "school-admission-residence", "census", []string{"municipality"}},
		"unknown purpose":       {"did:web:x:issuers:ajuntament-girona", "marketing", "census", []string{"municipality"}},
		"other type":            {"did:web:x:issuers:ajuntament-girona", "school-admission-residence", "tax", []string{"upToDate"}},
		"over-asking":           {"did:web:x:issuers:ajuntament-girona", "school-admission-residence", "census", []string{"municipality", "birthDate"}},
	} {
		if _, err := l.CheckRequest(tc.did, tc.purpose, tc.typ, tc.claims); !errors.Is(err, ErrNotRegistered) {
			t.Errorf("%s: err = %v, want ErrNotRegistered", name, err)
		}
	}
}
