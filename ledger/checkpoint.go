package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/datadir"
)

// Hash is a SHA-256 tree or leaf hash (RFC 6962 hashing, as in sumdb/tlog).
type Hash = tlog.Hash

// DefaultOrigin is the checkpoint origin line (and note key name) used when
// Config.Origin is empty.
const DefaultOrigin = "espai.localhost/ledger"

// keyLabel is the atrest purpose label of the sealed checkpoint signing key.
const keyLabel = "espai/ledger/checkpoint-key/v1"

// maxCheckpointSize bounds a signed checkpoint read from outside.
const maxCheckpointSize = 4096

// Checkpoint is the body of a C2SP tlog-checkpoint: the origin (the log's
// identity), the tree size and the RFC 6962 root hash of that tree.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   Hash
}

// Text is the checkpoint body in C2SP form: three lines, each ending in "\n".
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint parses a checkpoint body (not the signatures). Extension
// lines are rejected: this log never writes them, so their presence means the
// text came from elsewhere.
func ParseCheckpoint(text string) (Checkpoint, error) {
	if len(text) > maxCheckpointSize {
		return Checkpoint{}, malformed("checkpoint", "too long")
	}
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, malformed("checkpoint", "missing final newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 3 {
		return Checkpoint{}, malformed("checkpoint", "%d lines, want 3 (origin, size, root)", len(lines))
	}
	if lines[0] == "" || strings.ContainsAny(lines[0], " \t\r") {
		return Checkpoint{}, malformed("checkpoint", "bad origin line")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] || size > 1<<62 {
		return Checkpoint{}, malformed("checkpoint", "bad size line")
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != len(Hash{}) {
		return Checkpoint{}, malformed("checkpoint", "bad root hash line")
	}
	c := Checkpoint{Origin: lines[0], Size: size}
	copy(c.Root[:], root)
	return c, nil
}

// SignCheckpoint returns the signed note of c.
func SignCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: c.Text()}, s)
}

// OpenCheckpoint verifies a signed checkpoint note with the log's verifier key
// (note vkey format) and parses it. The origin must equal the key name, as
// C2SP recommends, so a key cannot vouch for another log's checkpoints.
// Failures wrap ErrVerification (signature) or ErrMalformed (syntax).
func OpenCheckpoint(signed []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: verifier key: %v", ErrMalformed, err)
	}
	return openCheckpoint(signed, v)
}

func openCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	if len(signed) > maxCheckpointSize {
		return Checkpoint{}, malformed("checkpoint", "too long")
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Checkpoint{}, checkErr("checkpoint_signature", err)
		}
		return Checkpoint{}, checkErr("checkpoint_signature", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, checkErr("origin", fmt.Errorf("checkpoint origin %q, key name %q", c.Origin, v.Name()))
	}
	return c, nil
}

// KeyFile is where OpenDir keeps the sealed checkpoint signing key.
func KeyFile(l datadir.Layout) string { return filepath.Join(l.KeysDir(), "ledger-checkpoint.key") }

// LoadOrCreateKey returns the note signing key stored sealed at path, creating
// an Ed25519 key named origin when the file does not exist. The key file holds
// the note private key string sealed with atrest (label keyLabel, associated
// data = origin), so the file is useless without the master key and cannot be
// moved to a log with another origin. It also returns the public verifier key.
func LoadOrCreateKey(sealer *atrest.Sealer, path, origin string) (skey, vkey string, err error) {
	if sealer == nil {
		return "", "", errors.New("ledger: key: nil sealer")
	}
	sealed, err := os.ReadFile(path)
	switch {
	case err == nil:
		pt, err := sealer.Open(keyLabel, sealed, []byte(origin))
		if err != nil {
			return "", "", fmt.Errorf("ledger: open checkpoint key %s: %w", path, err)
		}
		s, err := note.NewSigner(string(pt))
		if err != nil {
			return "", "", fmt.Errorf("ledger: checkpoint key %s: %w", path, err)
		}
		if s.Name() != origin {
			return "", "", fmt.Errorf("ledger: checkpoint key is named %q, origin is %q", s.Name(), origin)
		}
		vk, err := verifierKeyOf(string(pt))
		return string(pt), vk, err
	case errors.Is(err, os.ErrNotExist):
		sk, vk, err := note.GenerateKey(rand.Reader, origin)
		if err != nil {
			return "", "", fmt.Errorf("ledger: generate checkpoint key: %w", err)
		}
		sealed, err := sealer.Seal(keyLabel, []byte(sk), []byte(origin))
		if err != nil {
			return "", "", err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", "", fmt.Errorf("ledger: %w", err)
		}
		if err := datadir.WriteFileAtomic(path, sealed, 0o600); err != nil {
			return "", "", err
		}
		return sk, vk, nil
	default:
		return "", "", fmt.Errorf("ledger: read checkpoint key: %w", err)
	}
}

// verifierKeyOf derives the vkey string from a note private key string
// "PRIVATE+KEY+name+hash+base64(0x01||seed)".
func verifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("ledger: checkpoint key: bad format")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		return "", errors.New("ledger: checkpoint key: not an Ed25519 note key")
	}
	return note.NewEd25519VerifierKey(parts[2], ed25519Public(raw[1:]))
}

func ed25519Public(seed []byte) ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}
