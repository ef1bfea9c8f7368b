package sdjwt

import (
	"fmt"
	"strings"
)

// MaxSize bounds an SD-JWT or presentation accepted for parsing: 256 KiB,
// two orders of magnitude above an Espai credential (~1–3 KB), so a hostile
// input cannot make the verifier hash and decode megabytes.
const MaxSize = 256 << 10

// SDJWT is a parsed compact SD-JWT: the issuer-signed JWT, the disclosures
// in the order given, and the key-binding JWT when present. Parsing checks
// the shape only; nothing is verified.
type SDJWT struct {
	IssuerJWT   string
	Disclosures []Disclosure
	KeyBinding  string // "" when the input ends with "~"
	// presented is "<IssuerJWT>~<D1>~...~<Dn>~", the input of sd_hash.
	presented string
}

// Presented returns "<issuer-jwt>~<disclosure>~...~": the SD-JWT without
// its key-binding JWT, over which sd_hash is computed.
func (s *SDJWT) Presented() string { return s.presented }

// Parse splits the compact form "<jwt>~<d1>~...~<dn>~[<kb-jwt>]" and decodes
// every disclosure strictly (see ParseDisclosure). It refuses input larger
// than MaxSize, empty components ("~~"), a JWT part that is not three
// base64url segments and a missing final "~" or key-binding JWT.
func Parse(s string) (*SDJWT, error) {
	if len(s) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds the %d-byte limit", ErrMalformed, len(s), MaxSize)
	}
	parts := strings.Split(s, "~")
	if len(parts) < 2 {
		return nil, fmt.Errorf("%w: no \"~\" separator: not an SD-JWT", ErrMalformed)
	}
	if err := checkCompactJWS(parts[0]); err != nil {
		return nil, fmt.Errorf("%w: issuer-signed JWT: %v", ErrMalformed, err)
	}
	last := parts[len(parts)-1]
	if last != "" {
		if err := checkCompactJWS(last); err != nil {
			return nil, fmt.Errorf("%w: key-binding JWT: %v", ErrMalformed, err)
		}
	}
	out := &SDJWT{
		IssuerJWT:  parts[0],
		KeyBinding: last,
		presented:  s[:len(s)-len(last)],
	}
	mid := parts[1 : len(parts)-1]
	if len(mid) > 0 {
		out.Disclosures = make([]Disclosure, 0, len(mid))
	}
	for i, enc := range mid {
		if enc == "" {
			return nil, fmt.Errorf("%w: empty disclosure at position %d (\"~~\")", ErrMalformed, i+1)
		}
		d, err := ParseDisclosure(enc)
		if err != nil {
			return nil, fmt.Errorf("disclosure %d: %w", i+1, err)
		}
		out.Disclosures = append(out.Disclosures, d)
	}
	return out, nil
}

// checkCompactJWS checks the shape of a compact JWS: three non-empty
// base64url segments. Decoding is left to ParseJWT.
func checkCompactJWS(s string) error {
	dots := 0
	seg := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if seg == 0 {
				return fmt.Errorf("empty segment")
			}
			dots++
			seg = 0
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			seg++
		default:
			return fmt.Errorf("byte 0x%02x is not base64url", c)
		}
	}
	if dots != 2 || seg == 0 {
		return fmt.Errorf("not a compact JWS (want 3 non-empty segments)")
	}
	return nil
}

// String reassembles the compact form.
func (s *SDJWT) String() string { return s.presented + s.KeyBinding }
