package wallet

import (
	"context"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ChangePassphrase re-wraps the keys under a new passphrase after checking
// the current one (ErrWrongPassphrase after the delay if it is wrong). Only
// the wrap changes: records stay as they are, and the recovery code keeps
// working. An event is recorded.
func (s *Session) ChangePassphrase(ctx context.Context, current, next string) error {
	if err := s.w.cfg.checkPassphrase(next); err != nil {
		return err
	}
	wr, _, err := s.w.loadWraps(s.ck)
	if err != nil {
		return err
	}
	release, err := s.w.acquire(ctx)
	if err != nil {
		return err
	}
	keys, err := unwrapPassphrase(s.id, current, &wr.Passphrase)
	release()
	if errors.Is(err, ErrWrongPassphrase) {
		return s.w.penalty(ctx, err)
	}
	if err != nil {
		return fmt.Errorf("%w: passphrase slot: %w", ErrDamaged, err)
	}
	keys.wipe()
	if err := s.rewrapPassphrase(ctx, next, nil); err != nil {
		return err
	}
	_, err = s.RecordEvent(ctx, Event{Kind: EventPassphraseChanged, Actor: ActorCitizen})
	return err
}

// rewrapPassphrase replaces the passphrase slot (and, when recoveryCode is
// set, the recovery slot) with wraps of the session's keys.
func (s *Session) rewrapPassphrase(ctx context.Context, passphrase string, recoveryCode []byte) error {
	var pslot slot
	var rslot *slot
	err := s.use(ctx, func(k *keySet, _ cipher.AEAD) error {
		material, err := k.marshal()
		if err != nil {
			return err
		}
		defer clear(material)
		release, err := s.w.acquire(ctx)
		if err != nil {
			return err
		}
		pslot, err = wrapPassphrase(s.id, passphrase, s.w.cfg.Argon2, material)
		release()
		if err != nil {
			return err
		}
		if recoveryCode != nil {
			r, err := wrapRecovery(s.id, recoveryCode, material)
			if err != nil {
				return err
			}
			rslot = &r
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.w.db.Update(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, s.ck)
		if err != nil {
			return err
		}
		var wr wraps
		if err := json.Unmarshal(b.Get(keyWrap), &wr); err != nil {
			return fmt.Errorf("%w: key wraps", ErrDamaged)
		}
		wr.Passphrase = pslot
		if rslot != nil {
			wr.Recovery = *rslot
		}
		raw, err := json.Marshal(wr)
		if err != nil {
			return err
		}
		return b.Put(keyWrap, raw)
	})
}

// Recover sets a new passphrase using the recovery code written down at
// enrolment. The used code is retired: a new recovery code is returned and
// must be shown to the citizen. A wrong code returns ErrWrongRecoveryCode
// after Config.WrongPassphraseDelay, nothing changed.
func (w *Wallet) Recover(ctx context.Context, citizenID, recoveryCode, newPassphrase string) (RecoveryCode, error) {
	id, ck, err := w.citizen(citizenID)
	if err != nil {
		return "", err
	}
	if err := w.cfg.checkPassphrase(newPassphrase); err != nil {
		return "", err
	}
	wr, pub, err := w.loadWraps(ck)
	if err != nil {
		return "", err
	}
	code, err := parseRecoveryCode(recoveryCode)
	if err != nil {
		return "", w.penalty(ctx, err)
	}
	keys, err := unwrapRecovery(id, code, &wr.Recovery)
	if errors.Is(err, ErrWrongRecoveryCode) {
		return "", w.penalty(ctx, err)
	}
	if err != nil {
		return "", fmt.Errorf("%w: recovery slot: %w", ErrDamaged, err)
	}
	s, err := w.newSession(id, ck, pub, keys)
	if err != nil {
		return "", err
	}
	defer s.Lock()
	next, nextRaw := newRecoveryCode()
	if err := s.rewrapPassphrase(ctx, newPassphrase, nextRaw); err != nil {
		return "", err
	}
	if _, err := s.RecordEvent(ctx, Event{Kind: EventRecovered, Actor: ActorCitizen}); err != nil {
		return "", err
	}
	return next, nil
}
