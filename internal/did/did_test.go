package did

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

func TestWebURL(t *testing.T) {
	for _, tc := range []struct {
		did, base, want string
		bad             bool
	}{
		{did: "did:web:espai.localhost", want: "https://espai.localhost/.well-known/did.json"},
		{did: "did:web:espai.localhost:issuers:atc", want: "https://espai.localhost/issuers/atc/did.json"},
		{did: "did:web:localhost%3A8443:issuers:ub", want: "https://localhost:8443/issuers/ub/did.json"},
		{did: "did:web:espai.localhost:issuers:atc", base: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080/issuers/atc/did.json"},
		{did: "did:web:espai.localhost:..:etc", bad: true},
		{did: "did:web:evil.example%2Fx:a", bad: true},
		{did: "did:web:", bad: true},
		{did: "did:key:z6Mk", bad: true},
	} {
		got, err := WebURL(tc.did, tc.base)
		if tc.bad {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("WebURL(%q) = %q, %v; want ErrMalformed", tc.did, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("WebURL(%q, %q) = %q, %v; want %q", tc.did, tc.base, got, err, tc.want)
		}
	}
}

func testDoc(t *testing.T) (*Document, *ecdsa.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, err := jwk.FromRaw(ec)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	d := NewDocument(Web("espai.localhost", "issuers", "atc"))
	if err := d.AddJWK("es256-1", k, AssertionMethod); err != nil {
		t.Fatal(err)
	}
	d.AddEd25519("ed25519-1", edPub, AssertionMethod)
	d.AddEd25519("auth-1", edPub, Authentication)
	return d, ec, edPub
}

func TestDocumentKey(t *testing.T) {
	d, ec, edPub := testDoc(t)
	b, _ := json.Marshal(d)
	parsed, err := ParseDocument(d.ID, b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parsed.Key(d.ID+"#es256-1", AssertionMethod)
	if err != nil {
		t.Fatal(err)
	}
	if !ec.PublicKey.Equal(got) {
		t.Error("es256 key does not round trip")
	}
	got, err = parsed.Key("#ed25519-1", AssertionMethod)
	if err != nil || !edPub.Equal(got) {
		t.Errorf("ed25519 key = %v, %v", got, err)
	}
	if _, err := parsed.Key(d.ID+"#auth-1", AssertionMethod); !errors.Is(err, ErrNotAuthorized) {
		t.Errorf("authentication key used for assertion: err = %v", err)
	}
	if _, err := parsed.Key(d.ID+"#nope", AssertionMethod); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown method: err = %v", err)
	}
	parsed.VerificationMethod[0].Controller = "did:web:evil.example"
	if _, err := parsed.Key(d.ID+"#es256-1", AssertionMethod); !errors.Is(err, ErrNotAuthorized) {
		t.Errorf("foreign controller: err = %v", err)
	}
	if _, err := ParseDocument("did:web:other", b); !errors.Is(err, ErrMalformed) {
		t.Errorf("document for another DID accepted: %v", err)
	}
}

func TestDocumentRefusesPrivateJWK(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, _ := jwk.FromRaw(ec)
	raw, _ := json.Marshal(k)
	d := NewDocument("did:web:x")
	d.add(VerificationMethod{ID: "did:web:x#k", Type: TypeJWK2020, Controller: "did:web:x", PublicKeyJwk: raw}, []string{AssertionMethod})
	if _, err := d.Key("did:web:x#k", AssertionMethod); !errors.Is(err, ErrMalformed) {
		t.Fatalf("private JWK in document: err = %v", err)
	}
}

func TestKeyDID(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	id, vm := KeyDID(pub)
	doc, err := Methods{}.ResolveDID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := doc.Key(vm, Authentication)
	if err != nil || !pub.Equal(got) {
		t.Fatalf("did:key round trip = %v, %v", got, err)
	}
	if _, err := (Methods{}).ResolveDID(context.Background(), "did:key:zQ3sh"); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad did:key: err = %v", err)
	}
	if _, err := (Methods{}).ResolveDID(context.Background(), "did:example:1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown method: err = %v", err)
	}
}

func TestHTTPResolver(t *testing.T) {
	d, _, _ := testDoc(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/issuers/atc/did.json" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(d)
	}))
	defer srv.Close()
	r := Methods{Web: HTTPResolver{Base: srv.URL}}
	got, err := r.ResolveDID(context.Background(), d.ID)
	if err != nil || got.ID != d.ID || len(got.VerificationMethod) != 3 {
		t.Fatalf("resolve = %+v, %v", got, err)
	}
	if _, err := r.ResolveDID(context.Background(), "did:web:espai.localhost:issuers:ub"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing document: err = %v", err)
	}
}
