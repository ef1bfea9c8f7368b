package jsonld

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// goldenCredentials reads testdata's credentials and verifies each once.
func goldenCredentials(f *testing.F) (raws [][]byte, verified []*Credential) {
	f.Helper()
	p := testProcessor(f)
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		if strings.HasSuffix(name, "presentation.json") {
			continue
		}
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		_, c, err := p.Verify(context.Background(), raw, testKeys(), verifyAt)
		if err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		raws, verified = append(raws, raw), append(verified, c)
	}
	if len(raws) == 0 {
		f.Fatal("no golden credentials in testdata/")
	}
	return raws, verified
}

// FuzzVerifySameClaims: a credential that verifies is semantically one of the
// golden credentials: the same id, types, issuer, dates, subject, claims and
// status entry. Any accepted change is one the signature cannot see (JSON
// whitespace, member order) and leaves every field as signed.
func FuzzVerifySameClaims(f *testing.F) {
	raws, golden := goldenCredentials(f)
	for _, raw := range raws {
		f.Add(raw)
		// The same document compacted: a change the signature does not cover.
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err == nil {
			f.Add(buf.Bytes())
		}
	}
	p := testProcessor(f)
	keys := testKeys()
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, c, err := p.Verify(context.Background(), raw, keys, verifyAt)
		if err != nil {
			return
		}
		for _, g := range golden {
			if reflect.DeepEqual(c, g) {
				return
			}
		}
		t.Fatalf("accepted a credential that is none of the golden ones: %+v", c)
	})
}

// FuzzVerifyPresentationSameClaims: a presentation that verifies is the golden
// one in meaning: the same holder, proof (challenge, domain, created) and
// embedded credentials with the same claims.
func FuzzVerifyPresentationSameClaims(f *testing.F) {
	raw := readTestdata(f, "presentation.json")
	p := testProcessor(f)
	keys := testKeys()
	req := PresentationRequest{Challenge: testChallenge, Domain: testDomain}
	_, want, err := p.VerifyPresentation(context.Background(), raw, keys, req, verifyAt)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err == nil {
		f.Add(buf.Bytes())
	}
	// A holder did:key with a character outside Latin-1 crashed did:key
	// resolution (aries' base58 decoder) before the proof was checked.
	f.Add(bytes.ReplaceAll(raw, []byte(holderSigner("maria").DID()), []byte("did:key:z\u0100")))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, got, err := p.VerifyPresentation(context.Background(), in, keys, req, verifyAt)
		if err != nil {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("accepted presentation differs from the golden one:\n got %+v\nwant %+v", got, want)
		}
		if !reflect.DeepEqual(v.Claims, presentedClaims(want.Credentials)) {
			t.Fatalf("verdict claims %v", v.Claims)
		}
	})
}
