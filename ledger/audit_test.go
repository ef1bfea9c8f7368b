package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// fakeChain is a hand-written ChainReader.
type fakeChain struct {
	anchors []ChainAnchor
	err     error
}

func (f fakeChain) AnchoredOnChain(context.Context) ([]ChainAnchor, error) { return f.anchors, f.err }

// auditFixture writes a log of n entries (in several batches) and returns its
// path, verifier key and one checkpoint to anchor.
func auditFixture(t *testing.T, n int) (string, string, SignedCheckpoint) {
	t.Helper()
	sk, vk := testKey(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openTestLog(t, path, sk)
	ctx := context.Background()
	for i := range n {
		if _, err := l.Append(ctx, sampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	cp := l.Latest()
	if err := l.PutAnchor(ctx, AnchorRecord{Size: cp.Size, Root: cp.Root, Status: AnchorFinal, TxHash: "0x01", Block: 7}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	return path, vk, cp
}

func runAudit(t *testing.T, path, vk string, chain ChainReader) *AuditReport {
	t.Helper()
	src, err := OpenFileSource(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := Audit(context.Background(), src, vk, chain)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func tamper(t *testing.T, path string, fn func(entries *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(bucketEntries)) }); err != nil {
		t.Fatal(err)
	}
}

func TestAuditDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(b *bolt.Bucket) error
		want   string
	}{
		{"none", nil, ""},
		{"alter an entry", func(b *bolt.Bucket) error {
			v := append([]byte(nil), b.Get(u64(5))...)
			v[len(v)-1] ^= 0x01 // last byte of the last category name: still a valid entry
			return b.Put(u64(5), v)
		}, "differs from the entry"},
		{"delete an entry", func(b *bolt.Bucket) error { return b.Delete(u64(3)) }, "entry 3 missing"},
		{"delete the last entry", func(b *bolt.Bucket) error { return b.Delete(u64(9)) }, "entry 9 missing"},
		{"swap two entries", func(b *bolt.Bucket) error {
			a, c := append([]byte(nil), b.Get(u64(2))...), append([]byte(nil), b.Get(u64(6))...)
			if err := b.Put(u64(2), c); err != nil {
				return err
			}
			return b.Put(u64(6), a)
		}, "differs from the entry"},
		{"append an unsigned entry", func(b *bolt.Bucket) error { return b.Put(u64(10), b.Get(u64(0))) }, "beyond the latest checkpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, vk, cp := auditFixture(t, 10)
			if tc.tamper != nil {
				tamper(t, path, tc.tamper)
			}
			chain := fakeChain{anchors: []ChainAnchor{{Size: cp.Size, Root: cp.Root, Block: 7, TxHash: "0x01", Final: true}}}
			rep := runAudit(t, path, vk, chain)
			if tc.want == "" {
				if !rep.OK() || rep.Entries != 10 || rep.AnchorsOnChain != 1 || rep.AnchorsFinal != 1 {
					t.Fatalf("clean log: %+v", rep)
				}
				return
			}
			if rep.OK() || !strings.Contains(rep.FirstProblem, tc.want) {
				t.Fatalf("report %+v, want a problem containing %q", rep, tc.want)
			}
			checkBolt(t, path)
		})
	}
}

func TestAuditAnchors(t *testing.T) {
	path, vk, cp := auditFixture(t, 4)
	other := cp.Root
	other[0] ^= 1
	tests := []struct {
		name  string
		chain ChainReader
		want  string
	}{
		{"root differs on chain", fakeChain{anchors: []ChainAnchor{{Size: cp.Size, Root: other}}}, "chain anchors root"},
		{"unknown size on chain", fakeChain{anchors: []ChainAnchor{{Size: cp.Size, Root: cp.Root}, {Size: 99, Root: cp.Root}}}, "no such checkpoint"},
		{"claimed but absent", fakeChain{}, "chain has no such anchor"},
		{"chain unreachable", fakeChain{err: errors.New("dial tcp: refused")}, "read anchors from the chain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := runAudit(t, path, vk, tc.chain)
			if rep.OK() || !strings.Contains(rep.FirstProblem, tc.want) {
				t.Fatalf("report %+v, want a problem containing %q", rep, tc.want)
			}
		})
	}
	t.Run("no chain given", func(t *testing.T) {
		rep := runAudit(t, path, vk, nil)
		if !rep.OK() || rep.AnchorsUnchecked != 1 {
			t.Fatalf("report %+v, want OK with 1 unchecked anchor", rep)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		_, otherVK := testKey(t)
		if rep := runAudit(t, path, otherVK, nil); rep.OK() {
			t.Fatalf("audit passed under another key: %+v", rep)
		}
	})
}

// Anchors lost with a retired contract of the embedded dev chain prove
// nothing: the audit counts them and requires a later anchor (on chain, or
// pending) to cover each.
func TestAuditLostAnchors(t *testing.T) {
	sk, vk := testKey(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openTestLog(t, path, sk)
	ctx := context.Background()
	var cps []SignedCheckpoint
	for i := range 3 {
		if _, err := l.Append(ctx, sampleEntry(i)); err != nil {
			t.Fatal(err)
		}
		cps = append(cps, l.Latest())
	}
	put := func(cp SignedCheckpoint, s AnchorStatus) {
		t.Helper()
		if err := l.PutAnchor(ctx, AnchorRecord{Size: cp.Size, Root: cp.Root, Status: s, LastError: "lost with contract 0xbb"}); err != nil {
			t.Fatal(err)
		}
	}
	put(cps[0], AnchorLost)
	put(cps[1], AnchorLost)
	src := l.AuditSource()
	later := fakeChain{anchors: []ChainAnchor{{Size: cps[2].Size, Root: cps[2].Root, Block: 9}}}
	if rep, err := Audit(ctx, src, vk, fakeChain{}); err != nil || rep.OK() || !strings.Contains(rep.FirstProblem, "no later anchor covers it") {
		t.Fatalf("lost anchors, none later: %v %+v", err, rep)
	}
	if rep, err := Audit(ctx, src, vk, later); err != nil || !rep.OK() || rep.AnchorsLost != 2 {
		t.Fatalf("lost anchors covered by a later anchor on chain: %v %+v", err, rep)
	}
	put(cps[2], AnchorPending)
	if rep, err := Audit(ctx, l.AuditSource(), vk, nil); err != nil || !rep.OK() || rep.AnchorsLost != 2 || rep.AnchorsPending != 1 {
		t.Fatalf("lost anchors covered by a pending one: %v %+v", err, rep)
	}
	if err := l.PutAnchor(ctx, AnchorRecord{Size: cps[2].Size, Root: cps[2].Root, Status: AnchorIncluded, Block: 9}); err != nil {
		t.Fatal(err)
	}
	if rep, err := Audit(ctx, l.AuditSource(), vk, later); err != nil || !rep.OK() || rep.AnchorsLost != 2 || rep.AnchorsOnChain != 1 {
		t.Fatalf("lost anchors covered on chain: %v %+v", err, rep)
	}
	if rep, err := Audit(ctx, l.AuditSource(), vk, fakeChain{}); err != nil || rep.OK() {
		t.Fatalf("the covering anchor is not on chain, yet the audit passed: %v %+v", err, rep)
	}
}
