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
// failed when the chain refused it (a later checkpoint is then anchored). An
// included record whose block leaves the chain (a reorg) goes back to pending
// and is sent again. A record becomes lost when the embedded dev chain lost
// its contract (see RetiredAnchorContract).
const (
	AnchorPending  AnchorStatus = "pending"  // recorded; transaction not yet seen in a block
	AnchorIncluded AnchorStatus = "included" // in a block above the chain's finalized block
	AnchorFinal    AnchorStatus = "final"    // its block is at or below the finalized block
	AnchorFailed   AnchorStatus = "failed"   // the chain refused it; superseded by a later anchor
	// AnchorLost: the anchor was on a contract that the embedded dev chain
	// lost; LastError names it. A later anchor on the contract that replaced
	// it covers the checkpoint (Audit checks that one exists).
	AnchorLost AnchorStatus = "lost"
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

// RetiredAnchorContract is a contract the log anchored on before its current
// one. Only the embedded dev chain retires contracts: when a crash made it
// lose the contract's blocks, the anchorer deploys a new one and re-anchors
// the latest anchored checkpoint there. The retired contract's other anchors
// were lost with it; their records say AnchorLost.
type RetiredAnchorContract struct {
	AnchorContract
	Retired  time.Time `json:"retired"`
	Reason   string    `json:"reason"`
	LastSize uint64    `json:"last_size,omitempty"` // largest checkpoint size it held (0: none)
	Lost     int       `json:"lost"`                // records marked AnchorLost when it was retired
}

// AnchorDeployment is a contract deployment that was signed and recorded but
// not yet seen mined. The anchorer records it before sending, so that after a
// crash or an outage it sends the same transaction again (same nonce, same
// contract address) and never deploys a second contract.
type AnchorDeployment struct {
	ChainID uint64    `json:"chain_id"`
	Address string    `json:"address"` // the address the contract gets
	Tx      []byte    `json:"tx"`      // the signed transaction (binary encoding)
	Created time.Time `json:"created"`
	// Replaces is the address of the current contract this deployment
	// replaces (empty for the first deployment); Reason says why.
	Replaces string `json:"replaces,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

var (
	anchorContractKey = []byte("anchor_contract")
	anchorRetiredKey  = []byte("anchor_contracts_retired") // JSON []RetiredAnchorContract, oldest first
	anchorDeployKey   = []byte("anchor_deployment")        // JSON AnchorDeployment, while one is in flight
)

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
	return l.db.Update(func(tx *bolt.Tx) error { return l.putAnchor(tx, r.Size, r.Root, b) })
}

func (l *Log) putAnchor(tx *bolt.Tx, size uint64, root Hash, b []byte) error {
	n := tx.Bucket(bucketCheckpoints).Get(u64(size))
	if n == nil {
		return fmt.Errorf("%w: anchor for missing checkpoint %d", ErrNotFound, size)
	}
	cp, err := openCheckpoint(n, l.verifier)
	if err != nil {
		return err
	}
	if cp.Root != root {
		return fmt.Errorf("ledger: anchor root for size %d differs from the checkpoint", size)
	}
	return tx.Bucket(bucketAnchors).Put(u64(size), b)
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

// SetAnchorContract records the anchoring contract (after deploying it) and
// forgets the recorded deployment, in one transaction.
func (l *Log) SetAnchorContract(ctx context.Context, c AnchorContract) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Delete(anchorDeployKey); err != nil {
			return err
		}
		return meta.Put(anchorContractKey, b)
	})
}

// RetiredAnchorContracts returns the contracts the log anchored on before
// its current one, oldest first (none for most logs).
func (l *Log) RetiredAnchorContracts(ctx context.Context) ([]RetiredAnchorContract, error) {
	var out []RetiredAnchorContract
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readRetired(tx)
		return err
	})
	return out, err
}

func readRetired(tx *bolt.Tx) ([]RetiredAnchorContract, error) {
	var out []RetiredAnchorContract
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return nil, nil
	}
	if v := b.Get(anchorRetiredKey); v != nil {
		if err := json.Unmarshal(v, &out); err != nil {
			return nil, fmt.Errorf("%w: retired anchor contracts: %v", ErrMalformed, err)
		}
	}
	return out, nil
}

// ReplaceAnchorContract makes next the log's contract in one transaction:
// it appends retired (which must describe the current contract) to the
// retired contracts, stores the updated anchor records recs (each validated
// like PutAnchor) and forgets the recorded deployment.
func (l *Log) ReplaceAnchorContract(ctx context.Context, next AnchorContract, retired RetiredAnchorContract, recs []AnchorRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	nb, err := json.Marshal(next)
	if err != nil {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		var cur AnchorContract
		v := meta.Get(anchorContractKey)
		if v == nil {
			return fmt.Errorf("%w: no anchor contract to replace", ErrNotFound)
		}
		if err := json.Unmarshal(v, &cur); err != nil {
			return err
		}
		if cur != retired.AnchorContract {
			return fmt.Errorf("ledger: replace anchor contract: %s is not the current contract %s", retired.Address, cur.Address)
		}
		all, err := readRetired(tx)
		if err != nil {
			return err
		}
		rb, err := json.Marshal(append(all, retired))
		if err != nil {
			return err
		}
		for _, r := range recs {
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := l.putAnchor(tx, r.Size, r.Root, b); err != nil {
				return err
			}
		}
		if err := meta.Put(anchorRetiredKey, rb); err != nil {
			return err
		}
		if err := meta.Delete(anchorDeployKey); err != nil {
			return err
		}
		return meta.Put(anchorContractKey, nb)
	})
}

// AnchorDeployment returns the recorded contract deployment, or ErrNotFound
// when none is in flight.
func (l *Log) AnchorDeployment(ctx context.Context) (AnchorDeployment, error) {
	var d AnchorDeployment
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(anchorDeployKey)
		if v == nil {
			return fmt.Errorf("%w: no anchor contract deployment recorded", ErrNotFound)
		}
		return json.Unmarshal(v, &d)
	})
	return d, err
}

// SetAnchorDeployment records a deployment before it is sent; a nil d
// forgets it (the deployment can never be mined).
func (l *Log) SetAnchorDeployment(ctx context.Context, d *AnchorDeployment) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d == nil {
		return l.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(anchorDeployKey) })
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(anchorDeployKey, b) })
}
