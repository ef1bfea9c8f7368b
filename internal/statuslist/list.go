package statuslist

import (
	"fmt"
)

// Status is a Token Status List status value (draft-ietf-oauth-status-list
// §7.1). With bits = 2 an entry holds one of these.
type Status byte

// Status values.
const (
	Valid     Status = 0x00 // VALID
	Invalid   Status = 0x01 // INVALID: revoked, irreversible
	Suspended Status = 0x02 // SUSPENDED: temporarily invalid, reversible
)

func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Invalid:
		return "revoked"
	case Suspended:
		return "suspended"
	}
	return fmt.Sprintf("status 0x%02x", byte(s))
}

// DefaultBits is the entry size Espai issues: 2 bits, for VALID, INVALID and
// SUSPENDED in one list.
const DefaultBits = 2

// List is a Token Status List: entries of Bits bits packed from the least
// significant bit of byte 0 upwards (entry i in byte i*bits/8 at bit
// (i*bits)%8), as the draft's §4.1 figure shows.
type List struct {
	bits int
	data []byte
}

// NewList returns an all-VALID list with room for at least size entries of
// bits bits (1, 2, 4 or 8); the length is rounded up to whole bytes.
func NewList(size, bits int) (*List, error) {
	if !validBits(bits) {
		return nil, fmt.Errorf("%w: bits %d (want 1, 2, 4 or 8)", ErrRange, bits)
	}
	if size <= 0 || size > DefaultMaxBytes*8/bits {
		return nil, fmt.Errorf("%w: size %d", ErrRange, size)
	}
	return &List{bits: bits, data: make([]byte, (size*bits+7)/8)}, nil
}

// ListFromBytes wraps a copy of the raw byte array of a list of bits-bit entries.
func ListFromBytes(data []byte, bits int) (*List, error) {
	if !validBits(bits) {
		return nil, fmt.Errorf("%w: bits %d (want 1, 2, 4 or 8)", ErrMalformed, bits)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty list", ErrMalformed)
	}
	return &List{bits: bits, data: append([]byte(nil), data...)}, nil
}

func validBits(b int) bool { return b == 1 || b == 2 || b == 4 || b == 8 }

// Bits is the size of one entry in bits.
func (l *List) Bits() int { return l.bits }

// Len is the number of entries.
func (l *List) Len() int { return len(l.data) * 8 / l.bits }

// Bytes returns a copy of the packed byte array.
func (l *List) Bytes() []byte { return append([]byte(nil), l.data...) }

// Get returns the status of entry i.
func (l *List) Get(i int) (Status, error) {
	if i < 0 || i >= l.Len() {
		return 0, fmt.Errorf("%w: index %d of %d", ErrRange, i, l.Len())
	}
	bit := i * l.bits
	mask := byte(1<<l.bits - 1)
	return Status(l.data[bit/8] >> (bit % 8) & mask), nil
}

// Set writes the status of entry i.
func (l *List) Set(i int, s Status) error {
	if i < 0 || i >= l.Len() {
		return fmt.Errorf("%w: index %d of %d", ErrRange, i, l.Len())
	}
	mask := byte(1<<l.bits - 1)
	if byte(s) > mask {
		return fmt.Errorf("%w: status %d does not fit in %d bits", ErrRange, s, l.bits)
	}
	bit := i * l.bits
	sh := bit % 8
	l.data[bit/8] = l.data[bit/8]&^(mask<<sh) | byte(s)<<sh
	return nil
}

// Claim is the status_list JSON object of a Status List Token (§4.2).
type Claim struct {
	Bits           int    `json:"bits"`
	Lst            string `json:"lst"`
	AggregationURI string `json:"aggregation_uri,omitempty"`
}

// Encode compresses the list with DEFLATE in zlib format (RFC 1950, best
// compression) and base64url-encodes it (§4.2).
//
// The compressed bytes are valid zlib but not byte-identical to the
// draft's examples, which come from the C zlib: Go's compress/flate ends
// a stream with an empty final stored block where zlib sets the final bit
// on the last data block. Both decode to the same list; the tests check the
// draft's examples decode exactly and that Encode round-trips.
func (l *List) Encode() (Claim, error) {
	z, err := deflateZlib(l.data)
	if err != nil {
		return Claim{}, fmt.Errorf("statuslist: compress: %w", err)
	}
	return Claim{Bits: l.bits, Lst: b64.EncodeToString(z)}, nil
}

// Decode inflates c into a list, refusing (ErrTooLarge) a lst that inflates
// beyond maxBytes (0: DefaultMaxBytes) as soon as it does.
func (c Claim) Decode(maxBytes int) (*List, error) {
	if !validBits(c.Bits) {
		return nil, fmt.Errorf("%w: bits %d (want 1, 2, 4 or 8)", ErrMalformed, c.Bits)
	}
	z, err := b64.DecodeString(c.Lst)
	if err != nil {
		return nil, fmt.Errorf("%w: lst is not base64url: %v", ErrMalformed, err)
	}
	data, err := inflateZlib(z, limit(maxBytes))
	if err != nil {
		return nil, err
	}
	return &List{bits: c.Bits, data: data}, nil
}
