package wallet

import (
	"cmp"
	"context"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxReceiptSize bounds a receipt's opaque JSON (a ledger receipt with a
// 64-hash proof is under 32 KiB).
const maxReceiptSize = 64 << 10

// Receipt is a ledger receipt kept in the wallet: the ledger's own JSON
// (opaque here; the ledger package verifies it) plus what the wallet lists
// it by.
type Receipt struct {
	ID             string          `json:"id"`                       // set by the wallet
	Index          uint64          `json:"index"`                    // ledger index
	Administration string          `json:"administration,omitempty"` // counterpart
	Purpose        string          `json:"purpose,omitempty"`
	Kind           string          `json:"kind,omitempty"` // consent, refusal, withdrawal, exchange...
	Time           time.Time       `json:"time"`
	Raw            json.RawMessage `json:"raw"` // the ledger receipt
}

// LogValue shows only id and index.
func (r *Receipt) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", r.ID), slog.Uint64("index", r.Index))
}

func (r *Receipt) validate() error {
	if len(r.Raw) == 0 || len(r.Raw) > maxReceiptSize || !json.Valid(r.Raw) {
		return invalidf("receipt: raw must be JSON of at most %d bytes", maxReceiptSize)
	}
	if len(r.Administration) > 256 || len(r.Purpose) > 1024 || len(r.Kind) > 64 {
		return invalidf("receipt: metadata too long")
	}
	return nil
}

// AddReceipt stores a receipt (ID is assigned; zero Time means now) and
// records a receipt_added event.
func (s *Session) AddReceipt(ctx context.Context, r Receipt) (*Receipt, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	r.ID = newID()
	if r.Time.IsZero() {
		r.Time = s.w.now()
	}
	err := s.update(ctx, func(b *bolt.Bucket, aead cipher.AEAD) error {
		return storeReceipt(b, aead, s.id, &r, s.w.now())
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func storeReceipt(b *bolt.Bucket, aead cipher.AEAD, citizenID string, r *Receipt, now time.Time) error {
	if err := putRecord(b, aead, citizenID, kindReceipt, r.ID, r); err != nil {
		return err
	}
	_, err := appendEvent(b, aead, citizenID, Event{Kind: EventReceiptAdded, Time: now, Actor: ActorWallet,
		Fields: map[string]string{"receipt": r.ID, "index": strconv.FormatUint(r.Index, 10)}})
	return err
}

// receiptIndexes returns the ledger indexes of the receipts kept in b
// (damaged records are left to Receipts to report).
func receiptIndexes(b *bolt.Bucket, aead cipher.AEAD, citizenID string) map[uint64]bool {
	held := map[uint64]bool{}
	_ = b.Bucket([]byte(kindReceipt)).ForEach(func(k, v []byte) error {
		pt, err := openRecord(aead, citizenID, kindReceipt, string(k), v)
		if err != nil {
			return nil
		}
		var r Receipt
		if json.Unmarshal(pt, &r) == nil {
			held[r.Index] = true
		}
		return nil
	})
	return held
}

// Receipts lists the receipts, newest first.
func (s *Session) Receipts(ctx context.Context) ([]Receipt, []Damaged, error) {
	out, bad, err := listRecords[Receipt](ctx, s, kindReceipt)
	slices.SortFunc(out, func(a, b Receipt) int {
		return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(b.Index, a.Index))
	})
	return out, bad, err
}

// Receipt returns one receipt; ErrNotFound or a Damaged error.
func (s *Session) Receipt(ctx context.Context, id string) (*Receipt, error) {
	return getRecord[Receipt](ctx, s, kindReceipt, id)
}

// newID returns a random 128-bit record id in lower-case hex.
func newID() string { return hex.EncodeToString(randomBytes(16)) }
