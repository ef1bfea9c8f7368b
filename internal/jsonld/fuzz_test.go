package jsonld

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to Verify, seeded with the golden
// credentials. It must never panic, and whatever it accepts must round-trip:
// re-issuing the returned credential with the same issuer key verifies to
// the same fields.
func FuzzVerify(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"@context":"https://www.w3.org/2018/credentials/v1","proof":[]}`))
	p := testProcessor(f)
	keys := testKeys()
	issuers := map[string]string{}
	for _, fx := range fixtures() {
		issuers[issuerDID(fx.issuer)] = fx.issuer
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, c, err := p.Verify(context.Background(), raw, keys, verifyAt)
		if v == nil {
			t.Fatal("nil verdict")
		}
		if (err == nil) != v.Valid || (c != nil) != v.Valid {
			t.Fatalf("err %v, valid %v, credential %v disagree", err, v.Valid, c != nil)
		}
		if c == nil {
			return
		}
		name, ok := issuers[c.Issuer]
		if !ok {
			t.Fatalf("accepted an unknown issuer %s", c.Issuer)
		}
		again, err := p.Issue(context.Background(), *c, issuerSigner(name))
		if err != nil {
			t.Fatalf("re-issue: %v", err)
		}
		_, c2, err := p.Verify(context.Background(), again, keys, verifyAt)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, c, c2)
		}
	})
}

// FuzzVerifyPresentation must never panic on arbitrary input.
func FuzzVerifyPresentation(f *testing.F) {
	f.Add(readTestdata(f, "presentation.json"))
	f.Add([]byte(`{"verifiableCredential":[1]}`))
	p := testProcessor(f)
	keys := testKeys()
	req := PresentationRequest{Challenge: testChallenge, Domain: testDomain}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, vp, err := p.VerifyPresentation(context.Background(), raw, keys, req, verifyAt)
		if v == nil || (err == nil) != v.Valid || (vp != nil) != v.Valid {
			t.Fatalf("inconsistent result: %v %v", err, v)
		}
	})
}
