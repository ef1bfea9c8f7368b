package wallet

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// labelWrap starts the associated data of every key wrap.
const labelWrap = "espai/wallet/wrap/v1"

// Slot names: the same key material is wrapped once per slot.
const (
	slotPassphrase = "passphrase"
	slotRecovery   = "recovery"
)

// KDF names stored in a slot.
const (
	kdfArgon2id = "argon2id"
	kdfHKDF     = "hkdf-sha256"
)

const sealedV1 = 0x01

// slot is one wrap of the key material under one KEK. Stored as JSON in the
// citizen's "wrap" key and in backups (recovery slot).
type slot struct {
	KDF    string        `json:"kdf"`
	Salt   []byte        `json:"salt"`
	Argon2 *Argon2Params `json:"argon2,omitempty"`
	// Sealed is 0x01 || nonce (24) || XChaCha20-Poly1305(KEK, key material).
	Sealed []byte `json:"sealed"`
}

// wraps is the value of the citizen's "wrap" key.
type wraps struct {
	V          int  `json:"v"`
	Passphrase slot `json:"passphrase"`
	Recovery   slot `json:"recovery"`
}

func wrapAAD(citizenID, slotName string) []byte {
	aad := make([]byte, 0, len(labelWrap)+len(citizenID)+len(slotName)+2)
	aad = append(aad, labelWrap...)
	aad = append(aad, 0)
	aad = append(aad, citizenID...)
	aad = append(aad, 0)
	return append(aad, slotName...)
}

// seal encrypts key material under kek. The 192-bit random nonce of
// XChaCha20-Poly1305 makes a collision negligible with no counter to keep;
// besides, each KEK comes from a fresh salt and seals exactly once.
func seal(kek, plaintext, aad []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(plaintext)+a.Overhead())
	out[0] = sealedV1
	copy(out[1:], randomBytes(a.NonceSize()))
	return a.Seal(out, out[1:1+a.NonceSize()], plaintext, aad), nil
}

var errUnseal = errors.New("does not authenticate")

func unseal(kek, sealed, aad []byte) ([]byte, error) {
	a, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, err
	}
	n := a.NonceSize()
	if len(sealed) < 1+n+a.Overhead() || sealed[0] != sealedV1 {
		return nil, errUnseal
	}
	return a.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
}

// wrapPassphrase makes a passphrase slot with a fresh salt.
func wrapPassphrase(citizenID, passphrase string, p Argon2Params, material []byte) (slot, error) {
	salt := randomBytes(saltSize)
	kek := passphraseKEK(passphrase, salt, p)
	defer clear(kek)
	s, err := seal(kek, material, wrapAAD(citizenID, slotPassphrase))
	if err != nil {
		return slot{}, err
	}
	return slot{KDF: kdfArgon2id, Salt: salt, Argon2: &p, Sealed: s}, nil
}

// wrapRecovery makes a recovery slot for a new recovery code.
func wrapRecovery(citizenID string, code []byte, material []byte) (slot, error) {
	salt := randomBytes(saltSize)
	kek, err := recoveryKEK(code, salt)
	if err != nil {
		return slot{}, err
	}
	defer clear(kek)
	s, err := seal(kek, material, wrapAAD(citizenID, slotRecovery))
	if err != nil {
		return slot{}, err
	}
	return slot{KDF: kdfHKDF, Salt: salt, Sealed: s}, nil
}

// check validates a slot read from storage or a backup before any KDF runs.
func (s *slot) check(name string) error {
	if len(s.Salt) < saltSize || len(s.Salt) > 64 || len(s.Sealed) > 1024 {
		return fmt.Errorf("%s slot: bad salt or size", name)
	}
	switch {
	case name == slotPassphrase && s.KDF == kdfArgon2id && s.Argon2 != nil:
		return s.Argon2.Validate()
	case name == slotRecovery && s.KDF == kdfHKDF:
		return nil
	}
	return fmt.Errorf("%s slot: unexpected kdf %q", name, s.KDF)
}

// unwrapPassphrase opens a passphrase slot. A wrong passphrase gives
// ErrWrongPassphrase; a slot that is not well-formed, another error.
func unwrapPassphrase(citizenID, passphrase string, s *slot) (*keySet, error) {
	if err := s.check(slotPassphrase); err != nil {
		return nil, err
	}
	kek := passphraseKEK(passphrase, s.Salt, *s.Argon2)
	defer clear(kek)
	return openSlot(kek, citizenID, slotPassphrase, s, ErrWrongPassphrase)
}

func unwrapRecovery(citizenID string, code []byte, s *slot) (*keySet, error) {
	if err := s.check(slotRecovery); err != nil {
		return nil, err
	}
	kek, err := recoveryKEK(code, s.Salt)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	return openSlot(kek, citizenID, slotRecovery, s, ErrWrongRecoveryCode)
}

func openSlot(kek []byte, citizenID, name string, s *slot, wrong error) (*keySet, error) {
	m, err := unseal(kek, s.Sealed, wrapAAD(citizenID, name))
	if err != nil {
		return nil, wrong
	}
	defer clear(m)
	return unmarshalKeySet(m)
}
