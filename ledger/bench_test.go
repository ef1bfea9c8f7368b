package ledger

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkAppend64Writers: sustained appends from 64 concurrent writers,
// each returning only after its fsynced group commit.
func BenchmarkAppend64Writers(b *testing.B) {
	l, _ := newTestLog(b)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(64 / max(1, testingProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Append(ctx, sampleEntry(int(n.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkBaselineCommitPerEntry: the baseline, one fsynced bbolt commit per
// entry from the same 64 writers.
func BenchmarkBaselineCommitPerEntry(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "base.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucketEntries); return err })
	e := sampleEntry(1)
	data, _ := e.MarshalBinary()
	var n atomic.Uint64
	b.SetParallelism(64 / max(1, testingProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketEntries).Put(u64(i), data) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

const bigTree = 1_000_000

// bigLog builds a 1,000,000-entry tree by writing the stored hashes directly
// (leaf data is synthetic), then opens it as a Log.
func bigLog(b *testing.B) *Log {
	b.Helper()
	sk, _ := testKey(b)
	path := filepath.Join(b.TempDir(), "big.db")
	var hashes []tlog.Hash
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for n := range int64(bigTree) {
		hs, err := tlog.StoredHashes(n, u64(uint64(n)), mem)
		if err != nil {
			b.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	root, _ := tlog.TreeHash(bigTree, mem)
	l := openTestLog(b, path, sk) // creates buckets and the signer
	l.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 200_000
	for start := 0; start < len(hashes); start += chunk {
		err := db.Update(func(tx *bolt.Tx) error {
			hb := tx.Bucket(bucketHashes)
			hb.FillPercent = 1
			for i := start; i < min(start+chunk, len(hashes)); i++ {
				if err := hb.Put(u64(uint64(i)), hashes[i][:]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		// Only the last entry is stored: Open checks it, proofs need hashes only.
		if err := tx.Bucket(bucketEntries).Put(u64(bigTree-1), []byte{0}); err != nil {
			return err
		}
		n, err := SignCheckpoint(Checkpoint{Origin: DefaultOrigin, Size: bigTree, Root: root}, l.signer)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketCheckpoints).Put(u64(bigTree), n)
	})
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	l = openTestLog(b, path, sk)
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkInclusionProof1M: produce an inclusion proof in a 1,000,000-entry
// tree (target < 100 µs).
func BenchmarkInclusionProof1M(b *testing.B) {
	l := bigLog(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := l.InclusionProof(ctx, uint64(i*7919)%bigTree, bigTree); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyInclusion1M: verify such a proof offline (target < 50 µs).
func BenchmarkVerifyInclusion1M(b *testing.B) {
	l := bigLog(b)
	ctx := context.Background()
	cp := l.Latest()
	const idx = 123_457
	p, err := l.InclusionProof(ctx, idx, bigTree)
	if err != nil {
		b.Fatal(err)
	}
	leaf := tlog.RecordHash(u64(idx))
	b.ResetTimer()
	for b.Loop() {
		if err := VerifyInclusion(idx, bigTree, leaf, p, cp.Root); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineBoltGet: the baseline for proof production, one bbolt
// read transaction with one Get.
func BenchmarkBaselineBoltGet(b *testing.B) {
	l, _ := newTestLog(b)
	if _, err := l.Append(context.Background(), sampleEntry(0)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l.db.View(func(tx *bolt.Tx) error { tx.Bucket(bucketEntries).Get(u64(0)); return nil })
	}
}
