package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/datadir"
)

// Bucket names and keys of ledger.db. The ledger owns this file.
var (
	bucketMeta        = []byte("meta")        // schemaKey, originKey, vkeyKey, anchor contract
	bucketEntries     = []byte("entries")     // u64 index -> encoded entry
	bucketHashes      = []byte("hashes")      // u64 tlog stored-hash index -> 32-byte hash
	bucketCheckpoints = []byte("checkpoints") // u64 tree size -> signed checkpoint note
	bucketAnchors     = []byte("anchors")     // u64 tree size -> JSON AnchorRecord

	schemaKey = []byte("schema")
	originKey = []byte("origin")
	vkeyKey   = []byte("vkey")
)

// SchemaVersion is the layout version of ledger.db.
const SchemaVersion = 1

// Defaults for zero Config fields.
const (
	DefaultMaxBatch   = 256
	DefaultQueueDepth = 4096
)

// Config configures a Log. The zero value of every optional field is a usable default.
type Config struct {
	// Path is the bbolt file (required; OpenDir uses Layout.LedgerDB()).
	Path string
	// Origin is the checkpoint origin line and must equal the signing key's
	// name. Empty means DefaultOrigin.
	Origin string
	// SignerKey is the note private key string that signs checkpoints
	// (required; see LoadOrCreateKey).
	SignerKey string
	// MaxBatch caps entries per bbolt transaction. Zero means DefaultMaxBatch.
	MaxBatch int
	// QueueDepth is the number of appends that may wait for the writer.
	// Zero means DefaultQueueDepth.
	QueueDepth int
	// Now is the clock stamping entries with a zero Time. Nil means time.Now.
	Now func() time.Time
	// Logger receives operational events (never entry contents). Nil discards.
	Logger *slog.Logger
}

