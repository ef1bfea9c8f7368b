package wallet

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// labelErasure starts the hash of an erasure commitment.
const labelErasure = "espai/wallet/erasure/v1"

// Tombstone is the record an erasure leaves behind, since the space that
// would hold the event is gone. It holds no personal data: the time, how
// many records were destroyed, and a commitment to the citizen id under a
// random salt that only the citizen receives (Erasure.Salt). With the salt
// the citizen (or an auditor they show it to) can prove the erasure
// happened; without it the tombstone cannot be linked to anyone, even by
// trying every DNI.
type Tombstone struct {
	V          int            `json:"v"`
	Seq        uint64         `json:"seq"`
	ErasedAt   time.Time      `json:"erased_at"`
	Records    map[string]int `json:"records"`    // destroyed records per kind
	Commitment []byte         `json:"commitment"` // SHA-256(label || 0 || salt || citizen id)
}

// Erasure is returned by an erasure: the tombstone and the salt that opens
// its commitment. Give the salt to the citizen; it is not stored.
type Erasure struct {
	Tombstone Tombstone
	Salt      []byte
}

func erasureCommitment(salt []byte, citizenID string) []byte {
	h := sha256.New()
	h.Write([]byte(labelErasure))
	h.Write([]byte{0})
	h.Write(salt)
	h.Write([]byte(citizenID))
	return h.Sum(nil)
}

// Matches reports whether the tombstone is the erasure of citizenID, given
// the salt handed out at erasure.
func (t *Tombstone) Matches(citizenID string, salt []byte) bool {
	id, err := normCitizen(citizenID)
	if err != nil || len(salt) != 32 {
		return false
	}
	return subtle.ConstantTimeCompare(erasureCommitment(salt, id), t.Commitment) == 1
}

// Erase destroys the session's wallet (see Wallet.Erase) and locks every
// session of the citizen.
func (s *Session) Erase(ctx context.Context) (*Erasure, error) {
	if s.Locked() {
		return nil, ErrLocked
	}
	return s.w.erase(ctx, s.id, s.ck)
}

// Erase destroys a citizen's wallet by crypto-shredding. In one transaction
// the wrapped keys, the public keys and the sealed pseudonym secret are
// deleted and a Tombstone written: from then on no record can be decrypted
// and the ledger's pseudonyms of the citizen can no longer be linked. A
// second transaction then deletes the records themselves (resumed at the next
// Open if the process dies in between). Every session of the citizen is
// locked.
//
// This is the administrative path (a citizen who lost both passphrase and
// recovery code, after identity checks); a citizen erases through
// Session.Erase. The caller is responsible for authorising it.
func (w *Wallet) Erase(ctx context.Context, citizenID string) (*Erasure, error) {
	id, ck, err := w.citizen(citizenID)
	if err != nil {
		return nil, err
	}
	return w.erase(ctx, id, ck)
}

func (w *Wallet) erase(ctx context.Context, id string, ck []byte) (*Erasure, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	salt := randomBytes(32)
	t := Tombstone{V: 1, ErasedAt: w.now(), Records: map[string]int{}, Commitment: erasureCommitment(salt, id)}
	err := w.db.Update(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		for _, name := range append([]string{string(bucketInbox)}, recordBuckets...) {
			t.Records[name] = b.Bucket([]byte(name)).Stats().KeyN
		}
		for _, k := range [][]byte{keyWrap, keyPseudonym, keyPub, keyKID} {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketPendingErase).Put(ck, nil); err != nil {
			return err
		}
		tb := tx.Bucket(bucketTombstones)
		if t.Seq, err = tb.NextSequence(); err != nil {
			return err
		}
		raw, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return tb.Put(u64b(t.Seq), raw)
	})
	if err != nil {
		return nil, err
	}
	w.lockAll(ck)
	if err := w.sweep(ck); err != nil {
		// The keys are gone already; the records are swept at the next Open.
		w.log.WarnContext(ctx, "wallet: sweeping erased records failed", "err", err)
	}
	w.log.InfoContext(ctx, "wallet erased", "tombstone", t.Seq)
	return &Erasure{Tombstone: t, Salt: salt}, nil
}

// sweep deletes the records of an erased citizen.
func (w *Wallet) sweep(ck []byte) error {
	return w.db.Update(func(tx *bolt.Tx) error {
		citizens := tx.Bucket(bucketCitizens)
		if b := citizens.Bucket(ck); b != nil && b.Get(keyWrap) == nil {
			if err := citizens.DeleteBucket(ck); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketPendingErase).Delete(ck)
	})
}

// sweepErased finishes erasures interrupted by a crash.
func (w *Wallet) sweepErased(ctx context.Context) error {
	var pending [][]byte
	err := w.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPendingErase).ForEach(func(k, _ []byte) error {
			pending = append(pending, append([]byte(nil), k...))
			return nil
		})
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, ck := range pending {
		errs = append(errs, w.sweep(ck))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("finish interrupted erasures: %w", err)
	}
	return nil
}

// Tombstones lists every erasure recorded in this database, oldest first.
func (w *Wallet) Tombstones(ctx context.Context) ([]Tombstone, error) {
	if w.closed.Load() {
		return nil, ErrClosed
	}
	var out []Tombstone
	err := w.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTombstones).ForEach(func(_, v []byte) error {
			var t Tombstone
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("%w: tombstone", ErrDamaged)
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}
