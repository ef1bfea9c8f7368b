package sdjwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// Baselines: one raw ES256 signature / verification over a JWT-sized input
// with crypto/ecdsa. Issue costs one signature plus salts, digests and JSON;
// VerifyPresentation costs two verifications (issuer JWT and key-binding
// JWT) plus parsing and digests. Compare ns/op ratios within one run.

func BenchmarkRawES256Sign(b *testing.B) {
	k := ecKey(b)
	msg := make([]byte, 900)
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(msg)
		if _, err := ecdsa.SignASN1(rand.Reader, k, h[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawES256Verify(b *testing.B) {
	k := ecKey(b)
	msg := make([]byte, 900)
	h := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, k, h[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
			b.Fatal("verify")
		}
	}
}

// BenchmarkIssue issues the 6-claim census credential (6 top-level
// disclosures + 1 nested, decoys, ES256).
func BenchmarkIssue(b *testing.B) {
	f := newFixture(b, ecKey(b), ecKey(b))
	claims := censusClaims(b, f.holder)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Issue(f.issuer, claims, censusDisclosable); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPresent(b *testing.B) {
	f := newFixture(b, ecKey(b), ecKey(b))
	issued := issue(b, f)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Present(issued, []string{"given_name", "address.street"}, f.holder, testAud, testNon, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPresentation verifies an ES256-issued, ES256-bound
// presentation of two claims.
func BenchmarkVerifyPresentation(b *testing.B) {
	f := newFixture(b, ecKey(b), ecKey(b))
	pres, err := Present(issue(b, f), []string{"given_name", "address.street"}, f.holder, testAud, testNon, testNow)
	if err != nil {
		b.Fatal(err)
	}
	req := PresentationRequest{Audience: testAud, Nonce: testNon}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := VerifyPresentation(ctx, pres, f.keys, req, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
