package wallet

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Domain-separation labels for key derivation.
const (
	// labelRecoveryKEK is the HKDF info turning a recovery code into a KEK.
	labelRecoveryKEK = "espai/wallet/kek/recovery/v1"
	// labelIndexHMAC prefixes the citizen id under the index key.
	labelIndexHMAC = "espai/wallet/citizen-index/v1"
)

const (
	kekSize  = 32
	saltSize = 16 // RFC 9106 §3.1: 128-bit salt is enough for password hashing
	// recoveryBytes is 160 bits: far beyond brute force, so the recovery KEK
	// needs no stretching (HKDF only), and exactly 32 base32 characters.
	recoveryBytes = 20
)

// Bounds on Argon2id parameters read from storage or a backup file, so a
// crafted file cannot make an unlock allocate gigabytes or spin for minutes.
const (
	maxArgon2MemoryKiB = 1 << 20 // 1 GiB
	maxArgon2Time      = 16
	maxArgon2Threads   = 16
)

// Argon2Params are Argon2id cost parameters.
type Argon2Params struct {
	Time      uint32 `json:"t"` // passes over memory
	MemoryKiB uint32 `json:"m"` // memory in KiB
	Threads   uint8  `json:"p"` // lanes
}

// DefaultArgon2Params returns RFC 9106's second recommended option (§4):
// t=3, m=64 MiB, p=4, about 360 ms on the reference machine. It is above
// OWASP's minimum (m=19 MiB, t=2, p=1) and memory-hard enough that an
// offline guess costs a GPU 64 MiB of fast memory per attempt. See
// docs/wallet.md for the reasoning.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Time: 3, MemoryKiB: 64 << 10, Threads: 4}
}

// Validate checks the parameters against Argon2's own rules (m >= 8p) and
// this package's upper bounds.
func (p Argon2Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > maxArgon2Time:
		return fmt.Errorf("argon2id: time %d outside [1, %d]", p.Time, maxArgon2Time)
	case p.Threads < 1 || p.Threads > maxArgon2Threads:
		return fmt.Errorf("argon2id: threads %d outside [1, %d]", p.Threads, maxArgon2Threads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxArgon2MemoryKiB:
		return fmt.Errorf("argon2id: memory %d KiB outside [8·threads, %d]", p.MemoryKiB, maxArgon2MemoryKiB)
	}
	return nil
}

// normPassphrase returns the NFC form of a passphrase, so "à" typed as one
// code point on a phone and as "a"+combining grave on a laptop unlock alike.
func normPassphrase(p string) []byte { return []byte(norm.NFC.String(p)) }

func (c *Config) checkPassphrase(p string) error {
	if n := utf8.RuneCount(normPassphrase(p)); n < c.MinPassphraseLen {
		return fmt.Errorf("%w: %d characters, at least %d", ErrWeakPassphrase, n, c.MinPassphraseLen)
	}
	return nil
}

// passphraseKEK derives a 256-bit key-encryption key from a passphrase.
// The salt is random per wrap, so two wraps of the same passphrase give
// unrelated keys and precomputation is useless.
func passphraseKEK(passphrase string, salt []byte, p Argon2Params) []byte {
	return argon2.IDKey(normPassphrase(passphrase), salt, p.Time, p.MemoryKiB, p.Threads, kekSize)
}

// recoveryKEK derives the KEK from a recovery code's 160 random bits. No
// stretching is needed at that entropy; HKDF with the slot's salt and a label
// keeps it apart from every other use of the code.
func recoveryKEK(code []byte, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, code, salt, labelRecoveryKEK, kekSize)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("wallet: crypto/rand failed: " + err.Error()) // rand.Read never fails since Go 1.24
	}
	return b
}

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// RecoveryCode is the high-entropy secret shown once at enrolment (and after
// each recovery). It is 32 base32 characters in groups of four:
// "ABCD-EFGH-...". Its String form is for the citizen's eyes only; LogValue
// redacts it.
type RecoveryCode string

// LogValue redacts the code.
func (RecoveryCode) LogValue() slog.Value { return redacted() }

func newRecoveryCode() (RecoveryCode, []byte) {
	raw := randomBytes(recoveryBytes)
	s := recoveryEncoding.EncodeToString(raw)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+4])
	}
	return RecoveryCode(b.String()), raw
}

// parseRecoveryCode accepts the code with or without separators, in any
// case, and with the digits people confuse with letters (0→O, 1→I, 8→B).
func parseRecoveryCode(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r == '0':
			return 'O'
		case r == '1':
			return 'I'
		case r == '8':
			return 'B'
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
	raw, err := recoveryEncoding.DecodeString(s)
	if err != nil || len(raw) != recoveryBytes {
		return nil, ErrWrongRecoveryCode
	}
	return raw, nil
}
