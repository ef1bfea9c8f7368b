package issuer

import (
	"context"
	"errors"
	"testing"

	"github.com/espai/espai/internal/credential"
	bolt "go.etcd.io/bbolt"
)

func TestStatusListPacking(t *testing.T) {
	l := newStatusList()
	// Token Status List draft, section 4.1 example: bits=2, entries 0..11 =
	// 1,2,0,3,0,1,0,1,1,2,3,3 pack to bytes 0xC9 0x44 0xF9.
	for i, v := range []byte{1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3} {
		l.set(i, v)
	}
	if got := l.Values[:3]; got[0] != 0xC9 || got[1] != 0x44 || got[2] != 0xF9 {
		t.Fatalf("packed = % x, want c9 44 f9", got)
	}
	for i, want := range []byte{1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3} {
		if got := l.get(i); got != want {
			t.Errorf("get(%d) = %d, want %d", i, got, want)
		}
	}
}

func TestAllocateIsRandomAndUnique(t *testing.T) {
	l := newStatusList()
	seen := map[int]bool{}
	sequential := 0
	prev := -1
	for range 5000 {
		i := l.allocate()
		if seen[i] {
			t.Fatalf("index %d allocated twice", i)
		}
		if i == prev+1 {
			sequential++
		}
		seen[i], prev = true, i
	}
	if l.Count != 5000 {
		t.Errorf("count = %d", l.Count)
	}
	if sequential > 10 {
		t.Errorf("%d of 5000 allocations were sequential: indexes leak issuance order", sequential)
	}
}

// putRecord stores an issued-credential record directly, as IssueBatch does.
func putRecord(t *testing.T, s *Service, rec Record) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		no, l, err := currentList(tx, rec.Admin)
		if err != nil {
			return err
		}
		rec.List, rec.Index = no, l.allocate()
		if err := putJSON(tx.Bucket(bucketStatus), statusKey(rec.Admin, no), l); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketIssued), []byte(rec.ID), rec)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatusTransitions(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	putRecord(t, s, Record{ID: "urn:uuid:1", Admin: "atc", Type: credential.Tax, Format: credential.SDJWT, Citizen: "12345678Z", Status: "valid"})
	steps := []struct {
		op   func(context.Context, string, string) (*Record, error)
		want string
		err  error
	}{
		{s.Reinstate, "", ErrStatusTransition}, // valid -> valid is not a change
		{s.Suspend, "suspended", nil},
		{s.Suspend, "", ErrStatusTransition},
		{s.Reinstate, "valid", nil},
		{s.Revoke, "revoked", nil},
		{s.Reinstate, "", ErrStatusTransition}, // revoked is final
		{s.Suspend, "", ErrStatusTransition},
	}
	for i, st := range steps {
		rec, err := st.op(ctx, "urn:uuid:1", "prova")
		if st.err != nil {
			if !errors.Is(err, st.err) {
				t.Fatalf("step %d: err = %v, want %v", i, err, st.err)
			}
			continue
		}
		if err != nil || rec.Status != st.want {
			t.Fatalf("step %d: %+v, %v; want %s", i, rec, err, st.want)
		}
		l, err := s.listSnapshot("atc", rec.List)
		if err != nil {
			t.Fatal(err)
		}
		if StatusName(l.get(rec.Index)) != st.want {
			t.Fatalf("step %d: list says %s, record says %s", i, StatusName(l.get(rec.Index)), st.want)
		}
	}
	if _, err := s.Revoke(ctx, "urn:uuid:nope", "x"); !errors.Is(err, ErrUnknownCredential) {
		t.Errorf("unknown credential: %v", err)
	}
	if _, err := s.Revoke(ctx, "urn:uuid:1", ""); !errors.Is(err, ErrStatusTransition) {
		t.Errorf("empty reason accepted: %v", err)
	}
}
