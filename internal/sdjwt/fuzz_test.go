package sdjwt

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

var update = flag.Bool("update", false, "regenerate testdata/ (keys, issued credential, presentation)")

// golden is the fixture of testdata/: fixed keys, an issued census
// credential and a presentation of given_name and address.street, all at
// testNow. Regenerate with go test -run TestGolden -update.
type golden struct {
	f                    fixture
	issued, presentation string
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ik, err := jwk.ParseKey(read("issuer.jwk"))
	if err != nil {
		t.Fatal(err)
	}
	hk, err := jwk.ParseKey(read("holder.jwk"))
	if err != nil {
		t.Fatal(err)
	}
	var ikRaw, hkRaw any
	if err := ik.Raw(&ikRaw); err != nil {
		t.Fatal(err)
	}
	if err := hk.Raw(&hkRaw); err != nil {
		t.Fatal(err)
	}
	return golden{
		f:            newFixture(t, ikRaw, hkRaw),
		issued:       strings.TrimSpace(string(read("issued.txt"))),
		presentation: strings.TrimSpace(string(read("presentation.txt"))),
	}
}

func TestGolden(t *testing.T) {
	if *update {
		write := func(name string, b []byte) {
			if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f := newFixture(t, ecKey(t), ecKey(t))
		for name, k := range map[string]jwk.Key{"issuer.jwk": f.issuer.Key, "holder.jwk": f.holder.Key} {
			b, err := jwkJSON(k)
			if err != nil {
				t.Fatal(err)
			}
			write(name, b)
		}
		issued := issue(t, f)
		pres, err := Present(issued, []string{"given_name", "address.street"}, f.holder, testAud, testNon, testNow)
		if err != nil {
			t.Fatal(err)
		}
		write("issued.txt", []byte(issued+"\n"))
		write("presentation.txt", []byte(pres+"\n"))
	}
	g := loadGolden(t)
	if _, _, err := Verify(context.Background(), g.issued, g.f.keys, testNow); err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyPresentation(context.Background(), g.presentation, g.f.keys, PresentationRequest{Audience: testAud, Nonce: testNon}, testNow); err != nil {
		t.Fatal(err)
	}
}

func jwkJSON(k jwk.Key) ([]byte, error) {
	return mustMarshalIndent(k)
}

func seedCorpus(f *testing.F) golden {
	g := loadGolden(f)
	f.Add(g.issued)
	f.Add(g.presentation)
	sd, _ := Parse(g.presentation)
	f.Add(sd.Presented())
	f.Add(sd.IssuerJWT + "~" + "WyI2cU1RdlJMNWhhaiIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0~WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0~")
	f.Add("a.b.c~")
	f.Add("~~")
	return g
}

// FuzzParse: whatever parses reassembles to the input, and every disclosure
// re-parses to the same content and digest.
func FuzzParse(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, in string) {
		sd, err := Parse(in)
		if err != nil {
			return
		}
		if sd.String() != in {
			t.Fatalf("String() = %q, input %q", sd.String(), in)
		}
		if !strings.HasSuffix(sd.Presented(), "~") {
			t.Fatalf("presented part %q does not end with ~", sd.Presented())
		}
		for _, d := range sd.Disclosures {
			again, err := ParseDisclosure(d.Encoded)
			if err != nil || again.Digest != d.Digest || again.Digest != Digest(d.Encoded) || again.Name != d.Name || again.Element != d.Element {
				t.Fatalf("disclosure %q does not re-parse identically: %v", d.Encoded, err)
			}
		}
		_, _, _ = ParseJWT(sd.IssuerJWT)
	})
}

// FuzzVerify: verification never panics; an issued SD-JWT that verifies
// carries only disclosures the issuer made; a presentation that verifies is
// byte for byte the one the holder made.
func FuzzVerify(f *testing.F) {
	g := seedCorpus(f)
	orig, err := Parse(g.issued)
	if err != nil {
		f.Fatal(err)
	}
	issuedDisc := map[string]bool{}
	for _, d := range orig.Disclosures {
		issuedDisc[d.Encoded] = true
	}
	f.Add(malleateES256(f, orig.IssuerJWT) + orig.Presented()[len(orig.IssuerJWT):])
	req := PresentationRequest{Audience: testAud, Nonce: testNon}
	f.Fuzz(func(t *testing.T, in string) {
		ctx := context.Background()
		if v, c, err := Verify(ctx, in, g.f.keys, testNow); err == nil {
			if !v.Valid || c == nil {
				t.Fatal("nil error without a valid verdict")
			}
			sd, _ := Parse(in)
			// The signing input, not the whole JWT: ECDSA also accepts
			// (r, n-s), so the signature itself may differ (seeded above).
			if jwsSigningInput(sd.IssuerJWT) != jwsSigningInput(orig.IssuerJWT) {
				t.Fatalf("a different issuer JWT verifies: %q", in)
			}
			for _, d := range sd.Disclosures {
				if !issuedDisc[d.Encoded] {
					t.Fatalf("a disclosure the issuer did not make verifies: %q", d.Encoded)
				}
			}
		}
		if v, _, err := VerifyPresentation(ctx, in, g.f.keys, req, testNow); err == nil {
			if !v.Valid || in != g.presentation {
				t.Fatalf("a modified presentation verifies: %q", in)
			}
		}
	})
}
