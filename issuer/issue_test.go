package issuer

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/demo"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/statuslist"
)

const laia = "12345678Z"

func testHolder(t testing.TB) (*Holder, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := did.KeyDID(pub)
	h, err := HolderFromEd25519(pub, d)
	if err != nil {
		t.Fatal(err)
	}
	return h, priv
}

// issuerKeys resolves keys from the service's own DID documents, as a
// verifier resolving did:web would.
func issuerKeys(s *Service) sdjwt.IssuerKeys {
	return sdjwt.IssuerKeysFunc(func(ctx context.Context, iss, kid string) (sdjwt.IssuerKey, error) {
		d, _, err := did.SplitURL(kid)
		if err != nil || d != iss {
			return sdjwt.IssuerKey{}, errors.New("kid not of issuer")
		}
		doc, err := s.ResolveDID(ctx, iss)
		if err != nil {
			return sdjwt.IssuerKey{}, err
		}
		k, err := doc.Key(kid, did.AssertionMethod)
		return sdjwt.IssuerKey{Key: k}, err
	})
}

func TestIssueSDJWTForLaia(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	h, _ := testHolder(t)
	for _, typ := range credential.Types {
		is, err := s.Issue(ctx, Request{Type: typ, Format: credential.SDJWT, Citizen: laia, Holder: h})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		v, c, err := sdjwt.Verify(ctx, is.Credential, issuerKeys(s), fixedNow)
		if err != nil {
			t.Fatalf("%s: %v\n%+v", typ, err, v)
		}
		if c.VCT != typ.VCT() || c.Issuer != s.DID(is.Admin) {
			t.Fatalf("%s: vct %s issuer %s", typ, c.VCT, c.Issuer)
		}
		if c.Claims["nationalId"] != laia {
			t.Fatalf("%s: nationalId %v", typ, c.Claims["nationalId"])
		}
		if c.Status == nil || c.Status.Index != is.Index || !strings.HasSuffix(c.Status.URI, "/status/"+is.Admin+"/1") {
			t.Fatalf("%s: status %+v, record %+v", typ, c.Status, is.Record)
		}
		tp, _ := c.Confirmation.Thumbprint(0x5) // crypto.SHA256
		want, _ := h.JWK.Thumbprint(0x5)
		if string(tp) != string(want) {
			t.Fatalf("%s: cnf is not the holder's key", typ)
		}
		// Every personal claim is selectively disclosable: nothing is in
		// the signed payload in clear but the registered plaintext claims.
		for _, name := range []string{"nationalId", "givenName"} {
			if _, ok := c.Claims[name]; ok && !contains(c.Disclosed, name) {
				t.Fatalf("%s: %s is not selectively disclosable", typ, name)
			}
		}
	}
	recs, err := s.IssuedTo(ctx, laia)
	if err != nil || len(recs) != 4 {
		t.Fatalf("IssuedTo: %d, %v", len(recs), err)
	}
	census := map[credential.Type]string{}
	for _, r := range recs {
		census[r.Type] = r.Admin
	}
	if census[credential.Census] != "ajuntament-girona" || census[credential.Degree] != "udg" || census[credential.Tax] != "atc" || census[credential.WorkLife] != "tgss" {
		t.Fatalf("issuers %v", census)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestIssueJSONLDForLaia(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	h, _ := testHolder(t)
	p, err := jsonld.NewProcessor()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range credential.Types {
		is, err := s.Issue(ctx, Request{Type: typ, Format: credential.JSONLD, Citizen: laia, Holder: h})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		v, c, err := p.Verify(ctx, []byte(is.Credential), jsonld.DIDKeys{Resolver: s}, fixedNow)
		if err != nil {
			t.Fatalf("%s: %v\n%+v", typ, err, v)
		}
		if c.SubjectID != h.DID || c.Type() != typ.LDType() || c.Status == nil || c.Status.StatusListIndex == "" {
			t.Fatalf("%s: %+v", typ, c)
		}
	}
}

func TestPublishedStatusListsReflectRevocation(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	h, _ := testHolder(t)
	sd, err := s.Issue(ctx, Request{Type: credential.Tax, Format: credential.SDJWT, Citizen: laia, Holder: h})
	if err != nil {
		t.Fatal(err)
	}
	ld, err := s.Issue(ctx, Request{Type: credential.Tax, Format: credential.JSONLD, Citizen: laia, Holder: h})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, sd.ID, "error en la liquidació"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Suspend(ctx, ld.ID, "revisió en curs"); err != nil {
		t.Fatal(err)
	}
	raw, err := s.StatusListToken(ctx, "atc", 1)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := statuslist.VerifyToken(ctx, raw, s.statusURI("atc", 1, credential.SDJWT), issuerKeys(s), fixedNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	for idx, want := range map[int]statuslist.Status{sd.Index: 1, ld.Index: 2} {
		if got, _ := tok.List.Get(idx); got != want {
			t.Fatalf("token list entry %d = %v, want %v", idx, got, want)
		}
	}
	doc, err := s.BitstringStatusCredential(ctx, "atc", 1)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := jsonld.NewProcessor()
	if _, err := p.VerifyProof(ctx, doc, jsonld.DIDKeys{Resolver: s}, jsonld.PurposeAssertion); err != nil {
		t.Fatal(err)
	}
	// A reinstatement is visible at once (the cache is per list version).
	if _, err := s.Reinstate(ctx, ld.ID, "revisió favorable"); err != nil {
		t.Fatal(err)
	}
	raw2, _ := s.StatusListToken(ctx, "atc", 1)
	tok2, err := statuslist.VerifyToken(ctx, raw2, s.statusURI("atc", 1, credential.SDJWT), issuerKeys(s), fixedNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tok2.List.Get(ld.Index); got != 0 {
		t.Fatalf("after reinstatement entry = %v", got)
	}
	if _, err := s.StatusListToken(ctx, "atc", 9); !errors.Is(err, ErrUnknownCredential) {
		t.Fatalf("unknown list: %v", err)
	}
}

func TestIssueRefusals(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	h, _ := testHolder(t)
	cases := []struct {
		name string
		req  Request
		want error
	}{
		{"unknown citizen", Request{Type: credential.Census, Format: credential.SDJWT, Citizen: "00000000T", Holder: h}, ErrNothingToIssue},
		{"invalid id", Request{Type: credential.Census, Format: credential.SDJWT, Citizen: "12345678A", Holder: h}, nil},
		{"no holder", Request{Type: credential.Census, Format: credential.SDJWT, Citizen: laia}, ErrNoHolder},
		{"no holder DID for JSON-LD", Request{Type: credential.Census, Format: credential.JSONLD, Citizen: laia, Holder: &Holder{JWK: h.JWK}}, ErrNoHolder},
		{"other administration", Request{Type: credential.Census, Format: credential.SDJWT, Citizen: laia, Holder: h, Admin: "atc"}, ErrNotAllowed},
		{"no such degree", Request{Type: credential.Degree, Format: credential.SDJWT, Citizen: laia, Holder: h, Degree: 3}, ErrNothingToIssue},
		{"unknown type", Request{Type: "passport", Format: credential.SDJWT, Citizen: laia, Holder: h}, credential.ErrUnknownType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Issue(ctx, tc.req)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if recs, _ := s.IssuedTo(ctx, laia); len(recs) != 0 {
		// "no holder" fails at signing, after the record is written: the
		// index is allocated and never used, which is harmless. Only refusals
		// before signing leave nothing; check the others did not write.
		for _, r := range recs {
			if r.Type != credential.Census {
				t.Fatalf("unexpected record %+v", r)
			}
		}
	}
}

func TestBadRegisterRecordIssuesNothing(t *testing.T) {
	ctx := context.Background()
	dir := writeRegisters(t, nil)
	rewriteCensusField(t, dir, 0, "nationalId", "12345678A") // wrong check letter for Laia
	rewriteCensusField(t, dir, 1, "address", nil)            // Jordi: missing field
	regs := openRegisters(t, dir)
	sealer, err := atrest.LoadOrCreate(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(t.TempDir(), "issuer.db"), Config{DIDDomain: "espai.localhost", Now: func() time.Time { return fixedNow }}, sealer, RegistersFrom(regs))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, a := range []Administration{
		{ID: "ajuntament-sabadell", Name: "Ajuntament de Sabadell", Types: []credential.Type{credential.Census}},
		{ID: "ajuntament-girona", Name: "Ajuntament de Girona", Types: []credential.Type{credential.Census}},
	} {
		if err := s.Onboard(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := testHolder(t)
	_, err = s.Issue(ctx, Request{Type: credential.Census, Format: credential.SDJWT, Citizen: "38765432J", Holder: h})
	var re *register.RecordError
	if !errors.As(err, &re) || re.Index != 1 || !strings.Contains(err.Error(), "address") {
		t.Fatalf("missing field: %v", err)
	}
	// A batch with one quarantined record issues nothing at all.
	_, err = s.IssueBatch(ctx, []Request{
		{Type: credential.Census, Format: credential.SDJWT, Citizen: "12345678Z", Holder: h},
		{Type: credential.Census, Format: credential.SDJWT, Citizen: "38765432J", Holder: h},
	})
	if err == nil {
		t.Fatal("batch with a bad record issued")
	}
	for _, id := range []string{"12345678Z", "38765432J"} {
		if recs, _ := s.IssuedTo(ctx, id); len(recs) != 0 {
			t.Fatalf("%s: %d records after a refused batch", id, len(recs))
		}
	}
}

func TestExpiredTaxRecordIsNotIssued(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	h, _ := testHolder(t)
	// A year later the demo tax certificates (valid six months) have expired.
	s.cfg.Now = func() time.Time { return fixedNow.AddDate(1, 0, 0) }
	_, err := s.Issue(ctx, Request{Type: credential.Tax, Format: credential.SDJWT, Citizen: laia, Holder: h})
	if !errors.Is(err, ErrNothingToIssue) || !strings.Contains(err.Error(), "no longer valid") {
		t.Fatalf("expired register record: %v", err)
	}
}

func BenchmarkIssueSDJWT(b *testing.B) {
	ctx := context.Background()
	s := newTestService(b)
	h, _ := testHolder(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue(ctx, Request{Type: credential.Census, Format: credential.SDJWT, Citizen: laia, Holder: h}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawES256 is the baseline for BenchmarkIssueSDJWT: one bare ECDSA
// P-256 signature.
func BenchmarkRawES256(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := make([]byte, 32)
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, k, digest); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignSDJWT is the format cost of one SD-JWT VC (claims, salted
// disclosures, digests, one ES256 signature), without the database write;
// compare with BenchmarkRawES256.
func BenchmarkSignSDJWT(b *testing.B) {
	ctx := context.Background()
	s := newTestService(b)
	h, _ := testHolder(b)
	sub, err := s.subjectFor(ctx, Request{Type: credential.Census, Citizen: laia})
	if err != nil {
		b.Fatal(err)
	}
	rec := &Record{ID: "urn:uuid:0", Admin: sub.admin, Type: credential.Census, Format: credential.SDJWT, List: 1, Index: 7, IssuedAt: fixedNow}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.signSDJWT(ctx, rec, sub, h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMonthlyTaxRun issues the tax-compliance credential to every
// citizen of the 1,200-citizen demo in one IssueBatch (one transaction for
// the records, then 1,200 signatures).
func BenchmarkMonthlyTaxRun(b *testing.B) {
	ctx := context.Background()
	ds, err := demo.Generate(demo.Config{Today: register.DateOf(fixedNow)})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := demo.WriteRegisters(dir, ds); err != nil {
		b.Fatal(err)
	}
	regs := openRegisters(b, dir)
	s := newTestService(b)
	s.regs = RegistersFrom(regs)
	h, _ := testHolder(b)
	reqs := make([]Request, 0, len(ds.Tax))
	for _, t := range ds.Tax {
		reqs = append(reqs, Request{Type: credential.Tax, Format: credential.SDJWT, Citizen: t.ID, Holder: h})
	}
	b.ReportMetric(float64(len(reqs)), "credentials/op")
	for b.Loop() {
		if _, err := s.IssueBatch(ctx, reqs); err != nil {
			b.Fatal(err)
		}
	}
}
