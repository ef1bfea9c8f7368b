package ledger

import (
	"context"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestAuditLiveLogSource(t *testing.T) {
	l, _ := newTestLog(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := l.Append(ctx, sampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	cp := l.Latest()
	if err := l.PutAnchor(ctx, AnchorRecord{Size: cp.Size, Root: cp.Root, Status: AnchorIncluded, TxHash: "0x02", Block: 9}); err != nil {
		t.Fatal(err)
	}
	src := l.AuditSource()
	// Appends after the snapshot (with their checkpoint and anchor record) are
	// not "entries beyond the latest checkpoint".
	for i := 5; i < 8; i++ {
		if _, err := l.Append(ctx, sampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	later := l.Latest()
	if err := l.PutAnchor(ctx, AnchorRecord{Size: later.Size, Root: later.Root, Status: AnchorPending}); err != nil {
		t.Fatal(err)
	}
	chain := fakeChain{anchors: []ChainAnchor{{Size: cp.Size, Root: cp.Root, Block: 9, TxHash: "0x02"}}}
	rep, err := Audit(ctx, src, l.VerifierKey(), chain)
	if err != nil || !rep.OK() || rep.Entries != 5 || src.Size() != 5 || rep.AnchorsOnChain != 1 || rep.AnchorsPending != 0 || len(rep.Failed) != 0 {
		t.Fatalf("live audit: %v %+v", err, rep)
	}
	if rep, err := Audit(ctx, l.AuditSource(), l.VerifierKey(), nil); err != nil || !rep.OK() || rep.Entries != 8 || rep.AnchorsPending != 1 {
		t.Fatalf("second snapshot: %v %+v", err, rep)
	}
}

func TestAuditNamesTheFailedCheck(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(b *bolt.Bucket) error
		chain  ChainReader
		want   string
	}{
		{"altered entry", func(b *bolt.Bucket) error {
			v := append([]byte(nil), b.Get(u64(2))...)
			v[len(v)-1] ^= 0x01
			return b.Put(u64(2), v)
		}, nil, AuditCheckLeafHashes},
		{"deleted entry", func(b *bolt.Bucket) error { return b.Delete(u64(1)) }, nil, AuditCheckEntries},
		{"anchor missing on chain", nil, fakeChain{}, AuditCheckAnchors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, vk, _ := auditFixture(t, 4)
			if tc.tamper != nil {
				tamper(t, path, tc.tamper)
			}
			rep := runAudit(t, path, vk, tc.chain)
			if rep.OK() || rep.Failed[tc.want] == 0 {
				t.Fatalf("report %+v, want a failed %q check", rep, tc.want)
			}
		})
	}
}
