// Package atrest encrypts server-side secrets at rest under the deployment's
// master key: issuer signing keys, the ledger's checkpoint key, the Ethereum
// anchoring key, and the per-citizen pseudonym secrets the server needs while a
// wallet is locked.
//
// # Construction
//
// The master key is 32 random bytes. For each purpose label (a constant in the
// calling package, such as "espai/issuer/signing-key/v1") a separate AES-256-GCM
// key is derived with HKDF-SHA256(master, salt=nil, info=label), so a ciphertext
// made for one purpose never opens under another. Each Seal draws a fresh 96-bit
// random nonce; with at most a few million seals per key over the life of a
// deployment the collision probability stays far below 2^-32 (NIST SP 800-38D).
// The caller's associated data binds a ciphertext to its place (for example the
// issuer id and key id), so a sealed value copied to another record fails to open.
//
// Sealed format (version 1): 0x01 || nonce (12) || GCM ciphertext+tag.
//
// # Caveats
//
// The embedded default keeps the master key in DIR/keys/master.key (0600) beside
// the data it protects: that protects backups and copies of the bbolt files, not
// a full compromise of the machine. Production deployments supply the key from a
// KMS or an HSM-backed secret file on another volume.
package atrest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

const (
	formatV1  = 0x01
	keySize   = 32
	nonceSize = 12
)

// ErrOpen means a sealed value failed authentication: it was altered, copied to
// another record, or sealed under another master key. Treat it as data loss for
// that record, never retry with other keys.
var ErrOpen = errors.New("atrest: sealed value does not authenticate")

// Sealer seals and opens secrets under one master key. It is safe for concurrent use.
type Sealer struct {
	master []byte
	mu     sync.Mutex
	aeads  map[string]cipher.AEAD
}

// New returns a Sealer for a 32-byte master key.
func New(master []byte) (*Sealer, error) {
	if len(master) != keySize {
		return nil, fmt.Errorf("atrest: master key is %d bytes, want %d", len(master), keySize)
	}
	return &Sealer{master: append([]byte(nil), master...), aeads: map[string]cipher.AEAD{}}, nil
}

// LoadOrCreate reads the master key file at path, creating it with a fresh random
// key (mode 0600) when it does not exist.
func LoadOrCreate(path string) (*Sealer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b = make([]byte, keySize)
		if _, err := io.ReadFull(rand.Reader, b); err != nil {
			return nil, fmt.Errorf("atrest: generate master key: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("atrest: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreate(path) // another process won the race
		}
		if err != nil {
			return nil, fmt.Errorf("atrest: create master key: %w", err)
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return nil, fmt.Errorf("atrest: write master key: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("atrest: write master key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("atrest: write master key: %w", err)
		}
		return New(b)
	}
	if err != nil {
		return nil, fmt.Errorf("atrest: read master key: %w", err)
	}
	return New(b)
}

func (s *Sealer) aead(label string) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.aeads[label]; ok {
		return a, nil
	}
	k, err := hkdf.Key(sha256.New, s.master, nil, label, keySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s.aeads[label] = a
	return a, nil
}

// Seal encrypts plaintext for the purpose label, bound to aad.
func (s *Sealer) Seal(label string, plaintext, aad []byte) ([]byte, error) {
	a, err := s.aead(label)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+a.Overhead())
	out[0] = formatV1
	if _, err := io.ReadFull(rand.Reader, out[1:]); err != nil {
		return nil, fmt.Errorf("atrest: nonce: %w", err)
	}
	return a.Seal(out, out[1:], plaintext, aad), nil
}

// Open decrypts a value made by Seal with the same label and aad. Any mismatch
// returns ErrOpen.
func (s *Sealer) Open(label string, sealed, aad []byte) ([]byte, error) {
	a, err := s.aead(label)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+nonceSize+a.Overhead() || sealed[0] != formatV1 {
		return nil, ErrOpen
	}
	pt, err := a.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
