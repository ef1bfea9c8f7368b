package ledger

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxRange is the most entries one Entries call returns.
const MaxRange = 1000

// SignedCheckpoint is a checkpoint with its signed note as published.
type SignedCheckpoint struct {
	Checkpoint
	Note []byte
}

// Latest returns the latest published checkpoint. It never fails: an empty
// log has the signed checkpoint of the empty tree.
func (l *Log) Latest() SignedCheckpoint {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return SignedCheckpoint{l.latest.Checkpoint, append([]byte(nil), l.latest.Note...)}
}

func (l *Log) size() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.latest.Size
}

// Entry returns the encoded entry at index.
func (l *Log) Entry(ctx context.Context, index uint64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if index >= l.size() {
		return nil, fmt.Errorf("%w: entry %d (log size %d)", ErrNotFound, index, l.size())
	}
	var out []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEntries).Get(u64(index))
		if v == nil {
			return fmt.Errorf("%w: entry %d missing from store", ErrNotFound, index)
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// Entries returns the encoded entries [start, end), at most MaxRange of them.
func (l *Log) Entries(ctx context.Context, start, end uint64) ([]IndexedEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	size := l.size()
	if start > end || end > size {
		return nil, fmt.Errorf("%w: entries [%d, %d) of %d", ErrInvalidRange, start, end, size)
	}
	if end-start > MaxRange {
		end = start + MaxRange
	}
	out := make([]IndexedEntry, 0, end-start)
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEntries).Cursor()
		for k, v := c.Seek(u64(start)); k != nil && binary.BigEndian.Uint64(k) < end; k, v = c.Next() {
			out = append(out, IndexedEntry{binary.BigEndian.Uint64(k), append([]byte(nil), v...)})
		}
		return nil
	})
	return out, err
}

// Checkpoint returns the stored checkpoint published for exactly this size.
func (l *Log) Checkpoint(ctx context.Context, size uint64) (SignedCheckpoint, error) {
	if err := ctx.Err(); err != nil {
		return SignedCheckpoint{}, err
	}
	var n []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCheckpoints).Get(u64(size))
		if v == nil {
			return fmt.Errorf("%w: no checkpoint of size %d", ErrNotFound, size)
		}
		n = append([]byte(nil), v...)
		return nil
	})
	if err != nil {
		return SignedCheckpoint{}, err
	}
	c, err := openCheckpoint(n, l.verifier)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	return SignedCheckpoint{c, n}, nil
}

// Checkpoints calls fn for every stored checkpoint note with size >= from, in
// increasing size, until fn returns false or an error. Notes are copies.
func (l *Log) Checkpoints(ctx context.Context, from uint64, fn func(size uint64, note []byte) (bool, error)) error {
	return l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCheckpoints).Cursor()
		for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			more, err := fn(binary.BigEndian.Uint64(k), append([]byte(nil), v...))
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
}

// InclusionProof returns the RFC 6962 inclusion proof of entry index in the
// tree of the given size (which must not exceed the latest checkpoint).
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([]Hash, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.inclusion(index, size)
}

func (l *Log) inclusion(index, size uint64) ([]Hash, error) {
	if index >= size || size > l.size() {
		return nil, fmt.Errorf("%w: inclusion of %d in %d (log size %d)", ErrInvalidRange, index, size, l.size())
	}
	var p tlog.RecordProof
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = tlog.ProveRecord(int64(size), int64(index), bucketHashReader{tx.Bucket(bucketHashes)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: inclusion proof: %w", err)
	}
	return p, nil
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees of
// sizes old and new (0 < old <= new <= latest size).
func (l *Log) ConsistencyProof(ctx context.Context, old, new uint64) ([]Hash, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if old == 0 || old > new || new > l.size() {
		return nil, fmt.Errorf("%w: consistency %d -> %d (log size %d)", ErrInvalidRange, old, new, l.size())
	}
	var p tlog.TreeProof
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = tlog.ProveTree(int64(new), int64(old), bucketHashReader{tx.Bucket(bucketHashes)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: consistency proof: %w", err)
	}
	return p, nil
}

// TileData returns the contents of a C2SP tlog-tiles hash tile (height 8)
// for a tree of the given size, which must not exceed the latest checkpoint.
func (l *Log) TileData(ctx context.Context, t tlog.Tile, size uint64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if size > l.size() || t.H != TileHeight || t.L < 0 {
		return nil, fmt.Errorf("%w: tile", ErrInvalidRange)
	}
	// A tile exists only once the tree covers it.
	if need := (t.N*(1<<(uint(t.H)*uint(t.L+1))) + int64(t.W)<<(uint(t.H)*uint(t.L))); uint64(need) > size {
		return nil, fmt.Errorf("%w: tile beyond tree size %d", ErrNotFound, size)
	}
	var out []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = tlog.ReadTileData(t, bucketHashReader{tx.Bucket(bucketHashes)})
		return err
	})
	return out, err
}

// TileHeight is the tile height of the tlog-tiles API (C2SP: 8, 256 hashes).
const TileHeight = 8

// Receipt hands out the receipt of the entry at index again, proved against
// the latest checkpoint: for a receipt whose first delivery was lost (a crash
// or a full disk between the append and the wallet's inbox).
func (l *Log) Receipt(ctx context.Context, index uint64) (*Receipt, error) {
	cp := l.Latest()
	data, err := l.Entry(ctx, index)
	if err != nil {
		return nil, err
	}
	if index >= cp.Size {
		return nil, fmt.Errorf("%w: entry %d is past checkpoint %d", ErrNotFound, index, cp.Size)
	}
	proof, err := l.inclusion(index, cp.Size)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt %d: %w", index, err)
	}
	return &Receipt{Version: ReceiptVersion, Index: index, Entry: data, LeafHash: tlog.RecordHash(data), Checkpoint: cp.Note, Proof: proof}, nil
}