// Validate reports whether the config is usable. It is nil-safe.
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("ledger: nil config")
	}
	if c.Path == "" {
		return errors.New("ledger: config: Path is required")
	}
	if c.SignerKey == "" {
		return errors.New("ledger: config: SignerKey is required")
	}
	if c.MaxBatch < 0 || c.QueueDepth < 0 {
		return errors.New("ledger: config: MaxBatch and QueueDepth must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Origin == "" {
		c.Origin = DefaultOrigin
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.QueueDepth == 0 {
		c.QueueDepth = DefaultQueueDepth
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Log is the append-only transparency log stored in one bbolt file. It is safe
// for concurrent use; appends from many goroutines are group-committed.
type Log struct {
	cfg      Config
	db       *bolt.DB
	signer   note.Signer
	verifier note.Verifier
	vkey     string

	reqs chan *appendReq
	quit chan struct{}
	done chan struct{}

	mu     sync.RWMutex
	latest SignedCheckpoint // last committed checkpoint (Size 0 when empty)
	closed bool
}

type appendReq struct {
	data []byte
	res  chan appendRes
}

type appendRes struct {
	index uint64
	cp    SignedCheckpoint
	err   error
}

// OpenDir opens (creating when needed) the ledger of a data directory: the
// master key from Layout.MasterKey(), the sealed checkpoint key at KeyFile and
// the bbolt file Layout.LedgerDB(). cfg.Path and cfg.SignerKey are filled in.
func OpenDir(ctx context.Context, l datadir.Layout, cfg Config) (*Log, error) {
	sealer, err := atrest.LoadOrCreate(l.MasterKey())
	if err != nil {
		return nil, err
	}
	if cfg.Origin == "" {
		cfg.Origin = DefaultOrigin
	}
	sk, _, err := LoadOrCreateKey(sealer, KeyFile(l), cfg.Origin)
	if err != nil {
		return nil, err
	}
	cfg.Path, cfg.SignerKey = l.LedgerDB(), sk
	return Open(ctx, cfg)
}

// Open opens or creates the log file and starts the writer. Close it.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	signer, err := note.NewSigner(cfg.SignerKey)
	if err != nil {
		return nil, fmt.Errorf("ledger: signer key: %w", err)
	}
	if signer.Name() != cfg.Origin {
		return nil, fmt.Errorf("ledger: signer key is named %q, origin is %q", signer.Name(), cfg.Origin)
	}
	vkey, err := verifierKeyOf(cfg.SignerKey)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("ledger: verifier key: %w", err)
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("ledger: open %s: %w", cfg.Path, err)
	}
	l := &Log{cfg: cfg, db: db, signer: signer, verifier: verifier, vkey: vkey,
		reqs: make(chan *appendReq, cfg.QueueDepth), quit: make(chan struct{}), done: make(chan struct{})}
	if err := l.init(); err != nil {
		db.Close()
		return nil, err
	}
	go l.writer()
	cfg.Logger.InfoContext(ctx, "ledger opened", "path", cfg.Path, "size", l.latest.Size, "origin", cfg.Origin)
	return l, nil
}

func (l *Log) init() error {
	return l.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketEntries, bucketHashes, bucketCheckpoints, bucketAnchors} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("ledger: create bucket %s: %w", b, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(schemaKey); v == nil {
			if err := meta.Put(schemaKey, u64(SchemaVersion)); err != nil {
				return err
			}
			if err := meta.Put(originKey, []byte(l.cfg.Origin)); err != nil {
				return err
			}
			if err := meta.Put(vkeyKey, []byte(l.vkey)); err != nil {
				return err
			}
		} else {
			if len(v) != 8 || binary.BigEndian.Uint64(v) != SchemaVersion {
				return fmt.Errorf("ledger: %s has schema %x, this espai understands %d", l.cfg.Path, v, SchemaVersion)
			}
			if o := string(meta.Get(originKey)); o != l.cfg.Origin {
				return fmt.Errorf("ledger: %s belongs to origin %q, not %q", l.cfg.Path, o, l.cfg.Origin)
			}
			if k := string(meta.Get(vkeyKey)); k != l.vkey {
				return fmt.Errorf("ledger: %s was signed by another key (%s)", l.cfg.Path, k)
			}
		}
		k, v := tx.Bucket(bucketCheckpoints).Cursor().Last()
		if k == nil {
			// Empty log: publish the checkpoint of the empty tree so readers
			// always have a signed head.
			cp := Checkpoint{Origin: l.cfg.Origin, Size: 0, Root: emptyRoot}
			n, err := SignCheckpoint(cp, l.signer)
			if err != nil {
				return err
			}
			l.latest = SignedCheckpoint{cp, n}
			return tx.Bucket(bucketCheckpoints).Put(u64(0), n)
		}
		cp, err := openCheckpoint(v, l.verifier)
		if err != nil {
			return fmt.Errorf("ledger: latest stored checkpoint: %w", err)
		}
		last, _ := tx.Bucket(bucketEntries).Cursor().Last()
		if (cp.Size == 0) != (last == nil) || (last != nil && binary.BigEndian.Uint64(last) != cp.Size-1) {
			return fmt.Errorf("ledger: latest checkpoint covers %d entries, the entries bucket disagrees (run espai audit verify)", cp.Size)
		}
		l.latest = SignedCheckpoint{cp, append([]byte(nil), v...)}
		return nil
	})
}

// emptyRoot is SHA-256 of the empty string, the RFC 6962 hash of an empty tree.
var emptyRoot = Hash{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}

// VerifierKey is the log's public note verifier key ("name+hash+base64").
// Publish it: receipts and checkpoints verify against it.
func (l *Log) VerifierKey() string { return l.vkey }

// Origin is the log's origin line.
func (l *Log) Origin() string { return l.cfg.Origin }

// Close stops the writer after the queued appends and closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.quit)
	<-l.done
	return l.db.Close()
}

