package wallet

import (
	"context"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/register"
	"github.com/lestrrat-go/jwx/v2/jwk"
	bolt "go.etcd.io/bbolt"
)

// Wallet is the store of every citizen's wallet in one bbolt file. It is safe
// for concurrent use. Methods on Wallet work while a citizen's wallet is
// locked (enrolment, delivery, public keys, pseudonym secret); everything
// that reads or writes the citizen's records goes through a Session.
type Wallet struct {
	db       *bolt.DB
	sealer   *atrest.Sealer
	checker  CredentialChecker
	cfg      Config
	log      *slog.Logger
	indexKey []byte
	unlocks  chan struct{} // semaphore bounding Argon2id derivations
	closed   atomic.Bool

	mu       sync.Mutex
	sessions map[string]map[*Session]struct{} // by citizen key
}

// Open opens (creating if needed) the wallet database at path, usually
// datadir.Layout.WalletDB(). sealer is the deployment's at-rest sealer; it
// protects the citizen index key and the pseudonym secrets. checker verifies
// credentials when an inbox is opened; nil leaves credential deliveries in
// the inbox (counted as pending in the InboxReport) until a checker is wired.
func Open(ctx context.Context, path string, sealer *atrest.Sealer, checker CredentialChecker, cfg Config) (*Wallet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sealer == nil {
		return nil, errors.New("wallet: Open needs an at-rest sealer")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	db, err := openDB(path, &cfg)
	if err != nil {
		return nil, err
	}
	indexKey, err := initDB(db, sealer)
	if err != nil {
		db.Close()
		return nil, err
	}
	w := &Wallet{
		db: db, sealer: sealer, checker: checker, cfg: cfg, log: cfg.Log,
		indexKey: indexKey,
		unlocks:  make(chan struct{}, cfg.MaxConcurrentUnlocks),
		sessions: map[string]map[*Session]struct{}{},
	}
	if err := w.sweepErased(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return w, nil
}

// Close locks every open session and closes the database.
func (w *Wallet) Close() error {
	if w.closed.Swap(true) {
		return nil
	}
	w.mu.Lock()
	var all []*Session
	for _, set := range w.sessions {
		for s := range set {
			all = append(all, s)
		}
	}
	w.mu.Unlock()
	for _, s := range all {
		s.Lock()
	}
	return w.db.Close()
}

// DB exposes the bbolt handle for tests and `espai check` (Tx.Check). Do not
// write to the wallet's buckets through it.
func (w *Wallet) DB() *bolt.DB { return w.db }

// normCitizen returns the canonical id (trimmed, upper case, checked).
func normCitizen(id string) (string, error) {
	n, err := register.NormalizeID(id)
	if err != nil {
		return "", fmt.Errorf("%w (a DNI or NIE with its check letter)", ErrInvalidCitizen)
	}
	return n, nil
}

func (w *Wallet) citizen(id string) (string, []byte, error) {
	if w.closed.Load() {
		return "", nil, ErrClosed
	}
	n, err := normCitizen(id)
	if err != nil {
		return "", nil, err
	}
	return n, citizenKey(w.indexKey, n), nil
}

// acquire takes an unlock slot, or fails with ErrBusy when ctx ends first.
func (w *Wallet) acquire(ctx context.Context) (release func(), err error) {
	select {
	case w.unlocks <- struct{}{}:
		return func() { <-w.unlocks }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}

// penalty waits the wrong-passphrase delay (or until ctx ends), then returns err.
func (w *Wallet) penalty(ctx context.Context, err error) error {
	w.wait(ctx, w.cfg.WrongPassphraseDelay)
	return err
}

// wait sleeps d (nothing when d <= 0) or until ctx ends.
func (w *Wallet) wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Enrolment is what Enrol returns. RecoveryCode is shown to the citizen once
// and never stored: only a key wrapped under it is.
type Enrolment struct {
	CitizenID    string
	Keys         *PublicKeys
	RecoveryCode RecoveryCode
}

// LogValue redacts the enrolment (citizen id and recovery code).
func (e *Enrolment) LogValue() slog.Value { return redacted() }

// publicInfo is the stored form of a citizen's public keys.
type publicInfo struct {
	V        int             `json:"v"`
	Delivery json.RawMessage `json:"delivery"` // public JWK
	Holder   []byte          `json:"holder"`   // Ed25519 public key
	Created  time.Time       `json:"created"`
}

func (w *Wallet) now() time.Time { return w.cfg.Now().UTC() }

// Enrol creates a wallet for citizenID protected by passphrase: fresh
// delivery, holder and data keys and a pseudonym secret. It returns the
// public keys and the recovery code, which the citizen must write down: it
// is the only way back in without the passphrase.
func (w *Wallet) Enrol(ctx context.Context, citizenID, passphrase string) (*Enrolment, error) {
	id, ck, err := w.citizen(citizenID)
	if err != nil {
		return nil, err
	}
	if err := w.cfg.checkPassphrase(passphrase); err != nil {
		return nil, err
	}
	if ok, err := w.enrolled(ck); err != nil {
		return nil, err
	} else if ok {
		return nil, ErrAlreadyEnrolled
	}
	keys, err := newKeySet()
	if err != nil {
		return nil, err
	}
	defer keys.wipe()
	pub, err := publicKeys(&keys.delivery.PublicKey, keys.holder.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	material, err := keys.marshal()
	if err != nil {
		return nil, err
	}
	defer clear(material)
	code, codeRaw := newRecoveryCode()
	rslot, err := wrapRecovery(id, codeRaw, material)
	if err != nil {
		return nil, err
	}
	secret := randomBytes(PseudonymSecretSize)
	defer clear(secret)
	if err := w.create(ctx, id, ck, keys, pub, passphrase, rslot, secret, nil); err != nil {
		return nil, err
	}
	w.log.InfoContext(ctx, "wallet enrolled")
	return &Enrolment{CitizenID: id, Keys: pub, RecoveryCode: code}, nil
}

// create wraps the keys and writes a new citizen bucket in one transaction.
// fill, when set, writes more content (an imported backup) in the same
// transaction; otherwise an "enrolled" event is appended.
func (w *Wallet) create(ctx context.Context, id string, ck []byte, keys *keySet, pub *PublicKeys, passphrase string, rslot slot, secret []byte, fill func(*bolt.Bucket, cipher.AEAD) error) error {
	material, err := keys.marshal()
	if err != nil {
		return err
	}
	defer clear(material)
	release, err := w.acquire(ctx)
	if err != nil {
		return err
	}
	pslot, err := wrapPassphrase(id, passphrase, w.cfg.Argon2, material)
	release()
	if err != nil {
		return err
	}
	return w.writeCitizen(id, ck, keys, pub, pslot, rslot, secret, fill)
}

func (w *Wallet) writeCitizen(id string, ck []byte, keys *keySet, pub *PublicKeys, pslot, rslot slot, secret []byte, fill func(*bolt.Bucket, cipher.AEAD) error) error {
	dj, err := json.Marshal(pub.Delivery)
	if err != nil {
		return err
	}
	info, err := json.Marshal(publicInfo{V: 1, Delivery: dj, Holder: pub.Holder, Created: w.now()})
	if err != nil {
		return err
	}
	wr, err := json.Marshal(wraps{V: 1, Passphrase: pslot, Recovery: rslot})
	if err != nil {
		return err
	}
	sealedSecret, err := w.sealer.Seal(labelPseudonym, secret, ck)
	if err != nil {
		return err
	}
	aead, err := newRecordAEAD(keys.data)
	if err != nil {
		return err
	}
	return w.db.Update(func(tx *bolt.Tx) error {
		citizens := tx.Bucket(bucketCitizens)
		if old := citizens.Bucket(ck); old != nil {
			if old.Get(keyWrap) != nil {
				return ErrAlreadyEnrolled
			}
			// Remnant of an interrupted erasure: its keys are gone already.
			if err := citizens.DeleteBucket(ck); err != nil {
				return err
			}
			if err := tx.Bucket(bucketPendingErase).Delete(ck); err != nil {
				return err
			}
		}
		b, err := citizens.CreateBucket(ck)
		if err != nil {
			return err
		}
		for _, name := range append([]string{string(bucketInbox)}, recordBuckets...) {
			if _, err := b.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		for k, v := range map[string][]byte{
			string(keyPub): info, string(keyKID): []byte(pub.Delivery.KeyID()),
			string(keyWrap): wr, string(keyPseudonym): sealedSecret, string(keyInboxCount): u64b(0),
		} {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		if fill != nil {
			return fill(b, aead)
		}
		_, err = appendEvent(b, aead, id, Event{Kind: EventEnrolled, Time: w.now(), Actor: ActorCitizen})
		return err
	})
}

func (w *Wallet) enrolled(ck []byte) (bool, error) {
	var ok bool
	err := w.db.View(func(tx *bolt.Tx) error {
		_, err := citizenBucket(tx, ck)
		ok = err == nil
		return nil
	})
	return ok, err
}

// Enrolled reports whether citizenID has a wallet.
func (w *Wallet) Enrolled(ctx context.Context, citizenID string) (bool, error) {
	_, ck, err := w.citizen(citizenID)
	if err != nil {
		return false, err
	}
	return w.enrolled(ck)
}

// PublicKeys returns the citizen's public keys (readable while locked).
func (w *Wallet) PublicKeys(ctx context.Context, citizenID string) (*PublicKeys, error) {
	_, ck, err := w.citizen(citizenID)
	if err != nil {
		return nil, err
	}
	var raw []byte
	err = w.db.View(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		raw = append([]byte(nil), b.Get(keyPub)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return decodePublicInfo(raw)
}

func decodePublicInfo(raw []byte) (*PublicKeys, error) {
	var info publicInfo
	if err := json.Unmarshal(raw, &info); err != nil || info.V != 1 || len(info.Holder) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: public keys record", ErrDamaged)
	}
	dk, err := jwk.ParseKey(info.Delivery)
	if err != nil {
		return nil, fmt.Errorf("%w: delivery key: %w", ErrDamaged, err)
	}
	var ec ecdsa.PublicKey
	if err := dk.Raw(&ec); err != nil {
		return nil, fmt.Errorf("%w: delivery key: %w", ErrDamaged, err)
	}
	return publicKeys(&ec, ed25519.PublicKey(info.Holder))
}

// PseudonymSecret returns the citizen's 32-byte pseudonym secret, from which
// the ledger derives per-administration pseudonyms. It works while the wallet
// is locked (administrations exchange data while the citizen is offline), so
// it is sealed under the deployment master key rather than the citizen's
// keys: see docs/wallet.md for this trade-off. After Erase it is gone and
// ErrNotEnrolled is returned. The caller must not store or log it.
func (w *Wallet) PseudonymSecret(ctx context.Context, citizenID string) ([]byte, error) {
	_, ck, err := w.citizen(citizenID)
	if err != nil {
		return nil, err
	}
	var sealed []byte
	err = w.db.View(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		sealed = append([]byte(nil), b.Get(keyPseudonym)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	secret, err := w.sealer.Open(labelPseudonym, sealed, ck)
	if err != nil {
		return nil, fmt.Errorf("%w: pseudonym secret: %w", ErrDamaged, err)
	}
	return secret, nil
}

func (w *Wallet) register(s *Session) {
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.sessions[string(s.ck)]
	if set == nil {
		set = map[*Session]struct{}{}
		w.sessions[string(s.ck)] = set
	}
	set[s] = struct{}{}
}

func (w *Wallet) unregister(s *Session) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if set := w.sessions[string(s.ck)]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(w.sessions, string(s.ck))
		}
	}
}

// lockAll locks every session of one citizen (after erasure).
func (w *Wallet) lockAll(ck []byte) {
	w.mu.Lock()
	var all []*Session
	for s := range w.sessions[string(ck)] {
		all = append(all, s)
	}
	w.mu.Unlock()
	for _, s := range all {
		s.Lock()
	}
}
