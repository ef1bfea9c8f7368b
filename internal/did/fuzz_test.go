package did

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Fixed keys, so the seeds a fuzzing coordinator adds mean the same in every
// worker process.
func fixedEd25519(label string) ed25519.PublicKey {
	seed := sha256.Sum256([]byte("espai did fuzz: " + label))
	return ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
}

func fixedP256(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	d := sha256.Sum256([]byte("espai did fuzz: p-256"))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const fuzzDocID = "did:web:espai.localhost:issuers:atc"

// fuzzDocument is an administration's document as Espai publishes it: a
// JsonWebKey2020 and an Ed25519VerificationKey2020 for assertion, another
// Ed25519 key for authentication only.
func fuzzDocument(t testing.TB) *Document {
	t.Helper()
	k, err := jwk.FromRaw(fixedP256(t))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDocument(fuzzDocID)
	if err := d.AddJWK("es256-1", k, AssertionMethod); err != nil {
		t.Fatal(err)
	}
	d.AddEd25519("ed25519-1", fixedEd25519("assert"), AssertionMethod)
	d.AddEd25519("auth-1", fixedEd25519("auth"), Authentication)
	return d
}

// base58btc encodes b (Bitcoin alphabet), for hand-made did:key seeds.
func base58btc(b []byte) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(b)
	var out []byte
	for mod := new(big.Int); n.Sign() > 0; {
		n.DivMod(n, big.NewInt(58), mod)
		out = append(out, alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// FuzzParseDocument: a document that parses is the document of the DID asked
// for and survives a JSON round trip; Key returns a key only for a method
// that the document itself controls and lists under the relationship asked
// for, and that key is the method's.
func FuzzParseDocument(f *testing.F) {
	d := fuzzDocument(f)
	b, err := json.Marshal(d)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	other := fuzzDocument(f)
	other.VerificationMethod[0].Controller = "did:web:evil.example"
	other.AssertionMethod = append(other.AssertionMethod, "#auth-1")
	b, _ = json.Marshal(other)
	f.Add(b)
	f.Add([]byte(`{"id":"` + fuzzDocID + `","verificationMethod":[{"id":"#k","type":"JsonWebKey2020","controller":"` + fuzzDocID + `","publicKeyJwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}],"assertionMethod":["#k"]}`))
	// publicKeyMultibase outside Latin-1 crashed aries' base58 decoder.
	f.Add([]byte(`{"id":"` + fuzzDocID + `","verificationMethod":[{"id":"` + fuzzDocID + `#k","type":"Ed25519VerificationKey2020","controller":"` + fuzzDocID + `","publicKeyMultibase":"z\u0100"}],"assertionMethod":["#k"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseDocument(fuzzDocID, body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if d.ID != fuzzDocID {
			t.Fatalf("document of %q accepted for %q", d.ID, fuzzDocID)
		}
		// Round trip on the JSON form (an empty list and a missing one
		// read alike).
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := ParseDocument(fuzzDocID, again)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if third, _ := json.Marshal(d2); !bytes.Equal(third, again) {
			t.Fatalf("round trip:\n%s\n%s", again, third)
		}
		for _, rel := range []string{AssertionMethod, Authentication} {
			listed := d.AssertionMethod
			if rel == Authentication {
				listed = d.Authentication
			}
			for _, vm := range d.VerificationMethod {
				_, _ = vm.PublicKey()
				for _, id := range []string{vm.ID, "#" + strings.TrimPrefix(vm.ID, d.ID+"#")} {
					key, err := d.Key(id, rel)
					if err != nil {
						if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNotAuthorized) && !errors.Is(err, ErrMalformed) {
							t.Fatalf("Key(%q): unexpected error %v", id, err)
						}
						continue
					}
					full := id
					if strings.HasPrefix(id, "#") {
						full = d.ID + id
					}
					var m *VerificationMethod // Key uses the last method with the id
					for i := range d.VerificationMethod {
						if d.VerificationMethod[i].ID == full {
							m = &d.VerificationMethod[i]
						}
					}
					if m == nil || m.Controller != d.ID {
						t.Fatalf("Key(%q, %s) returned a key of a method the document does not control", id, rel)
					}
					ok := false
					for _, l := range listed {
						ok = ok || l == full || (strings.HasPrefix(l, "#") && d.ID+l == full)
					}
					if !ok {
						t.Fatalf("Key(%q, %s) returned a key not listed under %s", id, rel, rel)
					}
					want, err := m.PublicKey()
					if err != nil || !reflect.DeepEqual(key, want) {
						t.Fatalf("Key(%q) is not the method's key: %v", id, err)
					}
				}
			}
		}
	})
}

// FuzzKeyDocument: a did:key that resolves is the one encoding of its key
// (KeyDID gives it back), and its document authenticates with that key.
func FuzzKeyDocument(f *testing.F) {
	pub := fixedEd25519("holder")
	id, _ := KeyDID(pub)
	f.Add(id)
	// A non-minimal multicodec varint (0xed 0x81 0x00 for 0xed): the same key
	// under a second DID, which must be refused.
	f.Add("did:key:z" + base58btc(append([]byte{0xed, 0x81, 0x00}, pub...)))
	f.Add("did:key:z" + base58btc(append([]byte{0xed, 0x01}, pub[:31]...)))
	f.Add("did:key:z1" + id[len("did:key:z"):])
	f.Add("did:key:zQ3sh")
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := KeyDocument(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if len(doc.VerificationMethod) != 1 {
			t.Fatalf("%d methods", len(doc.VerificationMethod))
		}
		k, err := doc.Key(doc.VerificationMethod[0].ID, Authentication)
		if err != nil {
			t.Fatalf("did:key document does not authenticate: %v", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			t.Fatalf("key type %T", k)
		}
		if again, method := KeyDID(pub); again != s || method != doc.VerificationMethod[0].ID {
			t.Fatalf("%q resolves to the key of %q", s, again)
		}
	})
}

// FuzzWebURL: the URL of a did:web document is on the DID's host, at the
// DID's path, with nothing that could move it elsewhere (no user info, query,
// fragment, dot segments).
func FuzzWebURL(f *testing.F) {
	for _, s := range []string{fuzzDocID, "did:web:espai.localhost", "did:web:localhost%3A8443:issuers:ub",
		"did:web:espai.localhost:..:etc", "did:web:evil.example%2Fx:a", "did:web:", "did:web:a%40b", "did:web:%5B::1%5D:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := WebURL(s, "")
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		segs := strings.Split(strings.TrimPrefix(s, "did:web:"), ":")
		host, _ := url.PathUnescape(segs[0])
		p, err := url.Parse(u)
		if err != nil {
			return // an unusable URL fails at the request; it cannot point elsewhere
		}
		want := "/.well-known/did.json"
		if len(segs) > 1 {
			want = "/" + strings.Join(segs[1:], "/") + "/did.json"
		}
		if p.Scheme != "https" || p.Host != host || p.User != nil || p.RawQuery != "" || p.Fragment != "" || p.Path != want {
			t.Fatalf("%q maps to %q: host %q path %q, want host %q path %q", s, u, p.Host, p.Path, host, want)
		}
		for _, seg := range strings.Split(p.Path, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("%q maps to %q, with a dot segment", s, u)
			}
		}
		based, err := WebURL(s, "http://127.0.0.1:8080/")
		if err != nil || based != "http://127.0.0.1:8080"+want {
			t.Fatalf("with a base: %q, %v", based, err)
		}
	})
}

// FuzzSplitURL: a DID URL that splits joins back to itself.
func FuzzSplitURL(f *testing.F) {
	f.Add(fuzzDocID + "#es256-1")
	f.Add("did:key:z6Mk#z6Mk")
	f.Add("did:web:x#a#b")
	f.Fuzz(func(t *testing.T, s string) {
		d, frag, err := SplitURL(s)
		if err != nil {
			return
		}
		if d+"#"+frag != s || !strings.HasPrefix(d, "did:") || frag == "" || strings.ContainsAny(frag, "/?#") {
			t.Fatalf("%q splits into %q and %q", s, d, frag)
		}
	})
}
