package jsonld

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/espai/espai/internal/did"
)

var update = flag.Bool("update", false, "regenerate the golden files in testdata/")

// Fixed times: every fixture is issued at issued and verified at verifyAt.
var (
	issued   = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	verifyAt = issued.Add(24 * time.Hour)
)

const (
	testChallenge = "n-0123456789abcdef"
	testDomain    = "did:web:espai.localhost:verifiers:generalitat"
)

// testKey derives an Ed25519 key from a fixed label so fixtures are stable.
func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("espai jsonld test key: " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// issuerDID is the did:web of a test administration.
func issuerDID(name string) string { return did.Web("espai.localhost", "issuers", name) }

func issuerSigner(name string) Signer {
	return Signer{MethodID: issuerDID(name) + "#key-1", Key: testKey(name)}
}

// holderSigner is a citizen's did:key.
func holderSigner(label string) Signer {
	k := testKey("holder " + label)
	_, method := did.KeyDID(k.Public().(ed25519.PublicKey))
	return Signer{MethodID: method, Key: k}
}

// fakeWeb serves did:web documents from memory.
type fakeWeb map[string]*did.Document

func (f fakeWeb) ResolveDID(_ context.Context, id string) (*did.Document, error) {
	d, ok := f[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", did.ErrNotFound, id)
	}
	return d, nil
}

// testKeys resolves the four test administrations (key-1 for assertion;
// key-auth listed for authentication only) and any did:key.
func testKeys() KeyResolver {
	web := fakeWeb{}
	for _, name := range []string{"ajuntament-barcelona", "atc", "upc", "tgss", "other"} {
		d := did.NewDocument(issuerDID(name))
		d.AddEd25519("key-1", testKey(name).Public().(ed25519.PublicKey), did.AssertionMethod)
		d.AddEd25519("key-auth", testKey(name+" auth").Public().(ed25519.PublicKey), did.Authentication)
		web[d.ID] = d
	}
	return DIDKeys{Resolver: did.Methods{Web: web}}
}

type fixture struct {
	name   string // golden file name without extension
	issuer string
	cred   Credential
}

func fixtures() []fixture {
	holder := holderSigner("maria").DID()
	status := func(list string, index int) *StatusEntry {
		u := "https://espai.localhost/status/" + list
		return &StatusEntry{
			ID: fmt.Sprintf("%s#%d", u, index), Type: TypeStatusEntry, StatusPurpose: "revocation",
			StatusListIndex: fmt.Sprint(index), StatusListCredential: u,
		}
	}
	return []fixture{
		{"census", "ajuntament-barcelona", Credential{
			ID: "urn:uuid:6f1c2b1e-0c3a-4a8e-9a55-0d1f3c1e2a01", Types: []string{"VerifiableCredential", "CensusCredential"},
			IssuanceDate: issued, ExpirationDate: issued.Add(90 * 24 * time.Hour), SubjectID: holder,
			Claims: map[string]any{
				"givenName": "Maria", "familyName": "Puig", "secondFamilyName": "Soler", "nationalId": "12345678Z",
				"birthDate": "1985-04-12", "address": "Carrer de Mallorca 401, 3r 2a", "postalCode": "08013",
				"municipality": "Barcelona", "province": "Barcelona", "registrationDate": "2010-09-01",
				"household": []any{
					map[string]any{"name": "Jordi Vidal Roca", "relationship": "cònjuge", "birthYear": float64(1983)},
					map[string]any{"name": "Laia Vidal Puig", "relationship": "filla", "birthYear": float64(2015)},
				},
			},
			Status: status("ajuntament-barcelona/1", 4711),
		}},
		{"tax", "atc", Credential{
			ID: "urn:uuid:0b9d6a52-5e7f-4c1e-8f0a-7d5c2e9b1a02", Types: []string{"VerifiableCredential", "TaxComplianceCredential"},
			IssuanceDate: issued, ExpirationDate: issued.Add(180 * 24 * time.Hour), SubjectID: holder,
			Claims: map[string]any{
				"nationalId": "12345678Z", "givenName": "Maria", "familyName": "Puig", "upToDate": true,
				"obligationsChecked": []any{"IRPF", "IVA", "ITP-AJD"}, "checkDate": "2025-02-28",
				"validUntil": "2025-08-28", "debtDescription": "Cap deute pendent",
			},
			Status: status("atc/1", 17),
		}},
		{"degree", "upc", Credential{
			ID: "urn:uuid:2c4e8a10-9b3d-4f6a-a1c5-3e7b9d0f1a03", Types: []string{"VerifiableCredential", "UniversityDegreeCredential"},
			IssuanceDate: issued, SubjectID: holder,
			Claims: map[string]any{
				"nationalId": "12345678Z", "givenName": "Maria", "familyName": "Puig",
				"degreeTitle": "Grau en Enginyeria Informàtica", "university": "Universitat Politècnica de Catalunya",
				"awardDate": "2008-07-15", "ects": float64(240), "grade": "8.25",
			},
		}},
		{"worklife", "tgss", Credential{
			ID: "urn:uuid:8e1f3a5c-7d9b-4e2a-b6c8-1f3a5c7d9b04", Types: []string{"VerifiableCredential", "WorkLifeCredential"},
			IssuanceDate: issued, ExpirationDate: issued.Add(30 * 24 * time.Hour), SubjectID: holder,
			Claims: map[string]any{
				"nationalId": "12345678Z", "givenName": "Maria", "familyName": "Puig", "totalDaysContributed": float64(5400),
				"employment": []any{
					map[string]any{"employer": "Exemple Sistemes SL", "employerTaxId": "B12345678", "startDate": "2009-01-12",
						"endDate": "2015-06-30", "regime": "General", "daysContributed": float64(2361)},
					map[string]any{"employer": "Fundació Exemple", "employerTaxId": "G87654321", "startDate": "2015-07-01",
						"regime": "General", "daysContributed": float64(3039)},
				},
			},
			Status: status("tgss/1", 2),
		}},
	}
}

func (f fixture) withIssuer() Credential {
	c := f.cred
	c.Issuer = issuerDID(f.issuer)
	return c
}

var (
	procOnce sync.Once
	proc     *Processor
	procErr  error
)

// testProcessor shares one processor across tests (building the loader costs
// a few ms; the processor is immutable).
func testProcessor(tb testing.TB) *Processor {
	tb.Helper()
	procOnce.Do(func() { proc, procErr = NewProcessor() })
	if procErr != nil {
		tb.Fatal(procErr)
	}
	return proc
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, pretty.Bytes()) {
		t.Errorf("%s differs from a fresh issuance (run go test -update if the change is intended)\ngot:\n%s", path, pretty.Bytes())
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// issueFixture issues one fixture.
func issueFixture(t testing.TB, f fixture) []byte {
	t.Helper()
	raw, err := testProcessor(t).Issue(context.Background(), f.withIssuer(), issuerSigner(f.issuer))
	if err != nil {
		t.Fatalf("issue %s: %v", f.name, err)
	}
	return raw
}
