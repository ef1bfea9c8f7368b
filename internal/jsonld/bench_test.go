package jsonld

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"github.com/hyperledger/aries-framework-go/component/storageutil/mem"
	ariesld "github.com/hyperledger/aries-framework-go/pkg/doc/ld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/ldcontext"
	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/verifier"
	"github.com/hyperledger/aries-framework-go/pkg/doc/verifiable"
	ldstore "github.com/hyperledger/aries-framework-go/pkg/store/ld"
)

// ariesPlainLoader is aries' documented plain usage: a fresh document loader
// over in-memory stores with Espai's context as an extra context, no cache.
func ariesPlainLoader(tb testing.TB) *ariesld.DocumentLoader {
	tb.Helper()
	store := mem.NewProvider()
	cs, err := ldstore.NewContextStore(store)
	if err != nil {
		tb.Fatal(err)
	}
	rs, err := ldstore.NewRemoteProviderStore(store)
	if err != nil {
		tb.Fatal(err)
	}
	l, err := ariesld.NewDocumentLoader(ldProvider{cs, rs}, ariesld.WithExtraContexts(
		ldcontext.Document{URL: ContextEspaiV1, Content: json.RawMessage(espaiV1)}))
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func benchCredential(b *testing.B) (Credential, Signer, []byte) {
	f := fixtures()[0]
	return f.withIssuer(), issuerSigner(f.issuer), issueFixture(b, f)
}

func ariesIssue(b *testing.B, l *ariesld.DocumentLoader, unsigned []byte, s Signer) {
	vc, err := verifiable.ParseCredential(unsigned, verifiable.WithDisabledProofCheck(),
		verifiable.WithStrictValidation(), verifiable.WithNoCustomSchemaCheck(), verifiable.WithJSONLDDocumentLoader(l))
	if err != nil {
		b.Fatal(err)
	}
	o := ProofOptions{Purpose: PurposeAssertion, Created: issued}
	if err := vc.AddLinkedDataProof(o.ldpContext(s), ariesjsonld.WithDocumentLoader(l)); err != nil {
		b.Fatal(err)
	}
	if _, err := vc.MarshalJSON(); err != nil {
		b.Fatal(err)
	}
}

func ariesVerify(b *testing.B, l *ariesld.DocumentLoader, raw []byte, pub ed25519.PublicKey) {
	fetch := func(_, _ string) (*verifier.PublicKey, error) {
		return &verifier.PublicKey{Type: "Ed25519VerificationKey2020", Value: pub}, nil
	}
	if _, err := verifiable.ParseCredential(raw, verifiable.WithPublicKeyFetcher(fetch),
		verifiable.WithStrictValidation(), verifiable.WithNoCustomSchemaCheck(), verifiable.WithJSONLDDocumentLoader(l)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAriesPlainIssue: aries alone, a fresh uncached loader per
// credential (the baseline).
func BenchmarkAriesPlainIssue(b *testing.B) {
	_, s, signed := benchCredential(b)
	unsigned := withoutProof(b, signed)
	for b.Loop() {
		ariesIssue(b, ariesPlainLoader(b), unsigned, s)
	}
}

// BenchmarkAriesSharedLoaderIssue: aries with one loader built once but no
// cache in front (isolates the cache's share of the gain).
func BenchmarkAriesSharedLoaderIssue(b *testing.B) {
	_, s, signed := benchCredential(b)
	unsigned := withoutProof(b, signed)
	l := ariesPlainLoader(b)
	for b.Loop() {
		ariesIssue(b, l, unsigned, s)
	}
}

// BenchmarkIssue: Processor.Issue (cached loader, plus the strict checks).
func BenchmarkIssue(b *testing.B) {
	c, s, _ := benchCredential(b)
	p := testProcessor(b)
	for b.Loop() {
		if _, err := p.Issue(context.Background(), c, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAriesPlainVerify: aries' ParseCredential with proof check and
// strict validation, a fresh uncached loader per credential. It checks less
// than Verify (no purpose, issuer key, expiry or term-drop checks).
func BenchmarkAriesPlainVerify(b *testing.B) {
	_, s, signed := benchCredential(b)
	pub := s.Key.Public().(ed25519.PublicKey)
	for b.Loop() {
		ariesVerify(b, ariesPlainLoader(b), signed, pub)
	}
}

// BenchmarkAriesSharedLoaderVerify: as above with one uncached loader.
func BenchmarkAriesSharedLoaderVerify(b *testing.B) {
	_, s, signed := benchCredential(b)
	pub := s.Key.Public().(ed25519.PublicKey)
	l := ariesPlainLoader(b)
	for b.Loop() {
		ariesVerify(b, l, signed, pub)
	}
}

// BenchmarkVerify: Processor.Verify with every check.
func BenchmarkVerify(b *testing.B) {
	_, _, signed := benchCredential(b)
	p := testProcessor(b)
	keys := testKeys()
	for b.Loop() {
		if _, _, err := p.Verify(context.Background(), signed, keys, verifyAt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParallel checks the loader under concurrent use.
func BenchmarkVerifyParallel(b *testing.B) {
	_, _, signed := benchCredential(b)
	p := testProcessor(b)
	keys := testKeys()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := p.Verify(context.Background(), signed, keys, verifyAt); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerifyPresentation(b *testing.B) {
	p := testProcessor(b)
	vp := readTestdata(b, "presentation.json")
	req := PresentationRequest{Challenge: testChallenge, Domain: testDomain}
	keys := testKeys()
	for b.Loop() {
		if _, _, err := p.VerifyPresentation(context.Background(), vp, keys, req, verifyAt); err != nil {
			b.Fatal(err)
		}
	}
}
