package ledger

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEntryRoundTrip(t *testing.T) {
	for i := range 4 {
		e := sampleEntry(i)
		t.Run(e.Kind.String(), func(t *testing.T) {
			b, err := e.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			b2, err := got.MarshalBinary()
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("re-encoding differs: %v", err)
			}
			if !got.Time.Equal(e.Time) || got.Administration != e.Administration || len(got.Categories) != len(e.Categories) {
				t.Fatalf("got %+v, want %+v", got, e)
			}
		})
	}
}

func TestEntryValidate(t *testing.T) {
	base := sampleEntry(0)
	tests := []struct {
		name   string
		mutate func(e *Entry)
		want   string
	}{
		{"unknown kind", func(e *Entry) { e.Kind = 99 }, "unknown kind"},
		{"zero time", func(e *Entry) { e.Time = time.Time{} }, "time"},
		{"no pseudonym", func(e *Entry) { e.Pseudonym = PseudonymID{} }, "pseudonym"},
		{"no commitment", func(e *Entry) { e.Commitment = Commitment{} }, "commitment"},
		{"no administration", func(e *Entry) { e.Administration = "" }, "administration is required"},
		{"no purpose", func(e *Entry) { e.Purpose = "" }, "purpose is required"},
		{"no categories", func(e *Entry) { e.Categories = nil }, "categories required"},
		{"source not allowed", func(e *Entry) { e.Source = "aeat" }, "source is not allowed"},
		{"outcome not allowed", func(e *Entry) { e.Outcome = OutcomeAccepted }, "outcome not allowed"},
		{"oversized id", func(e *Entry) { e.Administration = strings.Repeat("a", MaxIDLen+1) }, "at most"},
		{"bad id byte", func(e *Entry) { e.Purpose = "a b" }, "only letters"},
		{"claim value smuggled", func(e *Entry) { e.Categories = []string{"name=Maria"} }, "only letters"},
		{"oversized legal basis", func(e *Entry) { e.LegalBasis = strings.Repeat("x", MaxLegalBasisLen+1) }, "at most"},
		{"control char", func(e *Entry) { e.LegalBasis = "a\nb" }, "control"},
		{"too many categories", func(e *Entry) { e.Categories = make([]string, MaxCategories+1) }, "categories"},
		{"presentation without outcome", func(e *Entry) {
			*e = sampleEntry(2)
			e.Outcome = OutcomeNone
		}, "outcome accepted or refused"},
		{"exchange without source", func(e *Entry) {
			*e = sampleEntry(1)
			e.Source = ""
		}, "source is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			e.Categories = append([]string(nil), base.Categories...)
			tc.mutate(&e)
			err := e.Validate()
			if !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalidEntry containing %q", err, tc.want)
			}
			if _, err := e.MarshalBinary(); err == nil {
				t.Fatal("MarshalBinary accepted an invalid entry")
			}
		})
	}
}

func TestParseEntryRejects(t *testing.T) {
	e := sampleEntry(1)
	good, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(append([]byte(nil), good...), 0)},
		{"version 2", append([]byte{2}, good[1:]...)},
		{"kind 0", append([]byte{1, 0}, good[2:]...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseEntry(tc.b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseEntry = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestPseudonymAndCommitment(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	a, b := Pseudonym(secret, "ajuntament-girona"), Pseudonym(secret, "aeat")
	if a == b {
		t.Fatal("pseudonyms towards two administrations are equal")
	}
	if a != Pseudonym(secret, "ajuntament-girona") {
		t.Fatal("pseudonym not deterministic")
	}
	if a == Pseudonym([]byte("another citizen's secret 0123456"), "ajuntament-girona") {
		t.Fatal("two citizens share a pseudonym")
	}
	receipt := []byte(`{"full":"receipt"}`)
	c, salt, err := Commit(receipt)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCommitment(c, salt, receipt); err != nil {
		t.Fatal(err)
	}
	c2, _, _ := Commit(receipt)
	if c2 == c {
		t.Fatal("two commitments to one receipt are equal: salt not random")
	}
	for name, f := range map[string]func() error{
		"other receipt": func() error { return VerifyCommitment(c, salt, []byte("x")) },
		"other salt":    func() error { return VerifyCommitment(c, make([]byte, SaltSize), receipt) },
		"short salt":    func() error { return VerifyCommitment(c, salt[:5], receipt) },
	} {
		if err := f(); !errors.Is(err, ErrVerification) {
			t.Errorf("%s: %v, want ErrVerification", name, err)
		}
	}
}

// TestGoldenEntries pins the byte layout documented in docs/ledger.md.
func TestGoldenEntries(t *testing.T) {
	for i := range 4 {
		e := sampleEntry(i)
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "entry-"+e.Kind.String()+".bin")
		if *update {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want) {
			t.Fatalf("%s: encoding changed (run with -update only if the format version changed)", path)
		}
	}
}

func FuzzParseEntry(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "entry-*.bin"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEntry(b)
		if err != nil {
			return
		}
		// Round trip: whatever parses re-encodes to the same bytes.
		b2, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed entry does not re-encode: %v", err)
		}
		if !bytes.Equal(b, b2) {
			t.Fatal("non-canonical encoding accepted")
		}
	})
}
