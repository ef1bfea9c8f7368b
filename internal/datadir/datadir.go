// Package datadir owns the layout of an Espai data directory (the --data flag).
//
// One directory holds a whole deployment: one bbolt file per component (each
// component owns its buckets), the registers, the deployment master key and the
// embedded Ethereum dev chain. Every component opens its files through a Layout so
// the layout is written down in one place:
//
//	DIR/espai.json      deployment settings fixed at init (DID domain, schema version)
//	DIR/keys/master.key 32-byte key-encryption key for secrets at rest (see internal/atrest)
//	DIR/registers/      Via Oberta register files (census.json, tax.json, ...)
//	DIR/issuer.db       issuer identities, wrapped signing keys, status lists
//	DIR/wallet.db       citizens' encrypted wallets and inboxes
//	DIR/ledger.db       transparency log entries, tree, checkpoints, anchors
//	DIR/verifier.db     presentation requests, replay cache
//	DIR/chain/          embedded go-ethereum dev node (persistent)
//
// # Security
//
// Directories are created 0700 and key files 0600. The master key beside the data
// is a convenience for the embedded default; a production deployment supplies it
// from a KMS or HSM-backed secret (see docs/operations.md).
package datadir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// SchemaVersion is the version of the data directory layout written by Init.
const SchemaVersion = 1

// DefaultDIDDomain is the did:web domain used when none is given. ".localhost" is
// reserved (RFC 6761), so demo DIDs can never collide with a real administration.
const DefaultDIDDomain = "espai.localhost"

// ErrNotInitialised means the directory has no espai.json: run `espai init` (or
// `espai serve`, which initialises an empty directory) first.
var ErrNotInitialised = errors.New("data directory not initialised (run espai init)")

// Settings are the deployment settings fixed when the directory is created.
type Settings struct {
	Schema int `json:"schema"`
	// DIDDomain is the host part of every issuer's and verifier's did:web
	// identifier, percent-encoded as did:web requires ("host%3A8443").
	DIDDomain string `json:"did_domain"`
	// Demo is true when the directory was prepared with demo registers and citizens.
	Demo bool `json:"demo"`
}

var didDomainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(%3A[0-9]{1,5})?$`)

// Validate reports whether the settings are usable.
func (s *Settings) Validate() error {
	if s == nil {
		return errors.New("settings: nil")
	}
	if s.Schema != SchemaVersion {
		return fmt.Errorf("settings: schema %d, this espai understands %d", s.Schema, SchemaVersion)
	}
	if !didDomainRE.MatchString(s.DIDDomain) {
		return fmt.Errorf("settings: did_domain %q is not a lower-case host name (port as %%3A1234)", s.DIDDomain)
	}
	return nil
}

// Layout names the files of one data directory.
type Layout struct{ Root string }

func (l Layout) path(p ...string) string { return filepath.Join(append([]string{l.Root}, p...)...) }

// SettingsFile is DIR/espai.json.
func (l Layout) SettingsFile() string { return l.path("espai.json") }

// MasterKey is the key-encryption key file.
func (l Layout) MasterKey() string { return l.path("keys", "master.key") }

// KeysDir holds key files (master key, ledger and Ethereum keys).
func (l Layout) KeysDir() string { return l.path("keys") }

// RegistersDir holds the register files.
func (l Layout) RegistersDir() string { return l.path("registers") }

// IssuerDB is the issuer component's bbolt file.
func (l Layout) IssuerDB() string { return l.path("issuer.db") }

// WalletDB is the wallet component's bbolt file.
func (l Layout) WalletDB() string { return l.path("wallet.db") }

// LedgerDB is the ledger component's bbolt file.
func (l Layout) LedgerDB() string { return l.path("ledger.db") }

// VerifierDB is the verifier component's bbolt file.
func (l Layout) VerifierDB() string { return l.path("verifier.db") }

// WebDB is the web layer's bbolt file (staff accounts).
func (l Layout) WebDB() string { return l.path("web.db") }

// TrackingDB keeps the state of procedures and notifications.
func (l Layout) TrackingDB() string { return l.path("tracking.db") }

// MFADB keeps citizens' second factors (sealed TOTP secrets).
func (l Layout) MFADB() string { return l.path("mfa.db") }

// OutboxDB is the queue of alert e-mails waiting to be sent.
func (l Layout) OutboxDB() string { return l.path("outbox.db") }

// OwedDB holds the ledger receipts owed to wallets (sealed; see internal/app).
func (l Layout) OwedDB() string { return l.path("owed.db") }

// ChainDir is the embedded Ethereum dev node's directory.
func (l Layout) ChainDir() string { return l.path("chain") }

// Create makes the directory tree and writes settings if the directory is new.
// On an existing directory it loads and returns the stored settings unchanged.
func Create(root string, s Settings) (Layout, Settings, error) {
	l := Layout{Root: root}
	if existing, err := l.Load(); err == nil {
		return l, existing, nil
	} else if !errors.Is(err, ErrNotInitialised) {
		return l, Settings{}, err
	}
	if s.Schema == 0 {
		s.Schema = SchemaVersion
	}
	if s.DIDDomain == "" {
		s.DIDDomain = DefaultDIDDomain
	}
	if err := s.Validate(); err != nil {
		return l, Settings{}, err
	}
	for _, d := range []string{l.Root, l.KeysDir(), l.RegistersDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return l, Settings{}, fmt.Errorf("create data directory: %w", err)
		}
	}
	if err := l.Save(s); err != nil {
		return l, Settings{}, err
	}
	return l, s, nil
}

// Save writes settings atomically (temp file, fsync, rename).
func (l Layout) Save(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(l.SettingsFile(), append(b, '\n'), 0o600)
}

// Load reads the settings of an initialised directory.
func (l Layout) Load() (Settings, error) {
	b, err := os.ReadFile(l.SettingsFile())
	if errors.Is(err, os.ErrNotExist) {
		return Settings{}, fmt.Errorf("%s: %w", l.Root, ErrNotInitialised)
	}
	if err != nil {
		return Settings{}, fmt.Errorf("read settings: %w", err)
	}
	var s Settings
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("parse %s: %w", l.SettingsFile(), err)
	}
	if err := s.Validate(); err != nil {
		return Settings{}, fmt.Errorf("%s: %w", l.SettingsFile(), err)
	}
	return s, nil
}

// WriteFileAtomic writes data to path so that a crash leaves either the old or
// the new content, never a torn file: it writes a temporary file in the same
// directory, fsyncs it, renames it over path and fsyncs the directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
