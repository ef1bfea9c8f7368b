package qrpayload

import (
	"fmt"
	"strings"
)

// base45Alphabet is RFC 9285's alphabet: the QR alphanumeric characters.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// EncodeBase45 encodes b per RFC 9285: each two bytes as three characters,
// a final odd byte as two.
func EncodeBase45(b []byte) string {
	var s strings.Builder
	s.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		s.WriteByte(base45Alphabet[n%45])
		s.WriteByte(base45Alphabet[n/45%45])
		s.WriteByte(base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		s.WriteByte(base45Alphabet[n%45])
		s.WriteByte(base45Alphabet[n/45])
	}
	return s.String()
}

// DecodeBase45 decodes RFC 9285 Base45, refusing characters outside the
// alphabet, a dangling single character and out-of-range groups.
func DecodeBase45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: base45 length %d", ErrMalformed, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	val := func(i int) (int, error) {
		v := base45Index[s[i]]
		if v < 0 {
			return 0, fmt.Errorf("%w: character %q at %d is not base45", ErrMalformed, s[i], i)
		}
		return int(v), nil
	}
	for i := 0; i < len(s); {
		rem := len(s) - i
		c, err := val(i)
		if err != nil {
			return nil, err
		}
		d, err := val(i + 1)
		if err != nil {
			return nil, err
		}
		if rem == 2 {
			n := c + d*45
			if n > 0xff {
				return nil, fmt.Errorf("%w: base45 group out of range at %d", ErrMalformed, i)
			}
			out = append(out, byte(n))
			break
		}
		e, err := val(i + 2)
		if err != nil {
			return nil, err
		}
		n := c + d*45 + e*2025
		if n > 0xffff {
			return nil, fmt.Errorf("%w: base45 group out of range at %d", ErrMalformed, i)
		}
		out = append(out, byte(n>>8), byte(n))
		i += 3
	}
	return out, nil
}
