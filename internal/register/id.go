package register

import (
	"fmt"
	"strings"
)

// dniLetters maps a DNI number modulo 23 to its check letter (Real Decreto
// 1553/2005, annex; the same table serves NIEs after the prefix substitution).
const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// IDKind says which document a citizen key is.
type IDKind int

// Citizen key kinds. The zero value is no valid kind.
const (
	KindInvalid IDKind = iota
	KindDNI            // Documento Nacional de Identidad: Spanish nationals
	KindNIE            // Número de Identidad de Extranjero: foreign residents
)

// String returns "DNI", "NIE" or "ID" for an invalid kind (used in messages).
func (k IDKind) String() string {
	switch k {
	case KindDNI:
		return "DNI"
	case KindNIE:
		return "NIE"
	}
	return "ID"
}

// CheckLetter returns the DNI/NIE check letter of n (the 8-digit DNI number,
// or the NIE number with its prefix replaced: X=0, Y=1, Z=2). n must be in
// [0, 99999999]; outside it CheckLetter returns 0.
func CheckLetter(n int) byte {
	if n < 0 || n > 99_999_999 {
		return 0
	}
	return dniLetters[n%23]
}

// DNI builds the DNI of number n (0..99999999), with its check letter.
func DNI(n int) (string, error) {
	if n < 0 || n > 99_999_999 {
		return "", fmt.Errorf("%w: DNI number %d out of range", ErrInvalidID, n)
	}
	return fmt.Sprintf("%08d%c", n, CheckLetter(n)), nil
}

// NIE builds the NIE with prefix X, Y or Z and number n (0..9999999), with
// its check letter.
func NIE(prefix byte, n int) (string, error) {
	p := strings.IndexByte("XYZ", prefix)
	if p < 0 {
		return "", fmt.Errorf("%w: NIE prefix %q is not X, Y or Z", ErrInvalidID, prefix)
	}
	if n < 0 || n > 9_999_999 {
		return "", fmt.Errorf("%w: NIE number %d out of range", ErrInvalidID, n)
	}
	return fmt.Sprintf("%c%07d%c", prefix, n, CheckLetter(p*10_000_000+n)), nil
}

// NormalizeID returns the canonical form of a DNI or NIE, the citizen key of
// every register: surrounding space trimmed, inner spaces and hyphens removed,
// upper case ("12345678-z" becomes "12345678Z"). It returns an error wrapping
// ErrInvalidID when the result is not a DNI or NIE with the right check
// letter. Leading zeros are never guessed: a DNI has exactly 8 digits.
func NormalizeID(s string) (string, error) {
	id := squeezeID(s)
	if _, reason := kindOf(id); reason != "" {
		return "", fmt.Errorf("%w %q: %s", ErrInvalidID, s, reason)
	}
	return id, nil
}

// squeezeID removes spaces, tabs and hyphens and upper-cases ASCII letters.
func squeezeID(s string) string {
	b := make([]byte, 0, 9)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '\t':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// ValidID reports whether id is a canonical DNI (8 digits and check letter)
// or NIE (X, Y or Z, 7 digits and check letter). The error wraps ErrInvalidID
// and says what is wrong; it quotes the id, so it is for the person who typed
// it, not for a log.
func ValidID(id string) error {
	if _, reason := kindOf(id); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidID, id, reason)
	}
	return nil
}

// KindOf returns the kind of a valid canonical id, or KindInvalid.
func KindOf(id string) IDKind {
	k, _ := kindOf(id)
	return k
}

// guessKind names the document an id looks like, valid or not, for messages.
func guessKind(id string) IDKind {
	if id != "" && strings.IndexByte("XYZ", id[0]) >= 0 {
		return KindNIE
	}
	return KindDNI
}

// kindOf returns the kind of id, or KindInvalid and why.
func kindOf(id string) (IDKind, string) {
	if len(id) != 9 {
		return KindInvalid, "want 9 characters (8 digits and a letter, or X/Y/Z, 7 digits and a letter)"
	}
	kind, n := KindDNI, 0
	digits := id[:8]
	if p := strings.IndexByte("XYZ", id[0]); p >= 0 {
		kind, n = KindNIE, p
		digits = id[1:8]
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return KindInvalid, kind.String() + " number must be digits"
		}
		n = n*10 + int(c-'0')
	}
	if got := id[8]; got != CheckLetter(n) {
		if got < 'A' || got > 'Z' {
			return KindInvalid, kind.String() + " must end with a letter"
		}
		return KindInvalid, "invalid " + kind.String() + " check letter"
	}
	return kind, ""
}
