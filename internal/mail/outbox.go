package mail

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Outbox timing.
const (
	// RetryMin is the wait after a message's first failed attempt; each
	// further failure doubles it, up to RetryMax.
	RetryMin = time.Minute
	// RetryMax caps the wait between two attempts at one message.
	RetryMax = 6 * time.Hour
	// GiveUpAfter is how long a message may wait: a message that still fails
	// this long after it was enqueued is dropped (and logged).
	GiveUpAfter = 7 * 24 * time.Hour
	// KeepDone is how long a key is remembered after its message was sent or
	// dropped; within it, enqueueing the key again does nothing.
	KeepDone = 90 * 24 * time.Hour
	// MaxKeyBytes bounds an idempotency key.
	MaxKeyBytes = 256
)

var (
	bucketMeta    = []byte("mail_meta")
	bucketPending = []byte("mail_pending") // key -> JSON pending
	bucketDone    = []byte("mail_done")    // key -> JSON done: no personal data
	keySchema     = []byte("schema")
)

const schemaVersion = 1

// pending is a message waiting to be sent.
type pending struct {
	Msg      Message   `json:"msg"`
	MsgID    string    `json:"msg_id"` // kept across attempts: duplicates share it
	Enqueued time.Time `json:"enqueued"`
	Attempts int       `json:"attempts"`
	Next     time.Time `json:"next"` // not before
}

// done marks a key whose message was sent or dropped.
type done struct {
	At   time.Time `json:"at"`
	Sent bool      `json:"sent"` // false: dropped (refused, or GiveUpAfter passed)
}

// Outbox is a durable queue of messages in front of a Sender. It is safe for
// concurrent use; Flush calls run one at a time.
type Outbox struct {
	db     *bolt.DB
	sender *Sender
	log    *slog.Logger
	now    func() time.Time // time.Now; tests move it

	flushMu sync.Mutex
}

// Open opens (creating, mode 0600) the outbox file at path. Messages are sent
// through sender; log receives one line per failed or dropped message, with
// the key and the error only (nil: no logging).
func Open(path string, sender *Sender, log *slog.Logger) (*Outbox, error) {
	if sender == nil {
		return nil, fmt.Errorf("%w: the outbox needs a Sender", ErrConfig)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("mail: %s is in use by another espai process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("mail: open outbox: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketPending, bucketDone} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		v := m.Get(keySchema)
		if v == nil {
			return m.Put(keySchema, binary.BigEndian.AppendUint64(nil, schemaVersion))
		}
		if len(v) != 8 || binary.BigEndian.Uint64(v) != schemaVersion {
			return fmt.Errorf("mail: outbox %s has an unknown schema version", path)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Outbox{db: db, sender: sender, log: log, now: time.Now}, nil
}

// Close waits for a running Flush and closes the file.
func (o *Outbox) Close() error {
	o.flushMu.Lock()
	defer o.flushMu.Unlock()
	return o.db.Close()
}

// Enqueue stores m under key, to be sent by the next Flush. The key makes it
// idempotent: if key is already pending, or was sent or dropped within
// KeepDone, Enqueue does nothing (even if m differs). An invalid message is
// refused here with ErrInvalidMessage rather than at sending time.
func (o *Outbox) Enqueue(ctx context.Context, key string, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if key == "" || len(key) > MaxKeyBytes || checkHeaderValue("key", key) != nil {
		return fmt.Errorf("%w: key must be 1 to %d bytes of printable UTF-8", ErrInvalidMessage, MaxKeyBytes)
	}
	now := o.now().UTC()
	p := pending{Msg: m, MsgID: o.sender.newMessageID(), Enqueued: now, Next: now}
	if _, err := m.Bytes(o.sender.cfg.From, now, p.MsgID); err != nil {
		return err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = o.db.Batch(func(tx *bolt.Tx) error { // idempotent, as Batch requires
		k := []byte(key)
		if tx.Bucket(bucketPending).Get(k) != nil || tx.Bucket(bucketDone).Get(k) != nil {
			return nil
		}
		return tx.Bucket(bucketPending).Put(k, raw)
	})
	if err != nil {
		return fmt.Errorf("mail: enqueue %s: %w", key, err)
	}
	return nil
}

// Pending returns the number of messages waiting, due or not.
func (o *Outbox) Pending() (int, error) {
	var n int
	err := o.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketPending).Stats().KeyN
		return nil
	})
	return n, err
}

