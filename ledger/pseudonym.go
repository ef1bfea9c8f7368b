package ledger

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
)

// Domain-separation labels. Each hash in this file starts with its own label
// so a pseudonym can never equal a commitment or any other hash of the project.
const (
	pseudonymLabel  = "espai/ledger/pseudonym/v1"
	commitmentLabel = "espai/ledger/commitment/v1"
	// SaltSize is the size of a commitment salt: 256 random bits, so a
	// commitment to a guessable receipt cannot be brute-forced.
	SaltSize = 32
)

// PseudonymID is how a citizen appears in the log towards one administration
// (the output of Pseudonym).
type PseudonymID [32]byte

// Pseudonym derives the citizen's pseudonym towards administration:
//
//	HMAC-SHA256(key=secret, "espai/ledger/pseudonym/v1" || 0x00 || administration)
//
// secret is the citizen's 32-byte random pseudonym secret kept by the wallet.
// Without it, pseudonyms of one citizen towards two administrations cannot be
// linked; once the wallet erases it, no one can link them again (the log stays
// valid). The 0x00 separator cannot occur in an administration id.
func Pseudonym(secret []byte, administration string) PseudonymID {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(pseudonymLabel))
	m.Write([]byte{0})
	m.Write([]byte(administration))
	var p PseudonymID
	copy(p[:], m.Sum(nil))
	return p
}

// String is the lower-case hex form used in JSON and the CLI.
func (p PseudonymID) String() string { return hex.EncodeToString(p[:]) }

// MarshalText encodes the pseudonym as lower-case hex.
func (p PseudonymID) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText decodes 64 hex digits.
func (p *PseudonymID) UnmarshalText(b []byte) error { return unhex32("pseudonym", (*[32]byte)(p), b) }

// Commitment is a salted SHA-256 commitment to a full receipt document:
//
//	SHA-256("espai/ledger/commitment/v1" || 0x00 || salt (32) || receipt)
//
// The wallet keeps salt and receipt (the preimage); the log keeps only the
// commitment, which reveals nothing about the receipt while the salt is secret.
type Commitment [32]byte

// Commit returns a commitment to receipt under a fresh random salt. Keep both
// the salt and the receipt: VerifyCommitment needs them.
func Commit(receipt []byte) (Commitment, []byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := io.ReadFull(rand.Reader, salt); err != nil {
		return Commitment{}, nil, fmt.Errorf("ledger: commitment salt: %w", err)
	}
	return commitWith(salt, receipt), salt, nil
}

func commitWith(salt, receipt []byte) Commitment {
	h := sha256.New()
	h.Write([]byte(commitmentLabel))
	h.Write([]byte{0})
	h.Write(salt)
	h.Write(receipt)
	var c Commitment
	copy(c[:], h.Sum(nil))
	return c
}

// VerifyCommitment checks that c commits to receipt under salt. It returns a
// *CheckError ("commitment") wrapping ErrVerification on mismatch.
func VerifyCommitment(c Commitment, salt, receipt []byte) error {
	if len(salt) != SaltSize {
		return checkErr("commitment", fmt.Errorf("salt is %d bytes, want %d", len(salt), SaltSize))
	}
	got := commitWith(salt, receipt)
	if subtle.ConstantTimeCompare(got[:], c[:]) != 1 {
		return checkErr("commitment", fmt.Errorf("receipt does not match the commitment"))
	}
	return nil
}

// String is the lower-case hex form used in JSON and the CLI.
func (c Commitment) String() string { return hex.EncodeToString(c[:]) }

// MarshalText encodes the commitment as lower-case hex.
func (c Commitment) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText decodes 64 hex digits.
func (c *Commitment) UnmarshalText(b []byte) error { return unhex32("commitment", (*[32]byte)(c), b) }

func unhex32(what string, dst *[32]byte, b []byte) error {
	if len(b) != 64 {
		return malformed(what, "want 64 hex digits, got %d characters", len(b))
	}
	if _, err := hex.Decode(dst[:], b); err != nil {
		return malformed(what, "not hex")
	}
	return nil
}
