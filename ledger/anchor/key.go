package anchor

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/datadir"
)

// keyLabel is the atrest purpose label of the sealed anchoring key.
const keyLabel = "espai/ledger/anchor-key/v1"

// KeyFile is where the embedded default keeps the sealed anchoring key.
func KeyFile(l datadir.Layout) string { return filepath.Join(l.KeysDir(), "ledger-anchor.key") }

// LoadOrCreateKey returns the secp256k1 anchoring key sealed at path (atrest,
// label keyLabel), creating a fresh one when the file does not exist. The key
// only ever pays gas for anchor transactions and owns the contract.
func LoadOrCreateKey(sealer *atrest.Sealer, path string) (*ecdsa.PrivateKey, error) {
	sealed, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := crypto.GenerateKey()
		if err != nil {
			return nil, err
		}
		s, err := sealer.Seal(keyLabel, crypto.FromECDSA(k), nil)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		return k, datadir.WriteFileAtomic(path, s, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("anchor: read key: %w", err)
	}
	raw, err := sealer.Open(keyLabel, sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("anchor: open key %s: %w", path, err)
	}
	return crypto.ToECDSA(raw)
}

// ReadHexKeyFile reads a hex-encoded secp256k1 private key (the --eth-key file
// for a real node). The file must not be readable by group or others.
func ReadHexKeyFile(path string) (*ecdsa.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("anchor: key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("anchor: key file %s is mode %o: chmod 600", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("anchor: key file: %w", err)
	}
	k, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(string(b)), "0x"))
	if err != nil {
		return nil, fmt.Errorf("anchor: key file %s: not a hex secp256k1 key", path)
	}
	return k, nil
}
