package statuslist

import (
	"fmt"
	"strconv"
)

// MinBitstringBits is the minimum size of a W3C Bitstring Status List:
// 131,072 bits (16 KiB), for herd privacy (Bitstring Status List v1.0 §2.1).
const MinBitstringBits = 131072

// Bitstring Status List type names.
const (
	TypeBitstringStatusList      = "BitstringStatusList"
	TypeBitstringStatusListEntry = "BitstringStatusListEntry"
)

// Purpose is a statusPurpose. Espai publishes one list per purpose.
type Purpose string

// Purposes. Message lists use StatusSize > 1 with statusMessage entries.
const (
	Revocation Purpose = "revocation"
	Suspension Purpose = "suspension"
	Message    Purpose = "message"
)

func (p Purpose) valid() bool { return p == Revocation || p == Suspension || p == Message }

// Bitstring is a W3C Bitstring Status List: entries of StatusSize bits, the
// first entry at the left-most (most significant) bit of byte 0.
type Bitstring struct {
	size int // bits per entry
	data []byte
}

// NewBitstring returns an all-zero bitstring of at least entries entries of
// statusSize bits (1..8), grown to the 16 KiB minimum when smaller.
func NewBitstring(entries, statusSize int) (*Bitstring, error) {
	if statusSize < 1 || statusSize > 8 {
		return nil, fmt.Errorf("%w: statusSize %d (want 1..8)", ErrRange, statusSize)
	}
	if entries <= 0 || entries > DefaultMaxBytes*8/statusSize {
		return nil, fmt.Errorf("%w: %d entries", ErrRange, entries)
	}
	bits := max(entries*statusSize, MinBitstringBits)
	return &Bitstring{size: statusSize, data: make([]byte, (bits+7)/8)}, nil
}

// StatusSize is the size of one entry in bits.
func (b *Bitstring) StatusSize() int { return b.size }

// Len is the number of entries.
func (b *Bitstring) Len() int { return len(b.data) * 8 / b.size }

// Bytes returns a copy of the uncompressed bitstring.
func (b *Bitstring) Bytes() []byte { return append([]byte(nil), b.data...) }

// Get returns the value of entry i (its bits read most significant first).
func (b *Bitstring) Get(i int) (byte, error) {
	if i < 0 || i >= b.Len() {
		return 0, fmt.Errorf("%w: index %d of %d", ErrRange, i, b.Len())
	}
	var v byte
	for k := i * b.size; k < (i+1)*b.size; k++ {
		v = v<<1 | b.data[k/8]>>(7-k%8)&1
	}
	return v, nil
}

// Set writes the value of entry i.
func (b *Bitstring) Set(i int, v byte) error {
	if i < 0 || i >= b.Len() {
		return fmt.Errorf("%w: index %d of %d", ErrRange, i, b.Len())
	}
	if int(v) >= 1<<b.size {
		return fmt.Errorf("%w: value %d does not fit in %d bits", ErrRange, v, b.size)
	}
	for k := (i+1)*b.size - 1; k >= i*b.size; k-- {
		mask := byte(0x80) >> (k % 8)
		if v&1 == 1 {
			b.data[k/8] |= mask
		} else {
			b.data[k/8] &^= mask
		}
		v >>= 1
	}
	return nil
}

// Encode returns the encodedList: the multibase base64url-no-pad ("u")
// encoding of the GZIP-compressed bitstring.
func (b *Bitstring) Encode() (string, error) {
	z, err := deflateGzip(b.data)
	if err != nil {
		return "", fmt.Errorf("statuslist: compress: %w", err)
	}
	return "u" + b64.EncodeToString(z), nil
}

