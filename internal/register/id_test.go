package register

import (
	"errors"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		kind IDKind
		want string // substring of the error, "" when valid
	}{
		{"12345678Z", KindDNI, ""},
		{"00000000T", KindDNI, ""},
		{"99999999R", KindDNI, ""},
		{"X1234567L", KindNIE, ""},
		{"Y1234567X", KindNIE, ""},
		{"Z1234567R", KindNIE, ""},
		{"12345678A", KindInvalid, "invalid DNI check letter"},
		{"X1234567A", KindInvalid, "invalid NIE check letter"},
		{"1234567Z", KindInvalid, "want 9 characters"},
		{"123456789", KindInvalid, "DNI must end with a letter"},
		{"12345678z", KindInvalid, "DNI must end with a letter"},
		{"1234A678Z", KindInvalid, "DNI number must be digits"},
		{"W1234567L", KindInvalid, "DNI number must be digits"},
		{"", KindInvalid, "want 9 characters"},
		{"12345678ZZ", KindInvalid, "want 9 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			err := ValidID(tt.id)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidID(%q) = %v, want nil", tt.id, err)
				}
			} else if err == nil || !errors.Is(err, ErrInvalidID) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidID(%q) = %v, want ErrInvalidID containing %q", tt.id, err, tt.want)
			}
			if got := KindOf(tt.id); got != tt.kind {
				t.Errorf("KindOf(%q) = %v, want %v", tt.id, got, tt.kind)
			}
		})
	}
}

func TestNormalizeID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12345678Z", "12345678Z"},
		{" 12345678z ", "12345678Z"},
		{"12345678-Z", "12345678Z"},
		{"x-1234567-l", "X1234567L"},
		{"12 345 678 Z", "12345678Z"},
	}
	for _, tt := range tests {
		got, err := NormalizeID(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"12345678A", "1234567Z", "12.345.678-Z", "ＸＹＺ", "12345678ZZZZZZZZZZ"} {
		if got, err := NormalizeID(bad); !errors.Is(err, ErrInvalidID) {
			t.Errorf("NormalizeID(%q) = %q, %v; want ErrInvalidID", bad, got, err)
		}
	}
}

func TestBuildIDs(t *testing.T) {
	// Every number's DNI and NIE must validate, and changing the letter must not.
	for _, n := range []int{0, 1, 22, 23, 1234567, 9999999, 12345678, 99999999} {
		id, err := DNI(n)
		if err != nil || ValidID(id) != nil {
			t.Fatalf("DNI(%d) = %q, %v; not valid", n, id, err)
		}
		wrong := id[:8] + string(rune('A'+(id[8]-'A'+1)%26))
		if ValidID(wrong) == nil {
			t.Errorf("ValidID(%q) accepted a wrong letter", wrong)
		}
		if n > 9_999_999 {
			continue
		}
		for _, p := range []byte("XYZ") {
			id, err := NIE(p, n)
			if err != nil || KindOf(id) != KindNIE {
				t.Fatalf("NIE(%c, %d) = %q, %v; not a valid NIE", p, n, id, err)
			}
		}
	}
	if id, _ := DNI(12345678); id != "12345678Z" {
		t.Errorf("DNI(12345678) = %q, want 12345678Z", id)
	}
	if id, _ := NIE('X', 1234567); id != "X1234567L" {
		t.Errorf("NIE(X, 1234567) = %q, want X1234567L", id)
	}
	for _, f := range []func() (string, error){
		func() (string, error) { return DNI(-1) },
		func() (string, error) { return DNI(100_000_000) },
		func() (string, error) { return NIE('W', 1) },
		func() (string, error) { return NIE('X', 10_000_000) },
	} {
		if id, err := f(); !errors.Is(err, ErrInvalidID) {
			t.Errorf("got %q, %v; want ErrInvalidID", id, err)
		}
	}
}

func TestCIF(t *testing.T) {
	tests := []struct {
		cif  string
		want string // "" when valid
	}{
		{"B12345674", ""},
		{"Q1700001I", ""},
		{"B81234569", ""},
		{"G12345674", ""}, // G: digit or letter
		{"G1234567D", ""},
		{"B12345675", "wrong control"},
		{"B1234567D", "wrong control"}, // B needs a digit
		{"Q17000019", "wrong control"}, // Q needs a letter
		{"I12345674", "unknown organisation letter"},
		{"B1234A674", "must be digits"},
		{"B1234567", "want a letter"},
	}
	for _, tt := range tests {
		err := ValidCIF(tt.cif)
		if tt.want == "" && err != nil || tt.want != "" && (!errors.Is(err, ErrInvalidCIF) || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("ValidCIF(%q) = %v, want %q", tt.cif, err, tt.want)
		}
	}
	for _, k := range []byte(cifKinds) {
		for _, n := range []int{0, 812345, 1700001, 4312345, 9999999} {
			c, err := CIF(k, n)
			if err != nil || ValidCIF(c) != nil {
				t.Errorf("CIF(%c, %d) = %q, %v; not valid: %v", k, n, c, err, ValidCIF(c))
			}
		}
	}
	if _, err := CIF('I', 1); !errors.Is(err, ErrInvalidCIF) {
		t.Errorf("CIF('I') = %v, want ErrInvalidCIF", err)
	}
}
