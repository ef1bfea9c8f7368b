package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/wallet"
)

// Receipts owed to wallets (DATA/owed.db).
//
// A ledger entry about a citizen and its receipt in the citizen's wallet live
// in two files, so a crash or a full disk between the append and the wallet's
// inbox could leave an entry the citizen never hears of, with the document
// and salt that open its commitment lost. Before every append, record writes
// what the receipt bundle needs (entry fields, document, salt) here, sealed
// under the deployment key ("owed-receipt" label, the commitment as
// associated data); once the receipt is in the wallet's inbox the record is
// deleted. settleOwed, run when the directory is opened and by every Sweep,
// finds the entry of each record left behind (by its commitment, from the
// log size noted before the append), hands its receipt out again
// (ledger.Log.Receipt) and delivers it; a record whose entry is not on the
// ledger, written by an earlier process, belongs to an append that never
// happened (its caller got an error) and is dropped, as is one whose citizen
// erased their space meanwhile.
//
// The same file keeps the QR presentations wallets are showing (bucket
// "qr-pending", see qrreceipt.go), so the receipt of a scan is recorded as
// owed in the transaction that counts the scan on its pending QR.
//
// Delivery is at least once: the wallet files a receipt for an index it
// already holds only once. Security: the records hold personal data (the
// document) for as long as a delivery is owed, sealed with AES-256-GCM under
// a key derived from the deployment key; nothing here is readable from the
// file alone.
type owedStore struct {
	db     *bolt.DB
	sealer *atrest.Sealer
	boot   string // this process: records of earlier ones are settled at once
	now    func() time.Time
}

// owedReceipt is one receipt owed to a wallet.
type owedReceipt struct {
	Citizen    string            `json:"citizen"`
	Commitment ledger.Commitment `json:"commitment"`
	Admin      string            `json:"administration"`
	Purpose    string            `json:"purpose,omitempty"`
	Kind       string            `json:"kind"`
	Time       time.Time         `json:"time"`
	Document   json.RawMessage   `json:"document"`
	Salt       []byte            `json:"salt"`
	SizeBefore uint64            `json:"size_before"` // log size before the append: the entry is at or after it
	Boot       string            `json:"boot"`
	Created    time.Time         `json:"created"`
}

var bucketOwed = []byte("owed")

const owedLabel = "owed-receipt"

// owedGrace is how long a record of this process may wait for its append
// before a sweep settles it (an append in flight is not owed yet).
const owedGrace = 2 * time.Minute

func openOwed(path string, sealer *atrest.Sealer, now func() time.Time) (*owedStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("app: %s is in use by another espai process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("app: open owed receipts: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketOwed, bucketQRPending} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("app: owed receipts: %w", err)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		db.Close()
		return nil, err
	}
	return &owedStore{db: db, sealer: sealer, boot: hex.EncodeToString(b), now: now}, nil
}

// put records r under its entry's commitment.
func (o *owedStore) put(r owedReceipt) error {
	if err := o.db.Update(func(tx *bolt.Tx) error { return o.putTx(tx, r) }); err != nil {
		return fmt.Errorf("receipt not recorded as owed (nothing was appended): %w", err)
	}
	return nil
}

// putTx records r in tx (with other writes that must go with it).
func (o *owedStore) putTx(tx *bolt.Tx, r owedReceipt) error {
	r.Boot, r.Created = o.boot, o.now().UTC()
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	key := r.Commitment[:]
	sealed, err := o.sealer.Seal(owedLabel, raw, key)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketOwed).Put(key, sealed)
}

func (o *owedStore) done(c ledger.Commitment) error {
	return o.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketOwed).Delete(c[:]) })
}

// list returns every owed record; those that cannot be opened are reported
// by key in bad (they stay, for an operator to look at).
func (o *owedStore) list() (recs []owedReceipt, bad []string, err error) {
	err = o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOwed).ForEach(func(k, v []byte) error {
			pt, err := o.sealer.Open(owedLabel, v, k)
			var r owedReceipt
			if err == nil {
				err = json.Unmarshal(pt, &r)
			}
			if err != nil || !bytes.Equal(r.Commitment[:], k) {
				bad = append(bad, hex.EncodeToString(k))
				return nil
			}
			recs = append(recs, r)
			return nil
		})
	})
	return recs, bad, err
}

func (o *owedStore) close() error { return o.db.Close() }

// settleOwed delivers every receipt still owed (see owedStore). It returns
// how many it delivered and dropped. It also drops the pending QR
// presentations past their time (qrreceipt.go), which live in the same file.
func (a *App) settleOwed(ctx context.Context) (delivered, dropped int, err error) {
	var errs []error
	if n, err := a.owed.purgeQR(); err != nil {
		errs = append(errs, fmt.Errorf("expired QR presentations: %w", err))
	} else if n > 0 {
		a.log.Info("expired QR presentations purged", "count", n)
	}
	recs, bad, err := a.owed.list()
	if err != nil {
		return 0, 0, errors.Join(append(errs, err)...)
	}
	if len(bad) > 0 {
		a.log.Error("owed receipts that cannot be opened (kept)", "count", len(bad))
	}
	now := a.now()
	for _, r := range recs {
		if r.Boot == a.owed.boot && now.Sub(r.Created) < owedGrace {
			continue // its append may still be in flight
		}
		idx, found, err := a.findCommitment(ctx, r.SizeBefore, r.Commitment)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found {
			// Never appended: the caller got an error (a failed append
			// deletes its record itself unless the disk refused that too).
			if err := a.owed.done(r.Commitment); err != nil {
				errs = append(errs, err)
				continue
			}
			dropped++
			continue
		}
		rcpt, err := a.Ledger.Receipt(ctx, idx)
		if err == nil {
			err = a.deliverReceipt(ctx, r, rcpt)
		}
		if errors.Is(err, wallet.ErrNotEnrolled) {
			// The citizen erased their space meanwhile: nothing to deliver to.
			if err = a.owed.done(r.Commitment); err == nil {
				dropped++
			} else {
				errs = append(errs, err)
			}
			continue
		}
		if err == nil {
			err = a.owed.done(r.Commitment)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("owed receipt for entry %d: %w", idx, err))
			continue
		}
		delivered++
	}
	if delivered+dropped > 0 {
		a.log.Info("owed receipts settled", "delivered", delivered, "dropped", dropped)
	}
	return delivered, dropped, errors.Join(errs...)
}

// findCommitment looks for the entry committing to c at or after index from.
func (a *App) findCommitment(ctx context.Context, from uint64, c ledger.Commitment) (uint64, bool, error) {
	size := a.Ledger.Latest().Size
	for from < size {
		batch, err := a.Ledger.Entries(ctx, from, size)
		if err != nil {
			return 0, false, err
		}
		if len(batch) == 0 {
			break
		}
		for _, ie := range batch {
			if e, err := ledger.ParseEntry(ie.Data); err == nil && e.Commitment == c {
				return ie.Index, true, nil
			}
		}
		from = batch[len(batch)-1].Index + 1
	}
	return 0, false, nil
}
