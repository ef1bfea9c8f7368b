package ledger

import (
	"context"
	"encoding/binary"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The checks of Audit, as AuditReport.Failed names them.
const (
	// AuditCheckCheckpoints: every stored checkpoint is signed by the log's
	// key, names the log's origin, and sizes strictly increase.
	AuditCheckCheckpoints = "checkpoints"
	// AuditCheckTree: the root recomputed from the entries equals the root of
	// every checkpoint (so each checkpoint is consistent with the next).
	AuditCheckTree = "tree"
	// AuditCheckEntries: the entries are contiguous, each parses as a valid
	// entry, and they end exactly at the latest checkpoint. A gap stops the
	// audit there, so the tree check covers only the entries before it.
	AuditCheckEntries = "entries"
	// AuditCheckLeafHashes: the stored leaf hashes, the ones handed out in
	// receipts, equal the hashes of the entries (only for sources that keep
	// them: a ledger file or a LogSource).
	AuditCheckLeafHashes = "leaf_hashes"
	// AuditCheckAnchors: anchor records name stored checkpoints; a later
	// anchor (on chain or pending) covers every lost one; with a chain, every
	// anchor on chain matches a checkpoint and every anchor the log calls
	// included or final is on chain.
	AuditCheckAnchors = "anchors"
)

// LogSource is an AuditSource over an open Log, for auditing a running server
// from its own process (the bbolt file lock keeps OpenFileSource out while
// the Log is open). Like FileSource it reads the stored bytes directly, not
// through the Log's checks, and it is fixed at the tree size of the latest
// checkpoint when it was made: entries, checkpoints and anchor records appended
// during the audit are left out, so a busy log audits as a consistent
// snapshot. Because the Log writes entries and their checkpoint in one
// transaction, nothing beyond that checkpoint can be missed.
type LogSource struct {
	f    FileSource // shares the Log's database; never closed through here
	size uint64
}

var (
	_ AuditSource = (*LogSource)(nil)
	_ leafHasher  = (*LogSource)(nil)
)

// AuditSource returns a LogSource fixed at the latest checkpoint.
func (l *Log) AuditSource() *LogSource {
	return &LogSource{f: FileSource{db: l.db}, size: l.Latest().Size}
}

// Size is the tree size the source is fixed at.
func (s *LogSource) Size() uint64 { return s.size }

// CheckpointNotes implements AuditSource: the stored checkpoints up to Size.
func (s *LogSource) CheckpointNotes(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	err := s.f.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCheckpoints).Cursor()
		for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= s.size; k, v = c.Next() {
			out = append(out, slices.Clone(v))
		}
		return ctx.Err()
	})
	return out, err
}

// EntryRange implements AuditSource, never beyond Size.
func (s *LogSource) EntryRange(ctx context.Context, start, end uint64) ([]IndexedEntry, error) {
	return s.f.EntryRange(ctx, start, min(end, s.size))
}

// StoredLeafHashes returns the stored leaf hashes [start, end), never beyond Size.
func (s *LogSource) StoredLeafHashes(ctx context.Context, start, end uint64) ([]Hash, error) {
	return s.f.StoredLeafHashes(ctx, start, min(end, s.size))
}

// AnchorRecords implements AuditSource: the records of checkpoints up to Size.
func (s *LogSource) AnchorRecords(ctx context.Context) ([]AnchorRecord, error) {
	recs, err := s.f.AnchorRecords(ctx)
	return slices.DeleteFunc(recs, func(r AnchorRecord) bool { return r.Size > s.size }), err
}
