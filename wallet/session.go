package wallet

import (
	"context"
	"crypto"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	bolt "go.etcd.io/bbolt"
)

// Session is one citizen's unlocked wallet: it holds the private keys and
// the data key in memory until Lock, the idle timeout, an erasure of the
// wallet or Wallet.Close. Every method returns ErrLocked afterwards. A
// Session is safe for concurrent use.
type Session struct {
	w   *Wallet
	id  string // canonical citizen id
	ck  []byte // citizen bucket key
	pub *PublicKeys

	mu    sync.RWMutex // write-held only by Lock
	keys  *keySet      // nil once locked
	aead  cipher.AEAD
	last  atomic.Int64 // Config.Now of last use, unix nanoseconds
	timer *time.Timer

	reportMu sync.Mutex
	report   InboxReport
}

// LogValue redacts the session to its state: no citizen id, no keys.
func (s *Session) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("locked", s.Locked()))
}

// Unlock derives the passphrase KEK (Argon2id, bounded by
// Config.MaxConcurrentUnlocks; ErrBusy when ctx ends while waiting), unwraps
// the citizen's keys and returns a Session. It then records an "unlocked"
// event and opens the inbox (see OpenInbox; its outcome is in
// Session.InboxReport). A wrong passphrase returns ErrWrongPassphrase after
// Config.WrongPassphraseDelay, with nothing changed.
func (w *Wallet) Unlock(ctx context.Context, citizenID, passphrase string) (*Session, error) {
	id, ck, err := w.citizen(citizenID)
	if err != nil {
		return nil, err
	}
	wr, pub, err := w.loadWraps(ck)
	if err != nil {
		return nil, err
	}
	release, err := w.acquire(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := unwrapPassphrase(id, passphrase, &wr.Passphrase)
	release()
	if errors.Is(err, ErrWrongPassphrase) {
		return nil, w.penalty(ctx, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: passphrase slot: %w", ErrDamaged, err)
	}
	s, err := w.newSession(id, ck, pub, keys)
	if err != nil {
		return nil, err
	}
	if *wr.Passphrase.Argon2 != w.cfg.Argon2 {
		// Stronger (or newer) parameters configured since this wrap: re-wrap
		// once now that the passphrase is known. Failure is not fatal.
		if err := s.rewrapPassphrase(ctx, passphrase, nil); err != nil {
			w.log.WarnContext(ctx, "wallet: re-wrap with current Argon2id parameters failed", slog.Any("err", err))
		}
	}
	if _, err := s.RecordEvent(ctx, Event{Kind: EventUnlocked, Actor: ActorCitizen}); err != nil {
		s.Lock()
		return nil, err
	}
	if _, err := s.OpenInbox(ctx); err != nil {
		w.log.WarnContext(ctx, "wallet: opening inbox failed", slog.Any("err", err))
	}
	return s, nil
}

// UnlockForLogin is Unlock for a login form: a citizen without a wallet, or
// an id that is not a DNI/NIE, costs what a wrong passphrase costs (one
// Argon2id derivation with the current parameters, then the
// wrong-passphrase delay) and is reported as ErrWrongPassphrase, so neither
// the answer nor its time tells whether someone has a wallet. The CLI keeps
// Unlock, whose errors say what is wrong.
//
// Failed logins slow down: recentFailures is how many failures the caller
// counted for this account lately; each doubles the extra wait on top of
// the wrong-passphrase delay (1x, 2x, 4x ... at most 16x that delay).
func (w *Wallet) UnlockForLogin(ctx context.Context, citizenID, passphrase string, recentFailures int) (*Session, error) {
	s, err := w.Unlock(ctx, citizenID, passphrase)
	switch {
	case err == nil || errors.Is(err, ErrBusy):
		return s, err
	case errors.Is(err, ErrNotEnrolled) || errors.Is(err, ErrInvalidCitizen):
		release, aerr := w.acquire(ctx)
		if aerr != nil {
			return nil, aerr
		}
		clear(passphraseKEK(passphrase, decoySalt[:], w.cfg.Argon2))
		release()
		err = w.penalty(ctx, ErrWrongPassphrase)
	}
	if errors.Is(err, ErrWrongPassphrase) && recentFailures > 0 {
		extra := w.cfg.WrongPassphraseDelay << min(recentFailures, 4)
		w.wait(ctx, extra-w.cfg.WrongPassphraseDelay)
	}
	return nil, err
}

// decoySalt salts the derivation UnlockForLogin spends on unknown citizens;
// its result is thrown away.
var decoySalt = [16]byte{'e', 's', 'p', 'a', 'i', '-', 'n', 'o', '-', 'w', 'a', 'l', 'l', 'e', 't'}

func (w *Wallet) loadWraps(ck []byte) (*wraps, *PublicKeys, error) {
	var rawWrap, rawPub []byte
	err := w.db.View(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		rawWrap = append([]byte(nil), b.Get(keyWrap)...)
		rawPub = append([]byte(nil), b.Get(keyPub)...)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var wr wraps
	if err := json.Unmarshal(rawWrap, &wr); err != nil || wr.V != 1 {
		return nil, nil, fmt.Errorf("%w: key wraps", ErrDamaged)
	}
	if err := wr.Passphrase.check(slotPassphrase); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	pub, err := decodePublicInfo(rawPub)
	if err != nil {
		return nil, nil, err
	}
	return &wr, pub, nil
}

// newSession checks that the unwrapped keys match the stored public keys (so
// a public key swapped on disk is detected, not trusted) and starts the idle
// timer.
func (w *Wallet) newSession(id string, ck []byte, pub *PublicKeys, keys *keySet) (*Session, error) {
	hp := keys.holder.Public().(ed25519.PublicKey)
	if subtle.ConstantTimeCompare(hp, pub.Holder) != 1 {
		keys.wipe()
		return nil, fmt.Errorf("%w: stored holder key does not match the wrapped key", ErrDamaged)
	}
	var dp any
	if err := pub.Delivery.Raw(&dp); err != nil || !keys.delivery.PublicKey.Equal(dp) {
		keys.wipe()
		return nil, fmt.Errorf("%w: stored delivery key does not match the wrapped key", ErrDamaged)
	}
	aead, err := newRecordAEAD(keys.data)
	if err != nil {
		keys.wipe()
		return nil, err
	}
	s := &Session{w: w, id: id, ck: ck, pub: pub, keys: keys, aead: aead}
	s.last.Store(w.cfg.Now().UnixNano())
	s.timer = time.AfterFunc(w.cfg.IdleTimeout, s.idleCheck)
	w.register(s)
	return s, nil
}

func (s *Session) idleCheck() {
	idle := s.w.cfg.IdleTimeout
	left := idle - s.w.cfg.Now().Sub(time.Unix(0, s.last.Load()))
	if left <= 0 {
		s.Lock()
		return
	}
	s.mu.RLock()
	if s.keys != nil {
		s.timer.Reset(left)
	}
	s.mu.RUnlock()
}

// Lock drops the keys from memory. It is idempotent.
func (s *Session) Lock() {
	s.mu.Lock()
	if s.keys != nil {
		s.keys.wipe()
		s.keys, s.aead = nil, nil
		s.timer.Stop()
	}
	s.mu.Unlock()
	s.w.unregister(s)
}

// Touch marks the session used now, as any use of its keys does: a web
// session whose pages did not need the wallet keeps it unlocked as long as
// the citizen is active. It reports false when the session is locked
// already (touching does not bring keys back).
func (s *Session) Touch() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.keys == nil || s.expired() {
		return false
	}
	s.last.Store(s.w.cfg.Now().UnixNano())
	return true
}

// Locked reports whether the session's keys are gone (Lock or idle timeout).
func (s *Session) Locked() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keys == nil || s.expired()
}

func (s *Session) expired() bool {
	return s.w.cfg.Now().Sub(time.Unix(0, s.last.Load())) >= s.w.cfg.IdleTimeout
}

// use runs fn with the keys, holding the session read lock so Lock waits for
// fn to finish before wiping. It refreshes the idle timer.
func (s *Session) use(ctx context.Context, fn func(k *keySet, aead cipher.AEAD) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.keys == nil {
		s.mu.RUnlock()
		return ErrLocked
	}
	if s.expired() {
		s.mu.RUnlock()
		s.Lock()
		return ErrLocked
	}
	if s.w.closed.Load() {
		s.mu.RUnlock()
		return ErrClosed
	}
	defer s.mu.RUnlock()
	s.last.Store(s.w.cfg.Now().UnixNano())
	return fn(s.keys, s.aead)
}

// CitizenID is the canonical id of the session's citizen.
func (s *Session) CitizenID() string { return s.id }

// PublicKeys returns the citizen's public keys.
func (s *Session) PublicKeys() *PublicKeys { return s.pub }

// HolderKey returns a copy of the Ed25519 holder private key, for signing
// key-binding JWTs and JSON-LD presentations. The caller must not keep it
// beyond the operation.
func (s *Session) HolderKey(ctx context.Context) (ed25519.PrivateKey, error) {
	var out ed25519.PrivateKey
	err := s.use(ctx, func(k *keySet, _ cipher.AEAD) error {
		out = append(ed25519.PrivateKey(nil), k.holder...)
		return nil
	})
	return out, err
}

// HolderSigner is HolderKey as a crypto.Signer (EdDSA: sign with crypto.Hash(0)).
func (s *Session) HolderSigner(ctx context.Context) (crypto.Signer, error) {
	k, err := s.HolderKey(ctx)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// HolderJWK is the holder private key as an OKP JWK with the same kid as
// PublicKeys().HolderJWK, for jws.WithKey(jwa.EdDSA, key).
func (s *Session) HolderJWK(ctx context.Context) (jwk.Key, error) {
	k, err := s.HolderKey(ctx)
	if err != nil {
		return nil, err
	}
	j, err := jwk.FromRaw(k)
	if err != nil {
		return nil, err
	}
	if err := j.Set(jwk.KeyIDKey, s.pub.HolderJWK.KeyID()); err != nil {
		return nil, err
	}
	return j, nil
}

// update runs fn in a write transaction on the citizen's bucket with the keys.
func (s *Session) update(ctx context.Context, fn func(b *bolt.Bucket, aead cipher.AEAD) error) error {
	return s.use(ctx, func(_ *keySet, aead cipher.AEAD) error {
		return s.w.db.Update(func(tx *bolt.Tx) error {
			b, err := citizenBucket(tx, s.ck)
			if err != nil {
				return err
			}
			return fn(b, aead)
		})
	})
}

// view runs fn in a read transaction on the citizen's bucket with the keys.
func (s *Session) view(ctx context.Context, fn func(b *bolt.Bucket, aead cipher.AEAD) error) error {
	return s.use(ctx, func(_ *keySet, aead cipher.AEAD) error {
		return s.w.db.View(func(tx *bolt.Tx) error {
			b, err := citizenBucket(tx, s.ck)
			if err != nil {
				return err
			}
			return fn(b, aead)
		})
	})
}
