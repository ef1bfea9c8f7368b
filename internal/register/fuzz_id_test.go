package register

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzNormalizeID: what normalises is a valid canonical DNI/NIE that
// normalises to itself, is what DNI or NIE builds from its number, and is
// reached again from the ways people type it (lower case, hyphen, spaces).
func FuzzNormalizeID(f *testing.F) {
	for _, s := range []string{"12345678Z", "12345678-z", " y2345678z ", "X1234567L", "x-1234567-l", "1234567L",
		"12345678A", "Z0000000M", "00000000T", "123456789", "A1234567B", "12 345 678\tZ", "１2345678Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := NormalizeID(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidID) {
				t.Fatalf("error does not wrap ErrInvalidID: %v", err)
			}
			return
		}
		if ValidID(id) != nil {
			t.Fatalf("%q normalises to invalid %q", s, id)
		}
		if again, err := NormalizeID(id); err != nil || again != id {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, id, again, err)
		}
		var built string
		switch KindOf(id) {
		case KindDNI:
			n, _ := strconv.Atoi(id[:8])
			built, err = DNI(n)
		case KindNIE:
			n, _ := strconv.Atoi(id[1:8])
			built, err = NIE(id[0], n)
		default:
			t.Fatalf("%q has no kind", id)
		}
		if err != nil || built != id {
			t.Fatalf("%q: the constructor builds %q, %v", id, built, err)
		}
		for _, typed := range []string{strings.ToLower(id), id[:8] + "-" + id[8:], " " + id[:4] + " " + id[4:] + "\t"} {
			if got, err := NormalizeID(typed); err != nil || got != id {
				t.Fatalf("%q normalises to %q, %v; want %q", typed, got, err, id)
			}
		}
	})
}

// FuzzValidCIF: a valid CIF is what CIF builds from its letter and number,
// or, for the organisation letters that allow either, the letter form of the
// same control value; any other control character is refused.
func FuzzValidCIF(f *testing.F) {
	for _, s := range []string{"B17000001", "Q0818002H", "G17123456", "A58818501", "N0032484H", "J17000006", "J1700000F", "I17000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := ValidCIF(s); err != nil {
			if !errors.Is(err, ErrInvalidCIF) {
				t.Fatalf("error does not wrap ErrInvalidCIF: %v", err)
			}
			return
		}
		n, err := strconv.Atoi(s[1:8])
		if err != nil {
			t.Fatalf("%q: number %v", s, err)
		}
		built, err := CIF(s[0], n)
		if err != nil {
			t.Fatalf("%q valid, but CIF refuses it: %v", s, err)
		}
		either := strings.IndexByte(cifDigitControl+cifLetterControl, s[0]) < 0
		if built != s && !(either && s[8] == cifControlLetter[cifControl(s[1:8])]) {
			t.Fatalf("%q valid, CIF builds %q", s, built)
		}
		for c := byte(0x20); c < 0x7f; c++ {
			if c != s[8] && ValidCIF(s[:8]+string(c)) == nil && !(either && (c == built[8] || c == cifControlLetter[cifControl(s[1:8])])) {
				t.Fatalf("%q and %q both valid", s, s[:8]+string(c))
			}
		}
	})
}
