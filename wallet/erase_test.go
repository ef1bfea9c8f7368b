package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestErase(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := citizenID(t, 700), citizenID(t, 701)
	e.enrol(t, a)
	e.enrol(t, b)
	sa := e.unlock(t, a)
	other := e.unlock(t, a) // a second session of the same citizen
	storeCredential(t, e, sa, "valid:census")
	deliver(t, e, a, DeliveryCredential, []byte("retry")) // stays in the inbox
	sb := e.unlock(t, b)
	cb := storeCredential(t, e, sb, "valid:tax")

	er, err := sa.Erase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !sa.Locked() || !other.Locked() {
		t.Error("sessions of the erased citizen still unlocked")
	}
	checks := []struct {
		name string
		err  error
	}{
		{"unlock", func() error { _, err := e.w.Unlock(ctx, a, testPass); return err }()},
		{"pseudonym", func() error { _, err := e.w.PseudonymSecret(ctx, a); return err }()},
		{"public keys", func() error { _, err := e.w.PublicKeys(ctx, a); return err }()},
		{"deliver", func() error { _, err := e.w.Deliver(ctx, a, []byte("x")); return err }()},
		{"erase again", func() error { _, err := e.w.Erase(ctx, a); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, ErrNotEnrolled) {
			t.Errorf("%s after erasure: %v, want ErrNotEnrolled", c.name, c.err)
		}
	}
	e.w.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCitizens).Bucket(citizenKey(e.w.indexKey, a)) != nil {
			t.Error("erased citizen's bucket still there")
		}
		return nil
	})
	if _, err := sb.Credential(ctx, cb); err != nil {
		t.Errorf("other citizen affected: %v", err)
	}
	ts, err := e.w.Tombstones(ctx)
	if err != nil || len(ts) != 1 {
		t.Fatalf("tombstones %v, %v", ts, err)
	}
	if !ts[0].Matches(a, er.Salt) || ts[0].Matches(b, er.Salt) || ts[0].Matches(a, make([]byte, 32)) {
		t.Error("tombstone commitment does not bind the citizen and salt")
	}
	if ts[0].Records[kindCredential] != 1 || ts[0].Records[string(bucketInbox)] != 1 {
		t.Errorf("tombstone counts %v", ts[0].Records)
	}
	raw, _ := json.Marshal(ts[0])
	if bytes.Contains(raw, []byte(a)) {
		t.Error("tombstone holds the citizen id")
	}
	// The citizen can start again.
	e.enrol(t, a)
}

func TestInterruptedEraseIsSweptOnOpen(t *testing.T) {
	e := newEnv(t)
	id := citizenID(t, 702)
	e.enrol(t, id)
	ck := citizenKey(e.w.indexKey, id)
	// The first erasure transaction only, as if the process died after it.
	err := e.w.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCitizens).Bucket(ck)
		for _, k := range [][]byte{keyWrap, keyPseudonym, keyPub, keyKID} {
			b.Delete(k)
		}
		return tx.Bucket(bucketPendingErase).Put(ck, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.reopen(t)
	e.w.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCitizens).Bucket(ck) != nil || tx.Bucket(bucketPendingErase).Get(ck) != nil {
			t.Error("interrupted erasure not finished at Open")
		}
		return nil
	})
}