// Append validates e, appends it and returns once the entry and a signed
// checkpoint covering it are durable on disk (fsynced bbolt commit). A zero
// e.Time is set from the log's clock (e itself is not modified). On any error
// nothing was appended. Safe for concurrent use: concurrent appends share one
// transaction and one checkpoint.
func (l *Log) Append(ctx context.Context, e Entry) (*Receipt, error) {
	if e.Time.IsZero() {
		e.Time = l.cfg.Now()
	}
	e.Time = e.Time.UTC().Truncate(time.Millisecond)
	data, err := e.MarshalBinary()
	if err != nil {
		return nil, err
	}
	r := &appendReq{data: data, res: make(chan appendRes, 1)}
	l.mu.RLock()
	closed := l.closed
	l.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	select {
	case l.reqs <- r:
	case <-l.quit:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrOverloaded, ctx.Err())
	}
	// Once queued, wait for the outcome even if ctx ends: the entry may
	// already be durable and the caller must learn its index. The writer
	// always answers.
	res := <-r.res
	if res.err != nil {
		return nil, res.err
	}
	proof, err := l.inclusion(res.index, res.cp.Size)
	if err != nil {
		return nil, fmt.Errorf("ledger: appended at %d, proof: %w", res.index, err)
	}
	return &Receipt{
		Version:    ReceiptVersion,
		Index:      res.index,
		Entry:      data,
		LeafHash:   tlog.RecordHash(data),
		Checkpoint: res.cp.Note,
		Proof:      proof,
	}, nil
}

// writer is the group-commit loop: it takes every queued append (up to
// MaxBatch), writes them with their tree hashes and one new signed checkpoint
// in one bbolt transaction, and answers each after the fsync.
func (l *Log) writer() {
	defer close(l.done)
	batch := make([]*appendReq, 0, l.cfg.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-l.reqs:
			batch = append(batch, r)
		case <-l.quit:
			l.drain()
			return
		}
	fill:
		for len(batch) < l.cfg.MaxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		l.commit(batch)
	}
}

// drain commits what was queued before Close.
func (l *Log) drain() {
	for {
		batch := make([]*appendReq, 0, l.cfg.MaxBatch)
	fill:
		for len(batch) < l.cfg.MaxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return
		}
		l.commit(batch)
	}
}

func (l *Log) commit(batch []*appendReq) {
	start := l.latest.Size // only the writer changes latest
	var cp SignedCheckpoint
	err := l.db.Update(func(tx *bolt.Tx) error {
		entries, hashes := tx.Bucket(bucketEntries), tx.Bucket(bucketHashes)
		entries.FillPercent, hashes.FillPercent = 1, 1 // append-only keys
		hr := bucketHashReader{hashes}
		for i, r := range batch {
			n := start + uint64(i)
			if err := entries.Put(u64(n), r.data); err != nil {
				return err
			}
			hs, err := tlog.StoredHashes(int64(n), r.data, hr)
			if err != nil {
				return err
			}
			first := tlog.StoredHashIndex(0, int64(n))
			for j, h := range hs {
				if err := hashes.Put(u64(uint64(first)+uint64(j)), h[:]); err != nil {
					return err
				}
			}
		}
		size := start + uint64(len(batch))
		root, err := tlog.TreeHash(int64(size), hr)
		if err != nil {
			return err
		}
		c := Checkpoint{Origin: l.cfg.Origin, Size: size, Root: root}
		n, err := SignCheckpoint(c, l.signer)
		if err != nil {
			return err
		}
		cp = SignedCheckpoint{c, n}
		return tx.Bucket(bucketCheckpoints).Put(u64(size), n)
	})
	if err != nil {
		l.cfg.Logger.Error("ledger append batch failed", "entries", len(batch), "err", err)
		err = fmt.Errorf("ledger: append: %w", err)
	} else {
		l.mu.Lock()
		l.latest = cp
		l.mu.Unlock()
	}
	for i, r := range batch {
		r.res <- appendRes{index: start + uint64(i), cp: cp, err: err}
	}
}

// bucketHashReader reads stored hashes from a bucket inside one transaction.
type bucketHashReader struct{ b *bolt.Bucket }

func (r bucketHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v := r.b.Get(u64(uint64(x)))
		if len(v) != len(tlog.Hash{}) {
			return nil, fmt.Errorf("%w: stored hash %d missing", ErrNotFound, x)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n) }
