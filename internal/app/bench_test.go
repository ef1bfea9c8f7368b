package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/verifier"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

// BenchmarkVerifyPresentation verifies Laia's census presentation (three
// claims, key binding) with every check: signature, DID key, trust list,
// validity, status (list cached), holder binding, audience, nonce,
// freshness, sd_hash, disclosures, requested claims. Compare with
// BenchmarkTwoRawVerifies.
func BenchmarkVerifyPresentation(b *testing.B) {
	ctx := context.Background()
	a := openDemo(b)
	s, err := a.Wallet.Unlock(ctx, laia, "laia-demo-2026")
	if err != nil {
		b.Fatal(err)
	}
	creds, _, _ := s.Credentials(ctx)
	var raw string
	for _, c := range creds {
		if c.Type == credential.Census {
			raw = string(c.Raw)
		}
	}
	key, _ := s.HolderJWK(ctx)
	claims := []string{"municipality", "address", "postalCode"}
	aud := "decentralized_identifier:did:web:espai.localhost:issuers:ajuntament-girona"
	pres, err := sdjwt.Present(raw, claims, sdjwt.Signer{Key: key, Alg: jwa.EdDSA}, aud, "n-0123456789012345678901", a.now())
	if err != nil {
		b.Fatal(err)
	}
	req := verifier.PresentationRequest{Audience: aud, Nonce: "n-0123456789012345678901", Type: credential.Census, Claims: claims}
	if v, err := a.Checker.VerifyPresentation(ctx, []byte(pres), req); err != nil || !v.Valid {
		b.Fatalf("%v %+v", err, v)
	}
	b.ReportAllocs()
	b.ResetTimer() // opening the demo deployment is not part of it
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v, err := a.Checker.VerifyPresentation(ctx, []byte(pres), req)
			if err != nil || !v.Valid {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTwoRawVerifies is the baseline: the two signature verifications
// a presentation contains (the issuer's ES256, the holder's Ed25519).
func BenchmarkTwoRawVerifies(b *testing.B) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	msg := make([]byte, 1200)
	digest := sha256.Sum256(msg)
	ecSig, _ := ecdsa.SignASN1(rand.Reader, ec, digest[:])
	edSig := ed25519.Sign(edPriv, msg[:300])
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d := sha256.Sum256(msg)
			if !ecdsa.VerifyASN1(&ec.PublicKey, d[:], ecSig) || !ed25519.Verify(edPub, msg[:300], edSig) {
				b.Fatal("verify")
			}
		}
	})
}
