package wallet

import (
	"context"
	"crypto/cipher"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/chacha20poly1305"
)

// Backup file format, version 1 (docs/wallet.md):
//
//	offset size
//	0      8    magic "ESPAIWBK"
//	8      1    version 0x01
//	9      1    KDF 0x01 = Argon2id
//	10     4    Argon2id time, big-endian
//	14     4    Argon2id memory in KiB, big-endian
//	18     1    Argon2id threads
//	19     16   salt
//	35     24   nonce
//	59     ...  XChaCha20-Poly1305(key, nonce, payload JSON, AAD = bytes 0..58)
//
// key = Argon2id(NFC(passphrase), salt, t, m, p, 32). Every byte is
// authenticated: the header as associated data, the rest by the AEAD tag, so
// a flipped bit anywhere makes the whole file fail (ErrBadBackup).
const (
	backupMagic     = "ESPAIWBK"
	backupV1        = 0x01
	backupKDF       = 0x01
	backupHeaderLen = 8 + 1 + 1 + 4 + 4 + 1 + saltSize + chacha20poly1305.NonceSizeX
)

// backupPayload is the decrypted content of a backup.
type backupPayload struct {
	V          int       `json:"v"`
	CitizenID  string    `json:"citizen_id"`
	ExportedAt time.Time `json:"exported_at"`
	// Keys is the serialised key set (delivery, holder, data key).
	Keys            []byte         `json:"keys"`
	PseudonymSecret []byte         `json:"pseudonym_secret"`
	Recovery        slot           `json:"recovery"` // the recovery code keeps working
	InboxCount      uint64         `json:"inbox_count"`
	Buckets         []backupBucket `json:"buckets"`
}

// backupBucket holds one sub-bucket verbatim: record envelopes stay
// encrypted under the data key, and their associated data names the citizen
// id, kind and record id, so they open unchanged on the importing instance.
type backupBucket struct {
	Name     string      `json:"name"`
	Sequence uint64      `json:"sequence"`
	Items    [][2][]byte `json:"items"`
}

type backupHeader struct {
	params Argon2Params
	salt   []byte
	nonce  []byte
	raw    []byte // the header bytes, associated data
}

func (h *backupHeader) marshal() []byte {
	b := make([]byte, 0, backupHeaderLen)
	b = append(b, backupMagic...)
	b = append(b, backupV1, backupKDF)
	b = binary.BigEndian.AppendUint32(b, h.params.Time)
	b = binary.BigEndian.AppendUint32(b, h.params.MemoryKiB)
	b = append(b, h.params.Threads)
	b = append(b, h.salt...)
	return append(b, h.nonce...)
}

// parseBackupHeader splits a backup into header and ciphertext, checking the
// magic, version and KDF parameter bounds before any key derivation.
func parseBackupHeader(b []byte) (*backupHeader, []byte, error) {
	if len(b) < backupHeaderLen+chacha20poly1305.Overhead {
		return nil, nil, fmt.Errorf("%w: too short", ErrBadBackup)
	}
	if string(b[:8]) != backupMagic {
		return nil, nil, fmt.Errorf("%w: not an Espai wallet backup", ErrBadBackup)
	}
	if b[8] != backupV1 || b[9] != backupKDF {
		return nil, nil, fmt.Errorf("%w: version %d / kdf %d not supported", ErrBadBackup, b[8], b[9])
	}
	h := &backupHeader{
		params: Argon2Params{Time: binary.BigEndian.Uint32(b[10:14]), MemoryKiB: binary.BigEndian.Uint32(b[14:18]), Threads: b[18]},
		salt:   b[19 : 19+saltSize],
		nonce:  b[19+saltSize : backupHeaderLen],
		raw:    b[:backupHeaderLen],
	}
	if err := h.params.Validate(); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadBackup, err)
	}
	return h, b[backupHeaderLen:], nil
}

// decodeBackupPayload parses and checks a decrypted payload.
func decodeBackupPayload(pt []byte) (*backupPayload, error) {
	var p backupPayload
	if err := strictJSON(pt, &p); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrBadBackup, err)
	}
	if p.V != 1 {
		return nil, fmt.Errorf("%w: payload version %d", ErrBadBackup, p.V)
	}
	id, err := normCitizen(p.CitizenID)
	if err != nil || id != p.CitizenID {
		return nil, fmt.Errorf("%w: citizen id", ErrBadBackup)
	}
	if len(p.Keys) != keyMaterialSize || len(p.PseudonymSecret) != PseudonymSecretSize {
		return nil, fmt.Errorf("%w: key sizes", ErrBadBackup)
	}
	if err := p.Recovery.check(slotRecovery); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBackup, err)
	}
	seen := map[string]bool{}
	for _, bb := range p.Buckets {
		if seen[bb.Name] || !(bb.Name == string(bucketInbox) || slices.Contains(recordBuckets, bb.Name)) {
			return nil, fmt.Errorf("%w: bucket %q", ErrBadBackup, bb.Name)
		}
		seen[bb.Name] = true
		for _, it := range bb.Items {
			if len(it[0]) == 0 || len(it[0]) > 64 {
				return nil, fmt.Errorf("%w: record key", ErrBadBackup)
			}
		}
	}
	return &p, nil
}

