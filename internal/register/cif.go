package register

import (
	"fmt"
	"strings"
)

// Organisation-type letters of a CIF (NIF of a legal person), Orden
// EHA/451/2008. The control character is a digit for the first group, a
// letter for the second, and either for the rest.
const (
	cifKinds         = "ABCDEFGHJNPQRSUVW"
	cifDigitControl  = "ABEH"
	cifLetterControl = "NPQRSW"
	cifControlLetter = "JABCDEFGHI"
)

// cifControl computes the control value (0..9) of the 7 digits of a CIF.
func cifControl(digits string) int {
	sum := 0
	for i := 0; i < 7; i++ {
		d := int(digits[i] - '0')
		if i%2 == 0 { // positions 1, 3, 5, 7: doubled, digits summed
			d *= 2
			d = d/10 + d%10
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// CIF builds the tax id of a legal person of kind (A: sociedad anónima,
// B: sociedad limitada, G: association or foundation, Q: public body, ...)
// and number n (0..9999999, whose first two digits are the province code),
// with its control character: a digit or a letter as the kind requires, a
// digit when either is allowed.
func CIF(kind byte, n int) (string, error) {
	if strings.IndexByte(cifKinds, kind) < 0 {
		return "", fmt.Errorf("%w: organisation letter %q", ErrInvalidCIF, kind)
	}
	if n < 0 || n > 9_999_999 {
		return "", fmt.Errorf("%w: number %d out of range", ErrInvalidCIF, n)
	}
	digits := fmt.Sprintf("%07d", n)
	c := cifControl(digits)
	if strings.IndexByte(cifLetterControl, kind) >= 0 {
		return fmt.Sprintf("%c%s%c", kind, digits, cifControlLetter[c]), nil
	}
	return fmt.Sprintf("%c%s%d", kind, digits, c), nil
}

// ValidCIF reports whether s is a well-formed CIF with the right control
// character. It checks the form only: it cannot say whether the entity exists.
func ValidCIF(s string) error {
	if len(s) != 9 {
		return fmt.Errorf("%w %q: want a letter, 7 digits and a control character", ErrInvalidCIF, s)
	}
	kind := s[0]
	if strings.IndexByte(cifKinds, kind) < 0 {
		return fmt.Errorf("%w %q: unknown organisation letter", ErrInvalidCIF, s)
	}
	for i := 1; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%w %q: positions 2-8 must be digits", ErrInvalidCIF, s)
		}
	}
	c := cifControl(s[1:8])
	digitOK := s[8] == byte('0'+c)
	letterOK := s[8] == cifControlLetter[c]
	switch {
	case strings.IndexByte(cifDigitControl, kind) >= 0 && digitOK,
		strings.IndexByte(cifLetterControl, kind) >= 0 && letterOK,
		strings.IndexByte(cifDigitControl+cifLetterControl, kind) < 0 && (digitOK || letterOK):
		return nil
	}
	return fmt.Errorf("%w %q: wrong control character", ErrInvalidCIF, s)
}
