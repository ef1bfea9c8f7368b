package wallet

import (
	"context"
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// mutate changes one value of a citizen's sub-bucket (or the citizen bucket
// itself when sub is "") directly in bbolt, as an attacker with the file would.
func mutate(t *testing.T, e *env, id, sub string, key []byte, change func(v []byte) []byte) {
	t.Helper()
	ck := citizenKey(e.w.indexKey, id)
	err := e.w.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCitizens).Bucket(ck)
		if sub != "" {
			b = b.Bucket([]byte(sub))
		}
		v := b.Get(key)
		if v == nil {
			t.Fatalf("no %s/%x", sub, key)
		}
		return b.Put(key, change(append([]byte(nil), v...)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rawValue(t *testing.T, e *env, id, sub string, key []byte) []byte {
	t.Helper()
	var out []byte
	e.w.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCitizens).Bucket(citizenKey(e.w.indexKey, id))
		if sub != "" {
			b = b.Bucket([]byte(sub))
		}
		out = append([]byte(nil), b.Get(key)...)
		return nil
	})
	return out
}

func TestBitFlipInStoredRecord(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 500)
	e.enrol(t, id)
	s := e.unlock(t, id)
	ids := []string{storeCredential(t, e, s, "valid:census"), storeCredential(t, e, s, "valid:tax"), storeCredential(t, e, s, "valid:degree")}
	victim := ids[1]
	size := len(rawValue(t, e, id, kindCredential, []byte(victim)))
	positions := map[string]int{"version": 0, "nonce": 5, "ciphertext": 40, "tag": size - 1}
	for name, pos := range positions {
		t.Run(name, func(t *testing.T) {
			mutate(t, e, id, kindCredential, []byte(victim), func(v []byte) []byte { v[pos] ^= 0x10; return v })
			defer mutate(t, e, id, kindCredential, []byte(victim), func(v []byte) []byte { v[pos] ^= 0x10; return v })
			list, bad, err := s.Credentials(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || len(bad) != 1 || bad[0].ID != victim || bad[0].Kind != kindCredential {
				t.Fatalf("list %d, damaged %v", len(list), bad)
			}
			if _, err := s.Credential(ctx, victim); !errors.Is(err, ErrDamaged) {
				t.Errorf("show damaged: %v, want ErrDamaged", err)
			}
			if err := s.SetLabel(ctx, victim, "x"); !errors.Is(err, ErrDamaged) {
				t.Errorf("label damaged: %v, want ErrDamaged", err)
			}
			if _, err := s.Credential(ctx, ids[0]); err != nil {
				t.Errorf("neighbour unreadable: %v", err)
			}
		})
	}
	// Truncated envelope and an event flipped.
	mutate(t, e, id, kindCredential, []byte(ids[2]), func(v []byte) []byte { return v[:10] })
	if _, err := s.Credential(ctx, ids[2]); !errors.Is(err, ErrDamaged) {
		t.Errorf("truncated: %v", err)
	}
	mutate(t, e, id, kindEvent, u64b(1), func(v []byte) []byte { v[len(v)/2] ^= 1; return v })
	ev, bad, err := s.Activity(ctx, 0)
	if err != nil || len(bad) != 1 || bad[0].ID != "1" || len(ev) == 0 {
		t.Errorf("activity with a damaged event: %d events, damaged %v, %v", len(ev), bad, err)
	}
}

// TestCitizensCannotReadEachOther plays an attacker with direct access to the
// bbolt file who copies ciphertexts around.
func TestCitizensCannotReadEachOther(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := citizenID(t, 600), citizenID(t, 601)
	e.enrol(t, a)
	e.enrol(t, b)
	sa := e.unlock(t, a)
	sb := e.unlock(t, b)
	ca := storeCredential(t, e, sa, "valid:census")
	cb := storeCredential(t, e, sb, "valid:tax")
	recA := rawValue(t, e, a, kindCredential, []byte(ca))
	put := func(cit, sub string, key, val []byte) {
		t.Helper()
		e.w.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketCitizens).Bucket(citizenKey(e.w.indexKey, cit)).Bucket([]byte(sub)).Put(key, val)
		})
	}

	t.Run("A's record into B under the same id", func(t *testing.T) {
		put(b, kindCredential, []byte(ca), recA)
		if _, err := sb.Credential(ctx, ca); !errors.Is(err, ErrDamaged) {
			t.Errorf("B read A's record: %v", err)
		}
	})
	t.Run("A's record over B's record", func(t *testing.T) {
		put(b, kindCredential, []byte(cb), recA)
		if _, err := sb.Credential(ctx, cb); !errors.Is(err, ErrDamaged) {
			t.Errorf("B read A's record: %v", err)
		}
	})
	t.Run("A's record under another id of A", func(t *testing.T) {
		other := "0123456789abcdef0123456789abcdef"
		put(a, kindCredential, []byte(other), recA)
		if _, err := sa.Credential(ctx, other); !errors.Is(err, ErrDamaged) {
			t.Errorf("record opened under another id: %v", err)
		}
	})
	t.Run("A's credential as a receipt of A", func(t *testing.T) {
		put(a, kindReceipt, []byte(ca), recA)
		if _, err := sa.Receipt(ctx, ca); !errors.Is(err, ErrDamaged) {
			t.Errorf("record opened as another kind: %v", err)
		}
	})
	t.Run("A's key wraps into B", func(t *testing.T) {
		mutate(t, e, b, "", keyWrap, func([]byte) []byte { return rawValue(t, e, a, "", keyWrap) })
		if _, err := e.w.Unlock(ctx, b, testPass); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("A's wrap opened as B's: %v", err)
		}
	})
	t.Run("A's sealed pseudonym secret into B", func(t *testing.T) {
		mutate(t, e, b, "", keyPseudonym, func([]byte) []byte { return rawValue(t, e, a, "", keyPseudonym) })
		if _, err := e.w.PseudonymSecret(ctx, b); !errors.Is(err, ErrDamaged) {
			t.Errorf("A's secret opened as B's: %v", err)
		}
	})
	t.Run("swapped public key is detected at unlock", func(t *testing.T) {
		mutate(t, e, a, "", keyPub, func([]byte) []byte { return rawValue(t, e, b, "", keyPub) })
		if _, err := e.w.Unlock(ctx, a, testPass); !errors.Is(err, ErrDamaged) {
			t.Errorf("unlock with a swapped public key: %v, want ErrDamaged", err)
		}
	})
	// A's own data stays intact throughout.
	if c, err := sa.Credential(ctx, ca); err != nil || c.Type != "census" {
		t.Errorf("A's credential: %v", err)
	}
}
