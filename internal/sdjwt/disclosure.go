package sdjwt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
)

// SaltBytes is the salt length: 128 bits from crypto/rand, as RFC 9901 §9.3
// recommends, so a disclosure's digest cannot be brute-forced from guessable
// claim values (a postcode, a birth date).
const SaltBytes = 16

// HashAlg is the only _sd_alg Espai issues or accepts.
const HashAlg = "sha-256"

// Disclosure is one decoded disclosure: an object property (Name set,
// Element false) or an array element (Element true).
type Disclosure struct {
	Salt    string
	Name    string
	Element bool
	Value   any
	// Encoded is the base64url form as it appears in the SD-JWT; the digest is
	// computed over exactly these characters.
	Encoded string
	// Digest is base64url(SHA-256(Encoded)).
	Digest string
}

// Digest returns base64url(SHA-256(encoded)), the value the issuer-signed JWT
// carries in _sd or {"...": digest} for the disclosure encoded.
func Digest(encoded string) string {
	sum := sha256.Sum256([]byte(encoded))
	return b64.EncodeToString(sum[:])
}

// ParseDisclosure decodes one disclosure strictly: base64url without padding,
// a JSON array of exactly 3 elements [salt, name, value] for an object
// property or 2 [salt, value] for an array element, salt and name strings, and
// a name that is neither "_sd" nor "...".
func ParseDisclosure(encoded string) (Disclosure, error) {
	d := Disclosure{Encoded: encoded}
	if encoded == "" {
		return d, fmt.Errorf("%w: empty disclosure", ErrMalformed)
	}
	raw, err := b64.DecodeString(encoded)
	if err != nil {
		return d, fmt.Errorf("%w: disclosure is not base64url: %v", ErrMalformed, err)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return d, fmt.Errorf("%w: disclosure is not a JSON array: %v", ErrMalformed, err)
	}
	if len(parts) != 2 && len(parts) != 3 {
		return d, fmt.Errorf("%w: disclosure has %d elements, want 3 (property) or 2 (array element)", ErrMalformed, len(parts))
	}
	if err := unmarshalString(parts[0], &d.Salt); err != nil {
		return d, fmt.Errorf("%w: disclosure salt: %v", ErrMalformed, err)
	}
	valueAt := 1
	if len(parts) == 3 {
		if err := unmarshalString(parts[1], &d.Name); err != nil {
			return d, fmt.Errorf("%w: disclosure claim name: %v", ErrMalformed, err)
		}
		if d.Name == "_sd" || d.Name == "..." {
			return d, fmt.Errorf("%w: disclosure claim name %q is reserved", ErrMalformed, d.Name)
		}
		valueAt = 2
	} else {
		d.Element = true
	}
	if err := json.Unmarshal(parts[valueAt], &d.Value); err != nil {
		return d, fmt.Errorf("%w: disclosure value: %v", ErrMalformed, err)
	}
	d.Digest = Digest(encoded)
	return d, nil
}

func unmarshalString(raw json.RawMessage, dst *string) error {
	if len(raw) == 0 || raw[0] != '"' {
		return fmt.Errorf("not a string")
	}
	return json.Unmarshal(raw, dst)
}

// newDisclosure builds an object-property disclosure with a fresh salt.
func newDisclosure(name string, value any) (Disclosure, error) {
	salt, err := newSalt()
	if err != nil {
		return Disclosure{}, err
	}
	raw, err := json.Marshal([]any{salt, name, value})
	if err != nil {
		return Disclosure{}, fmt.Errorf("disclosure of %q: %w", name, err)
	}
	enc := b64.EncodeToString(raw)
	return Disclosure{Salt: salt, Name: name, Value: value, Encoded: enc, Digest: Digest(enc)}, nil
}

func newSalt() (string, error) {
	var b [SaltBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	return b64.EncodeToString(b[:]), nil
}

// decoyDigest is the digest of a fresh random value: indistinguishable from
// the digest of a real disclosure, and no disclosure will ever match it.
func decoyDigest() (string, error) {
	var b [SaltBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("decoy: %w", err)
	}
	return Digest(b64.EncodeToString(b[:])), nil
}