// Export writes the whole wallet as one encrypted backup file protected by
// passphrase (usually the wallet passphrase; the file imports with it). It
// holds the keys, the pseudonym secret, the recovery wrap, every record and
// the unopened inbox. An "exported" event is recorded afterwards.
func (s *Session) Export(ctx context.Context, out io.Writer, passphrase string) error {
	if err := s.w.cfg.checkPassphrase(passphrase); err != nil {
		return err
	}
	p := backupPayload{V: 1, CitizenID: s.id, ExportedAt: s.w.now()}
	err := s.use(ctx, func(k *keySet, _ cipher.AEAD) error {
		var err error
		if p.Keys, err = k.marshal(); err != nil {
			return err
		}
		var sealedSecret []byte
		err = s.w.db.View(func(tx *bolt.Tx) error {
			b, err := citizenBucket(tx, s.ck)
			if err != nil {
				return err
			}
			var wr wraps
			if err := json.Unmarshal(b.Get(keyWrap), &wr); err != nil {
				return fmt.Errorf("%w: key wraps", ErrDamaged)
			}
			p.Recovery = wr.Recovery
			p.InboxCount = u64(b.Get(keyInboxCount))
			sealedSecret = append([]byte(nil), b.Get(keyPseudonym)...)
			for _, name := range append([]string{string(bucketInbox)}, recordBuckets...) {
				sb := b.Bucket([]byte(name))
				bb := backupBucket{Name: name, Sequence: sb.Sequence()}
				if err := sb.ForEach(func(k, v []byte) error {
					bb.Items = append(bb.Items, [2][]byte{append([]byte(nil), k...), append([]byte(nil), v...)})
					return nil
				}); err != nil {
					return err
				}
				p.Buckets = append(p.Buckets, bb)
			}
			return nil
		})
		if err != nil {
			return err
		}
		p.PseudonymSecret, err = s.w.sealer.Open(labelPseudonym, sealedSecret, s.ck)
		if err != nil {
			return fmt.Errorf("%w: pseudonym secret", ErrDamaged)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer clear(p.Keys)
	defer clear(p.PseudonymSecret)
	pt, err := json.Marshal(p)
	if err != nil {
		return err
	}
	defer clear(pt)
	h := &backupHeader{params: s.w.cfg.Argon2, salt: randomBytes(saltSize), nonce: randomBytes(chacha20poly1305.NonceSizeX)}
	release, err := s.w.acquire(ctx)
	if err != nil {
		return err
	}
	key := passphraseKEK(passphrase, h.salt, h.params)
	release()
	defer clear(key)
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return err
	}
	// Nonce: the key is fresh for every export (fresh salt), so any nonce is
	// safe; a random one costs nothing.
	hdr := h.marshal()
	file := a.Seal(hdr, h.nonce, pt, hdr)
	if _, err := out.Write(file); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	_, err = s.RecordEvent(ctx, Event{Kind: EventExported, Actor: ActorCitizen})
	return err
}

// Import reads a backup made by Export and creates the wallet it holds,
// protected by the same passphrase (re-wrapped with this instance's Argon2id
// parameters). It returns the citizen id. A wrong passphrase and an altered
// file both give ErrBadBackup (after the wrong-passphrase delay); a citizen
// who already has a wallet here gives ErrAlreadyEnrolled. Nothing is written
// unless everything checks.
func (w *Wallet) Import(ctx context.Context, r io.Reader, passphrase string) (string, error) {
	if w.closed.Load() {
		return "", ErrClosed
	}
	file, err := io.ReadAll(io.LimitReader(r, w.cfg.MaxBackupSize+1))
	if err != nil {
		return "", fmt.Errorf("read backup: %w", err)
	}
	if int64(len(file)) > w.cfg.MaxBackupSize {
		return "", fmt.Errorf("%w: larger than %d bytes", ErrBadBackup, w.cfg.MaxBackupSize)
	}
	h, ct, err := parseBackupHeader(file)
	if err != nil {
		return "", err
	}
	release, err := w.acquire(ctx)
	if err != nil {
		return "", err
	}
	key := passphraseKEK(passphrase, h.salt, h.params)
	release()
	defer clear(key)
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return "", err
	}
	pt, err := a.Open(nil, h.nonce, ct, h.raw)
	if err != nil {
		return "", w.penalty(ctx, fmt.Errorf("%w: wrong passphrase or altered file", ErrBadBackup))
	}
	defer clear(pt)
	p, err := decodeBackupPayload(pt)
	if err != nil {
		return "", err
	}
	defer clear(p.Keys)
	defer clear(p.PseudonymSecret)
	keys, err := unmarshalKeySet(p.Keys)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadBackup, err)
	}
	defer keys.wipe()
	pub, err := publicKeys(&keys.delivery.PublicKey, keys.holder.Public().(ed25519.PublicKey))
	if err != nil {
		return "", err
	}
	_, ck, err := w.citizen(p.CitizenID)
	if err != nil {
		return "", err
	}
	if ok, err := w.enrolled(ck); err != nil {
		return "", err
	} else if ok {
		return "", ErrAlreadyEnrolled
	}
	fill := func(b *bolt.Bucket, aead cipher.AEAD) error {
		for _, bb := range p.Buckets {
			sb := b.Bucket([]byte(bb.Name))
			for _, it := range bb.Items {
				if err := sb.Put(it[0], it[1]); err != nil {
					return err
				}
			}
			if err := sb.SetSequence(bb.Sequence); err != nil {
				return err
			}
		}
		if err := b.Put(keyInboxCount, u64b(p.InboxCount)); err != nil {
			return err
		}
		_, err := appendEvent(b, aead, p.CitizenID, Event{Kind: EventImported, Time: w.now(), Actor: ActorCitizen})
		return err
	}
	if err := w.create(ctx, p.CitizenID, ck, keys, pub, passphrase, p.Recovery, p.PseudonymSecret, fill); err != nil {
		if errors.Is(err, ErrAlreadyEnrolled) {
			return "", err
		}
		return "", fmt.Errorf("import: %w", err)
	}
	return p.CitizenID, nil
}
