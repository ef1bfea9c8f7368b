package ledger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// IndexedEntry is an encoded entry with the index its store gives it.
type IndexedEntry struct {
	Index uint64
	Data  []byte
}

// AuditSource is what Audit reads: a ledger file (OpenFileSource) or a server
// (ledgerhttp.Client). Methods return ErrNotFound-wrapped errors for missing
// data and other errors for I/O failures.
type AuditSource interface {
	// CheckpointNotes returns every stored signed checkpoint, by increasing size.
	CheckpointNotes(ctx context.Context) ([][]byte, error)
	// EntryRange returns the stored entries with start <= index < end in
	// increasing index order; missing indexes are simply absent.
	EntryRange(ctx context.Context, start, end uint64) ([]IndexedEntry, error)
	// AnchorRecords returns the log's anchor records.
	AnchorRecords(ctx context.Context) ([]AnchorRecord, error)
}

// ChainReader reads what the log's anchoring contract holds on chain.
// Implementations return an error when the chain cannot be read; Audit then
// fails (it never treats an unreachable chain as a pass).
type ChainReader interface {
	AnchoredOnChain(ctx context.Context) ([]ChainAnchor, error)
}

// ChainAnchor is one anchor as the chain records it (event and storage agree).
type ChainAnchor struct {
	Size     uint64 `json:"size"`
	Root     Hash   `json:"root"`
	Block    uint64 `json:"block"`
	TxHash   string `json:"tx_hash"`
	Final    bool   `json:"final"`
	Contract string `json:"contract,omitempty"` // the contract holding it, when the reader says
}

// AuditReport summarises an audit. The audit passed only when Problems is 0.
type AuditReport struct {
	Entries          uint64 `json:"entries"`
	Checkpoints      int    `json:"checkpoints"`
	AnchorsOnChain   int    `json:"anchors_on_chain"`  // anchors read from the chain and matched to checkpoints
	AnchorsFinal     int    `json:"anchors_final"`     // of which final
	AnchorsPending   int    `json:"anchors_pending"`   // recorded by the log, not yet in a block
	AnchorsUnchecked int    `json:"anchors_unchecked"` // recorded, but no chain was given to check them
	AnchorsLost      int    `json:"anchors_lost"`      // lost with a retired contract of the embedded dev chain
	Problems         int    `json:"problems"`
	FirstProblem     string `json:"first_problem,omitempty"`
	// Failed counts the problems per check (the AuditCheck* names); empty
	// when the audit passed.
	Failed   map[string]int `json:"failed_checks,omitempty"`
	Duration string         `json:"duration"`
}

// OK reports whether the audit found no problem.
func (r *AuditReport) OK() bool { return r != nil && r.Problems == 0 }

func (r *AuditReport) problem(check, format string, a ...any) {
	if r.Problems == 0 {
		r.FirstProblem = fmt.Sprintf(format, a...)
		r.Failed = map[string]int{}
	}
	r.Problems++
	r.Failed[check]++
}

// leafHasher is the optional capability of a source that stores leaf hashes
// (the ones handed out in receipts): Audit compares them with the entries.
type leafHasher interface {
	StoredLeafHashes(ctx context.Context, start, end uint64) ([]Hash, error)
}

const auditPage = MaxRange