// Flush sends every message whose next attempt is due and returns how many
// were sent. A message that fails waits RetryMin, then twice as long after
// each further failure (up to RetryMax); one the relay refuses for good (a
// 5xx to RCPT or DATA, or an invalid message), or that still fails
// GiveUpAfter after it was enqueued, is dropped. When a failure is not about
// the message itself (the relay is unreachable, or refuses the connection,
// TLS, credentials or sender), Flush stops there and leaves the other
// messages for the next call; so does a cancelled ctx, without counting an
// attempt. Flush also forgets keys older than KeepDone.
//
// The error, if any, says how many due messages were not sent and wraps the
// first failure; run Flush again later (a ticker of a minute or so suits).
func (o *Outbox) Flush(ctx context.Context) (sent int, err error) {
	o.flushMu.Lock()
	defer o.flushMu.Unlock()
	if err := o.prune(); err != nil {
		return 0, err
	}
	due, err := o.due()
	if err != nil {
		return 0, err
	}
	var (
		failed   int
		firstErr error
	)
	for i, key := range due.keys {
		if err := ctx.Err(); err != nil {
			failed += len(due.keys) - i
			firstErr = cmpOr(firstErr, err)
			break
		}
		p := due.msgs[i]
		sendErr := o.sender.send(ctx, p.Msg, p.MsgID)
		if sendErr != nil && ctx.Err() != nil { // the caller gave up, not the relay
			failed += len(due.keys) - i
			firstErr = cmpOr(firstErr, fmt.Errorf("%s: %w", key, sendErr))
			break
		}
		if sendErr == nil {
			if err := o.finish(key, true); err != nil {
				return sent, err
			}
			sent++
			continue
		}
		failed++
		firstErr = cmpOr(firstErr, fmt.Errorf("%s: %w", key, sendErr))
		now := o.now().UTC()
		if permanent(sendErr) || now.Sub(p.Enqueued) >= GiveUpAfter {
			o.log.Error("mail: message dropped", "key", key, "attempts", p.Attempts+1, "err", sendErr)
			if err := o.finish(key, false); err != nil {
				return sent, err
			}
			continue
		}
		p.Attempts++
		p.Next = now.Add(backoff(p.Attempts))
		o.log.Warn("mail: send failed, will retry", "key", key, "attempts", p.Attempts, "next", p.Next, "err", sendErr)
		if err := o.put(key, p); err != nil {
			return sent, err
		}
		if !messageSpecific(sendErr) {
			// The relay is unreachable, or refused the connection, TLS,
			// credentials or sender: the other messages would fail the same
			// way, one slow session each.
			failed += len(due.keys) - i - 1
			break
		}
	}
	if failed > 0 {
		return sent, fmt.Errorf("mail: %d of %d due messages not sent: %w", failed, len(due.keys), firstErr)
	}
	return sent, nil
}

// messageSpecific reports whether err concerns this message only (its
// recipient or content), so the next message may still go through.
func messageSpecific(err error) bool {
	var re *ReplyError
	if errors.As(err, &re) {
		return re.Command == "RCPT" || re.Command == "DATA"
	}
	return errors.Is(err, ErrInvalidMessage)
}

// backoff is the wait after the nth failed attempt (n >= 1).
func backoff(n int) time.Duration {
	d := RetryMin
	for i := 1; i < n && d < RetryMax; i++ {
		d *= 2
	}
	return min(d, RetryMax)
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

type dueList struct {
	keys []string
	msgs []pending
}

// due returns the pending messages whose next attempt has come, copied out of
// the transaction, in key order.
func (o *Outbox) due() (dueList, error) {
	now := o.now()
	var d dueList
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
			var p pending
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("mail: outbox entry %s: %w", k, err)
			}
			if !p.Next.After(now) {
				d.keys = append(d.keys, string(k))
				d.msgs = append(d.msgs, p)
			}
			return nil
		})
	})
	return d, err
}

func (o *Outbox) put(key string, p pending) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return o.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketPending).Put([]byte(key), raw) })
}

// finish replaces a pending message by its done marker, dropping the
// recipient and text.
func (o *Outbox) finish(key string, sent bool) error {
	raw, err := json.Marshal(done{At: o.now().UTC(), Sent: sent})
	if err != nil {
		return err
	}
	err = o.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketPending).Delete([]byte(key)); err != nil {
			return err
		}
		return tx.Bucket(bucketDone).Put([]byte(key), raw)
	})
	if err != nil {
		return fmt.Errorf("mail: mark %s done: %w", key, err)
	}
	return nil
}

// prune forgets done markers older than KeepDone.
func (o *Outbox) prune() error {
	cutoff := o.now().Add(-KeepDone)
	return o.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDone)
		var old [][]byte // deleting while iterating would skip keys
		err := b.ForEach(func(k, v []byte) error {
			var d done
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("mail: outbox marker %s: %w", k, err)
			}
			if d.At.Before(cutoff) {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
