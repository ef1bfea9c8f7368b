package ledger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AnchorStatus is where a checkpoint's anchor stands on the chain.
type AnchorStatus string

// Anchor statuses. A record moves pending -> included -> final, or pending ->
// failed when the chain refused it (a later checkpoint is then anchored).
const (
	AnchorPending  AnchorStatus = "pending"  // recorded; transaction not yet seen in a block
	AnchorIncluded AnchorStatus = "included" // in a block above the chain's finalized block
	AnchorFinal    AnchorStatus = "final"    // its block is at or below the finalized block
	AnchorFailed   AnchorStatus = "failed"   // the chain refused it; superseded by a later anchor
)

// AnchorRecord is the anchoring state of one checkpoint, stored in ledger.db.
type AnchorRecord struct {
	Size      uint64       `json:"size"`
	Root      Hash         `json:"root"`
	Status    AnchorStatus `json:"status"`
	TxHash    string       `json:"tx_hash,omitempty"`
	Block     uint64       `json:"block,omitempty"`
	Attempts  int          `json:"attempts"`
	LastError string       `json:"last_error,omitempty"` // operator-facing, never contains entry data
	Created   time.Time    `json:"created"`
	Updated   time.Time    `json:"updated"`
}

// AnchorContract says where the log's anchors live.
type AnchorContract struct {
	ChainID     uint64 `json:"chain_id"`
	Address     string `json:"address"` // 0x-prefixed contract address
	DeployBlock uint64 `json:"deploy_block"`
}

var anchorContractKey = []byte("anchor_contract")

// PutAnchor stores (creates or replaces) the anchor record of a checkpoint.
// The record's size must name a stored checkpoint whose root it repeats.
func (l *Log) PutAnchor(ctx context.Context, r AnchorRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		n := tx.Bucket(bucketCheckpoints).Get(u64(r.Size))
		if n == nil {
			return fmt.Errorf("%w: anchor for missing checkpoint %d", ErrNotFound, r.Size)
		}
		cp, err := openCheckpoint(n, l.verifier)
		if err != nil {
			return err
		}
		if cp.Root != r.Root {
			return fmt.Errorf("ledger: anchor root for size %d differs from the checkpoint", r.Size)
		}
		return tx.Bucket(bucketAnchors).Put(u64(r.Size), b)
	})
}

// Anchors returns every anchor record in increasing size.
func (l *Log) Anchors(ctx context.Context) ([]AnchorRecord, error) {
	var out []AnchorRecord
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readAnchors(ctx, tx)
		return err
	})
	return out, err
}

func readAnchors(ctx context.Context, tx *bolt.Tx) ([]AnchorRecord, error) {
	var out []AnchorRecord
	b := tx.Bucket(bucketAnchors)
	if b == nil {
		return nil, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var r AnchorRecord
		if err := json.Unmarshal(v, &r); err != nil || len(k) != 8 || binary.BigEndian.Uint64(k) != r.Size {
			return fmt.Errorf("%w: anchor record %x", ErrMalformed, k)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// AnchorContract returns the recorded anchoring contract, or ErrNotFound.
func (l *Log) AnchorContract(ctx context.Context) (AnchorContract, error) {
	var c AnchorContract
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(anchorContractKey)
		if v == nil {
			return fmt.Errorf("%w: no anchor contract recorded", ErrNotFound)
		}
		return json.Unmarshal(v, &c)
	})
	return c, err
}

// SetAnchorContract records the anchoring contract (after deploying it).
func (l *Log) SetAnchorContract(ctx context.Context, c AnchorContract) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(anchorContractKey, b) })
}