// Audit recomputes the Merkle tree from the source's entries with an
// implementation independent of the writer's (transparency-dev/merkle compact
// ranges), and checks: every checkpoint's signature under vkey and origin;
// that sizes increase; that each checkpoint's root equals the root recomputed
// from the first Size entries (so every checkpoint is consistent with the
// next); that entries are contiguous, parse as valid entries and end at the
// latest checkpoint; stored leaf hashes when the source keeps them; that every
// lost anchor record (AnchorLost) is covered by a later anchor, on chain or
// pending; and, when chain is not nil, that every anchor on chain matches a
// checkpoint and every anchor the log says is included or final is on chain.
//
// Mismatches are counted in the report; the error is for a source or chain
// that could not be read at all. Either means the audit did not pass.
func Audit(ctx context.Context, src AuditSource, vkey string, chain ChainReader) (*AuditReport, error) {
	start := time.Now()
	rep := &AuditReport{}
	defer func() { rep.Duration = time.Since(start).Round(time.Millisecond).String() }()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: verifier key: %v", ErrMalformed, err)
	}
	notes, err := src.CheckpointNotes(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: read checkpoints: %w", err)
	}
	cps := make(map[uint64]Checkpoint, len(notes))
	var sizes []uint64
	for i, n := range notes {
		cp, err := openCheckpoint(n, v)
		if err != nil {
			rep.problem(AuditCheckCheckpoints, "checkpoint #%d: %v", i, err)
			continue
		}
		if len(sizes) > 0 && cp.Size <= sizes[len(sizes)-1] {
			rep.problem(AuditCheckCheckpoints, "checkpoint of size %d follows size %d", cp.Size, sizes[len(sizes)-1])
			continue
		}
		cps[cp.Size] = cp
		sizes = append(sizes, cp.Size)
	}
	rep.Checkpoints = len(sizes)
	if len(sizes) == 0 {
		rep.problem(AuditCheckCheckpoints, "no valid checkpoint")
		return rep, nil
	}
	latest := sizes[len(sizes)-1]
	next := 0 // index into sizes of the next checkpoint to compare
	check := func(size uint64, root Hash) {
		for next < len(sizes) && sizes[next] == size {
			if want := cps[size].Root; want != root {
				rep.problem(AuditCheckTree, "checkpoint of size %d: root %x, entries give %x", size, want[:], root[:])
			}
			next++
		}
	}
	check(0, emptyRoot)
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	lh, _ := src.(leafHasher)
	var index uint64
	for index < latest {
		pageStart, end := index, min(index+auditPage, latest)
		page, err := src.EntryRange(ctx, index, end)
		if err != nil {
			return rep, fmt.Errorf("audit: read entries [%d, %d): %w", index, end, err)
		}
		var stored []Hash
		if lh != nil {
			if stored, err = lh.StoredLeafHashes(ctx, index, end); err != nil {
				rep.problem(AuditCheckLeafHashes, "stored leaf hashes [%d, %d): %v", index, end, err)
				stored = nil
			}
		}
		for _, e := range page {
			if e.Index != index {
				rep.problem(AuditCheckEntries, "entry %d missing (next stored entry is %d)", index, e.Index)
				return rep, nil // the tree cannot be recomputed past a gap
			}
			if _, err := ParseEntry(e.Data); err != nil {
				rep.problem(AuditCheckEntries, "entry %d: %v", index, err)
			}
			leaf := tlog.RecordHash(e.Data)
			if i := index - pageStart; i < uint64(len(stored)) {
				if stored[i] != leaf {
					rep.problem(AuditCheckLeafHashes, "entry %d: stored leaf hash (as in its receipt) differs from the entry's hash", index)
				}
			}
			if err := cr.Append(leaf[:], nil); err != nil {
				return rep, err
			}
			index++
			if next < len(sizes) && sizes[next] == index {
				r, err := cr.GetRootHash(nil)
				if err != nil {
					return rep, err
				}
				check(index, Hash(r))
			}
		}
		if len(page) == 0 || page[len(page)-1].Index < end-1 {
			rep.problem(AuditCheckEntries, "entry %d missing", index)
			return rep, nil
		}
	}
	rep.Entries = index
	if more, err := src.EntryRange(ctx, latest, latest+1); err == nil && len(more) > 0 {
		rep.problem(AuditCheckEntries, "entries beyond the latest checkpoint (size %d)", latest)
	}
	auditAnchors(ctx, rep, src, chain, cps)
	return rep, nil
}

func auditAnchors(ctx context.Context, rep *AuditReport, src AuditSource, chain ChainReader, cps map[uint64]Checkpoint) {
	recs, err := src.AnchorRecords(ctx)
	if err != nil {
		rep.problem(AuditCheckAnchors, "anchor records: %v", err)
		return
	}
	claimed := map[uint64]AnchorRecord{}
	var lost []AnchorRecord
	var covered uint64 // largest size anchored on chain or pending
	for _, r := range recs {
		cp, ok := cps[r.Size]
		switch {
		case !ok:
			rep.problem(AuditCheckAnchors, "anchor record for size %d has no checkpoint", r.Size)
		case cp.Root != r.Root:
			rep.problem(AuditCheckAnchors, "anchor record for size %d names another root than its checkpoint", r.Size)
		}
		switch r.Status {
		case AnchorPending:
			rep.AnchorsPending++
			covered = max(covered, r.Size)
		case AnchorIncluded, AnchorFinal:
			claimed[r.Size] = r
		case AnchorLost:
			rep.AnchorsLost++
			lost = append(lost, r)
		}
	}
	// A lost anchor (its contract vanished with the embedded dev chain) no
	// longer proves anything; a later anchor of a larger tree must cover its
	// checkpoint, which the tree check proves consistent with it.
	defer func() {
		for _, r := range lost {
			if r.Size > covered {
				rep.problem(AuditCheckAnchors, "the anchor of size %d was lost with its contract (%s) and no later anchor covers it", r.Size, r.LastError)
			}
		}
	}()
	if chain == nil {
		rep.AnchorsUnchecked = len(claimed)
		for size := range claimed {
			covered = max(covered, size)
		}
		return
	}
	onChain, err := chain.AnchoredOnChain(ctx)
	if err != nil {
		rep.problem(AuditCheckAnchors, "read anchors from the chain: %v", err)
		return
	}
	seen := map[uint64]bool{}
	for _, a := range onChain {
		seen[a.Size] = true
		cp, ok := cps[a.Size]
		if !ok {
			rep.problem(AuditCheckAnchors, "chain anchors size %d (block %d), the log has no such checkpoint", a.Size, a.Block)
			continue
		}
		if cp.Root != a.Root {
			rep.problem(AuditCheckAnchors, "chain anchors root %x for size %d (block %d), the log's checkpoint has %x", a.Root[:], a.Size, a.Block, cp.Root[:])
			continue
		}
		rep.AnchorsOnChain++
		covered = max(covered, a.Size)
		if a.Final {
			rep.AnchorsFinal++
		}
	}
	for size, r := range claimed {
		if !seen[size] {
			rep.problem(AuditCheckAnchors, "the log says size %d is anchored (%s, tx %s) but the chain has no such anchor", size, r.Status, r.TxHash)
		}
	}
}