// DecodeBitstring decodes an encodedList of statusSize-bit entries. It
// refuses a missing "u" multibase prefix, padding or non-URL base64, a
// broken or multi-member gzip stream, a list that inflates beyond maxBytes
// (0: DefaultMaxBytes; ErrTooLarge, as soon as the limit is passed) and a
// list shorter than MinBitstringBits.
func DecodeBitstring(encoded string, statusSize, maxBytes int) (*Bitstring, error) {
	if statusSize < 1 || statusSize > 8 {
		return nil, fmt.Errorf("%w: statusSize %d (want 1..8)", ErrMalformed, statusSize)
	}
	if len(encoded) < 2 || encoded[0] != 'u' {
		return nil, fmt.Errorf("%w: encodedList must be multibase base64url (prefix \"u\")", ErrMalformed)
	}
	z, err := b64.DecodeString(encoded[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: encodedList is not base64url: %v", ErrMalformed, err)
	}
	data, err := inflateGzip(z, limit(maxBytes))
	if err != nil {
		return nil, err
	}
	if len(data)*8 < MinBitstringBits {
		return nil, fmt.Errorf("%w: %d bits, the minimum is %d", ErrMalformed, len(data)*8, MinBitstringBits)
	}
	return &Bitstring{size: statusSize, data: data}, nil
}

// StatusMessage describes one value of a message list.
type StatusMessage struct {
	Status  string `json:"status"` // hexadecimal, e.g. "0x1"
	Message string `json:"message"`
}

// Subject is the credentialSubject of a BitstringStatusListCredential. The
// credential around it (issuer, validity, proof) is built and signed by the
// JSON-LD issuer.
type Subject struct {
	ID            string  `json:"id,omitempty"`
	Type          string  `json:"type"`
	StatusPurpose Purpose `json:"statusPurpose"`
	EncodedList   string  `json:"encodedList"`
	// TTL is the caching hint in milliseconds (0: absent).
	TTL int64 `json:"ttl,omitempty"`
}

// NewSubject encodes b as the credentialSubject of the list at id for purpose.
func NewSubject(id string, purpose Purpose, b *Bitstring) (Subject, error) {
	if !purpose.valid() {
		return Subject{}, fmt.Errorf("%w: status purpose %q", ErrRange, purpose)
	}
	enc, err := b.Encode()
	if err != nil {
		return Subject{}, err
	}
	return Subject{ID: id, Type: TypeBitstringStatusList, StatusPurpose: purpose, EncodedList: enc}, nil
}

// Decode checks the subject's type and purpose and decodes its list of
// statusSize-bit entries with the bounds of DecodeBitstring.
func (s Subject) Decode(purpose Purpose, statusSize, maxBytes int) (*Bitstring, error) {
	if s.Type != TypeBitstringStatusList {
		return nil, fmt.Errorf("%w: type %q, want %s", ErrMalformed, s.Type, TypeBitstringStatusList)
	}
	if s.StatusPurpose != purpose {
		return nil, fmt.Errorf("%w: the list is for %q, the entry for %q", ErrMalformed, s.StatusPurpose, purpose)
	}
	return DecodeBitstring(s.EncodedList, statusSize, maxBytes)
}

// Entry is a credential's credentialStatus entry pointing into a list.
type Entry struct {
	ID                   string          `json:"id,omitempty"`
	Type                 string          `json:"type"`
	StatusPurpose        Purpose         `json:"statusPurpose"`
	StatusListIndex      string          `json:"statusListIndex"`
	StatusListCredential string          `json:"statusListCredential"`
	StatusSize           int             `json:"statusSize,omitempty"`
	StatusMessage        []StatusMessage `json:"statusMessage,omitempty"`
}

// NewEntry returns the entry for index of the list credential at listURL.
// The entry id is listURL#index.
func NewEntry(purpose Purpose, listURL string, index int) Entry {
	idx := strconv.Itoa(index)
	return Entry{
		ID:                   listURL + "#" + idx,
		Type:                 TypeBitstringStatusListEntry,
		StatusPurpose:        purpose,
		StatusListIndex:      idx,
		StatusListCredential: listURL,
	}
}

// Index validates the entry and returns its index: type
// BitstringStatusListEntry, a known purpose, a list URL, statusSize 0/1..8,
// and statusListIndex a canonical decimal string (digits only, no sign, no
// leading zero, fits an int32).
func (e Entry) Index() (int, error) {
	if e.Type != TypeBitstringStatusListEntry {
		return 0, fmt.Errorf("%w: type %q, want %s", ErrMalformed, e.Type, TypeBitstringStatusListEntry)
	}
	if !e.StatusPurpose.valid() {
		return 0, fmt.Errorf("%w: status purpose %q", ErrMalformed, e.StatusPurpose)
	}
	if e.StatusListCredential == "" {
		return 0, fmt.Errorf("%w: no statusListCredential", ErrMalformed)
	}
	if e.StatusSize < 0 || e.StatusSize > 8 {
		return 0, fmt.Errorf("%w: statusSize %d", ErrMalformed, e.StatusSize)
	}
	s := e.StatusListIndex
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: statusListIndex %q is not a canonical decimal", ErrMalformed, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: statusListIndex %q is not a decimal", ErrMalformed, s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: statusListIndex %q: %v", ErrMalformed, s, err)
	}
	return int(n), nil
}

// Size is the entry's statusSize, 1 when absent.
func (e Entry) Size() int {
	if e.StatusSize == 0 {
		return 1
	}
	return e.StatusSize
}
