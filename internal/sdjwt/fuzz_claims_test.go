package sdjwt

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// malleateES256 returns the ES256 JWS compact with its signature (r, s) replaced
// by (r, n-s): the other signature ECDSA accepts for the same message. It is
// the one change to a signed JWT that still verifies, so it makes a useful
// seed: whatever accepts it must still read the same claims.
func malleateES256(t testing.TB, compact string) string {
	t.Helper()
	i := strings.LastIndexByte(compact, '.')
	sig, err := b64.DecodeString(compact[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 signature: %v", err)
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(elliptic.P256().Params().N, s)
	out := append(sig[:32:32], s.FillBytes(make([]byte, 32))...)
	return compact[:i+1] + b64.EncodeToString(out)
}

// claimsContained reports whether every member of a is in b with a contained
// value, array elements in order (an SD-JWT discloses any subset of an
// object's members and of an array's elements).
func claimsContained(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range a {
			if w, ok := bm[k]; !ok || !claimsContained(v, w) {
				return false
			}
		}
		return true
	case []any:
		bs, ok := b.([]any)
		if !ok {
			return false
		}
		j := 0
		for _, v := range a {
			for j < len(bs) && !claimsContained(v, bs[j]) {
				j++
			}
			if j == len(bs) {
				return false
			}
			j++
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}

// sameClearClaims compares what the issuer signed in the clear (everything but
// the selectively disclosable claims).
func sameClearClaims(t *testing.T, got, want *Credential) {
	t.Helper()
	if got.Issuer != want.Issuer || got.VCT != want.VCT || got.KeyID != want.KeyID || got.Alg != want.Alg ||
		!got.IssuedAt.Equal(want.IssuedAt) || !got.NotBefore.Equal(want.NotBefore) || !got.Expiry.Equal(want.Expiry) ||
		!reflect.DeepEqual(got.Status, want.Status) {
		t.Fatalf("accepted credential differs from the issued one:\n got %+v\nwant %+v", got, want)
	}
	gt, err1 := got.Confirmation.Thumbprint(crypto.SHA256)
	wt, err2 := want.Confirmation.Thumbprint(crypto.SHA256)
	if err1 != nil || err2 != nil || string(gt) != string(wt) {
		t.Fatal("accepted credential is bound to another holder key")
	}
}

// FuzzVerifyClaims: whatever verifies is semantically the golden credential.
// An issued SD-JWT that verifies has the issuer's clear claims and a subset of
// the disclosable ones with their issued values, only at disclosed paths; a
// presentation that verifies gives exactly the golden presentation's claims.
// The seeds include the golden tokens with their ES256 signature malleated,
// which verify: the property is on meaning, not bytes.
func FuzzVerifyClaims(f *testing.F) {
	g := loadGolden(f)
	ctx := context.Background()
	req := PresentationRequest{Audience: testAud, Nonce: testNon}
	_, full, err := Verify(ctx, g.issued, g.f.keys, testNow)
	if err != nil {
		f.Fatal(err)
	}
	_, shown, err := VerifyPresentation(ctx, g.presentation, g.f.keys, req, testNow)
	if err != nil {
		f.Fatal(err)
	}
	issued, _ := Parse(g.issued)
	pres, _ := Parse(g.presentation)
	f.Add(g.issued)
	f.Add(g.presentation)
	f.Add(malleateES256(f, issued.IssuerJWT) + "~" + strings.Join(fuzzDisclosures(issued), "~") + "~")
	f.Add(malleateES256(f, pres.IssuerJWT) + pres.Presented()[len(pres.IssuerJWT):] + pres.KeyBinding)
	f.Add(issued.IssuerJWT + "~" + issued.Disclosures[len(issued.Disclosures)-1].Encoded + "~")
	f.Add(pres.Presented())
	f.Fuzz(func(t *testing.T, in string) {
		if _, c, err := Verify(ctx, in, g.f.keys, testNow); err == nil {
			sameClearClaims(t, c, full)
			if !claimsContained(c.Claims, full.Claims) {
				t.Fatalf("claims %v are not among the issued %v", c.Claims, full.Claims)
			}
			for _, p := range c.Disclosed {
				if !slices.Contains(full.Disclosed, p) {
					t.Fatalf("disclosed path %q was not issued as disclosable", p)
				}
			}
		}
		if _, c, err := VerifyPresentation(ctx, in, g.f.keys, req, testNow); err == nil {
			sameClearClaims(t, c, shown)
			if !reflect.DeepEqual(c.Claims, shown.Claims) || !reflect.DeepEqual(c.Disclosed, shown.Disclosed) {
				t.Fatalf("presentation claims %v, golden %v", c.Claims, shown.Claims)
			}
		}
	})
}

func fuzzDisclosures(sd *SDJWT) []string {
	var out []string
	for _, d := range sd.Disclosures {
		out = append(out, d.Encoded)
	}
	return out
}

// jwsSigningInput is what a JWS signature covers: header.payload.
func jwsSigningInput(jwt string) string { return jwt[:max(strings.LastIndexByte(jwt, '.'), 0)] }