// FileSource reads a ledger.db file directly (read-only), for audits that must
// not trust the Log's own checks. The file must not be open for writing
// elsewhere (stop the server, or audit through its URL).
type FileSource struct{ db *bolt.DB }

var _ AuditSource = (*FileSource)(nil)

// OpenFileSource opens path read-only.
func OpenFileSource(path string) (*FileSource, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("ledger: open %s read-only: %w", path, err)
	}
	return &FileSource{db: db}, nil
}

// Close closes the file.
func (f *FileSource) Close() error { return f.db.Close() }

// VerifierKey returns the verifier key recorded in the file (not a trust
// anchor: an auditor should pin the published key instead).
func (f *FileSource) VerifierKey() (string, error) {
	var k string
	err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b == nil || b.Get(vkeyKey) == nil {
			return fmt.Errorf("%w: no verifier key in file", ErrNotFound)
		}
		k = string(b.Get(vkeyKey))
		return nil
	})
	return k, err
}

// CheckpointNotes implements AuditSource.
func (f *FileSource) CheckpointNotes(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		if b == nil {
			return fmt.Errorf("%w: no checkpoints bucket", ErrNotFound)
		}
		return b.ForEach(func(_, v []byte) error {
			out = append(out, append([]byte(nil), v...))
			return ctx.Err()
		})
	})
	return out, err
}

// EntryRange implements AuditSource.
func (f *FileSource) EntryRange(ctx context.Context, start, end uint64) ([]IndexedEntry, error) {
	var out []IndexedEntry
	err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries)
		if b == nil {
			return fmt.Errorf("%w: no entries bucket", ErrNotFound)
		}
		c := b.Cursor()
		for k, v := c.Seek(u64(start)); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				return fmt.Errorf("%w: entry key %x", ErrMalformed, k)
			}
			i := binary.BigEndian.Uint64(k)
			if i >= end {
				break
			}
			out = append(out, IndexedEntry{i, append([]byte(nil), v...)})
		}
		return ctx.Err()
	})
	return out, err
}

// StoredLeafHashes returns the level-0 stored hashes [start, end).
func (f *FileSource) StoredLeafHashes(ctx context.Context, start, end uint64) ([]Hash, error) {
	var out []Hash
	err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHashes)
		if b == nil {
			return fmt.Errorf("%w: no hashes bucket", ErrNotFound)
		}
		for i := start; i < end; i++ {
			v := b.Get(u64(uint64(tlog.StoredHashIndex(0, int64(i)))))
			if len(v) != len(Hash{}) {
				return fmt.Errorf("leaf hash %d missing", i)
			}
			out = append(out, Hash(v))
		}
		return ctx.Err()
	})
	return out, err
}

// AnchorRecords implements AuditSource.
func (f *FileSource) AnchorRecords(ctx context.Context) ([]AnchorRecord, error) {
	var out []AnchorRecord
	err := f.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readAnchors(ctx, tx)
		return err
	})
	return out, err
}

// RetiredAnchorContracts returns the contracts recorded as retired in the
// file, oldest first (see Log.RetiredAnchorContracts).
func (f *FileSource) RetiredAnchorContracts() ([]RetiredAnchorContract, error) {
	var out []RetiredAnchorContract
	err := f.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readRetired(tx)
		return err
	})
	return out, err
}

// AnchorContract returns the anchor contract recorded in the file, or ErrNotFound.
func (f *FileSource) AnchorContract() (AnchorContract, error) {
	var c AnchorContract
	err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if b == nil || b.Get(anchorContractKey) == nil {
			return fmt.Errorf("%w: no anchor contract recorded", ErrNotFound)
		}
		return json.Unmarshal(b.Get(anchorContractKey), &c)
	})
	return c, err
}
