package wallet

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"
	bolt "go.etcd.io/bbolt"
)

// Deliver stores a compact JWE made by SealForDelivery in the citizen's
// inbox while the wallet is locked, and returns the delivery id. When it
// returns nil the delivery is on disk (fsynced). Concurrent deliveries share
// commits (bbolt Batch). The JWE is checked first (see docs/wallet.md):
// ErrBadDelivery if refused, ErrNotEnrolled, ErrInboxFull.
func (w *Wallet) Deliver(ctx context.Context, citizenID string, jweCompact []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	_, ck, err := w.citizen(citizenID)
	if err != nil {
		return "", err
	}
	var kid string
	err = w.db.View(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		if u64(b.Get(keyInboxCount)) >= uint64(w.cfg.MaxInboxItems) {
			return ErrInboxFull
		}
		kid = string(b.Get(keyKID))
		return nil
	})
	if err != nil {
		return "", err
	}
	if err := checkDeliveryJWE(jweCompact, kid, w.cfg.MaxDeliverySize); err != nil {
		return "", err
	}
	item := make([]byte, 8, 8+len(jweCompact))
	copy(item, u64b(uint64(w.now().UnixNano())))
	item = append(item, jweCompact...)
	var seq uint64
	// The function may run more than once (bbolt retries a failed batch one
	// function at a time); it only depends on the transaction it is given.
	err = w.db.Batch(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		if string(b.Get(keyKID)) != kid {
			return fmt.Errorf("%w: the citizen's delivery key changed", ErrBadDelivery)
		}
		n := u64(b.Get(keyInboxCount))
		if n >= uint64(w.cfg.MaxInboxItems) {
			return ErrInboxFull
		}
		inbox := b.Bucket(bucketInbox)
		if seq, err = inbox.NextSequence(); err != nil {
			return err
		}
		if err := inbox.Put(u64b(seq), item); err != nil {
			return err
		}
		return b.Put(keyInboxCount, u64b(n+1))
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%016x", seq), nil
}

// InboxSize returns how many deliveries wait to be opened (works while locked).
func (w *Wallet) InboxSize(ctx context.Context, citizenID string) (int, error) {
	_, ck, err := w.citizen(citizenID)
	if err != nil {
		return 0, err
	}
	var n uint64
	err = w.db.View(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		n = u64(b.Get(keyInboxCount))
		return nil
	})
	return int(n), err
}

// InboxReport says what an inbox opening did.
type InboxReport struct {
	Credentials []string // ids of credentials stored
	Receipts    []string // ids of receipts stored
	Events      int      // activity events added
	Rejected    []string // ids of rejected deliveries (see RejectedDeliveries)
	// Pending counts deliveries left in the inbox: no checker configured,
	// the checker asked to retry later, or the context ended.
	Pending int
}

// InboxReport returns the outcome of the last inbox opening of this session.
func (s *Session) InboxReport() InboxReport {
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	return s.report
}

// outcome is what happens to one inbox item.
type outcome struct {
	key      []byte
	received time.Time
	cred     *Credential
	receipt  *Receipt
	event    *Event
	rejected *Rejected
}

// OpenInbox decrypts every delivery in the inbox with the delivery key and
// files it: credentials are checked by the CredentialChecker and stored or
// put aside as rejected (with the reason), receipts and events are stored.
// Each filed delivery leaves the inbox in the same transaction that stores
// its result, so a crash never loses or duplicates one. Unlock calls it.
func (s *Session) OpenInbox(ctx context.Context) (*InboxReport, error) {
	type item struct {
		key, val []byte
	}
	var items []item
	err := s.view(ctx, func(b *bolt.Bucket, _ cipher.AEAD) error {
		return b.Bucket(bucketInbox).ForEach(func(k, v []byte) error {
			items = append(items, item{append([]byte(nil), k...), append([]byte(nil), v...)})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	rep := &InboxReport{}
	var outs []outcome
	err = s.use(ctx, func(k *keySet, _ cipher.AEAD) error {
		for _, it := range items {
			o, ok := s.file(ctx, k.delivery, it.key, it.val)
			if !ok {
				rep.Pending++
				continue
			}
			outs = append(outs, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(outs) > 0 {
		err = s.update(ctx, func(b *bolt.Bucket, aead cipher.AEAD) error {
			return s.commitOutcomes(b, aead, outs, rep)
		})
		if err != nil {
			return nil, err
		}
	}
	s.reportMu.Lock()
	s.report = *rep
	s.reportMu.Unlock()
	return rep, nil
}

func (s *Session) commitOutcomes(b *bolt.Bucket, aead cipher.AEAD, outs []outcome, rep *InboxReport) error {
	inbox := b.Bucket(bucketInbox)
	now := s.w.now()
	done := 0
	var held map[uint64]bool // ledger indexes of the receipts already kept
	for _, o := range outs {
		if inbox.Get(o.key) == nil {
			continue // filed by a concurrent opening
		}
		var err error
		switch {
		case o.cred != nil:
			if err = putRecord(b, aead, s.id, kindCredential, o.cred.ID, o.cred); err == nil {
				_, err = appendEvent(b, aead, s.id, Event{Kind: EventCredentialReceived, Time: now, Actor: o.cred.From,
					Fields: map[string]string{"credential": o.cred.ID, "type": string(o.cred.Type), "issuer": o.cred.Issuer}})
			}
			rep.Credentials = append(rep.Credentials, o.cred.ID)
		case o.receipt != nil:
			// Receipts are delivered at least once (a receipt owed after a
			// crash is handed out again): keep one per ledger index.
			if held == nil {
				held = receiptIndexes(b, aead, s.id)
			}
			if held[o.receipt.Index] {
				break
			}
			held[o.receipt.Index] = true
			err = storeReceipt(b, aead, s.id, o.receipt, now)
			rep.Receipts = append(rep.Receipts, o.receipt.ID)
		case o.event != nil:
			_, err = appendEvent(b, aead, s.id, *o.event)
			rep.Events++
		case o.rejected != nil:
			if err = putRecord(b, aead, s.id, kindRejected, o.rejected.ID, o.rejected); err == nil {
				_, err = appendEvent(b, aead, s.id, Event{Kind: EventCredentialRejected, Time: now, Actor: ActorWallet,
					Fields: map[string]string{"rejected": o.rejected.ID, "reason": truncate(o.rejected.Reason, 4096)}})
			}
			rep.Rejected = append(rep.Rejected, o.rejected.ID)
		}
		if err != nil {
			return err
		}
		if err := inbox.Delete(o.key); err != nil {
			return err
		}
		done++
	}
	n := u64(b.Get(keyInboxCount))
	if uint64(done) > n {
		n = uint64(done)
	}
	return b.Put(keyInboxCount, u64b(n-uint64(done)))
}

// file decrypts and classifies one inbox item; ok is false when it must stay
// in the inbox.
func (s *Session) file(ctx context.Context, key *ecdsa.PrivateKey, k, v []byte) (outcome, bool) {
	o := outcome{key: k}
	if len(v) < 8 {
		o.rejected = s.reject("", "", "the delivery is damaged", nil, time.Time{})
		return o, true
	}
	o.received = time.Unix(0, int64(u64(v[:8]))).UTC()
	raw := v[8:]
	if err := checkDeliveryJWE(raw, s.pub.DeliveryKeyID(), maxRecordSize); err != nil {
		o.rejected = s.reject("", "", err.Error(), nil, o.received)
		return o, true
	}
	pt, err := jwe.Decrypt(raw, jwe.WithKey(jwa.ECDH_ES_A256KW, key))
	if err != nil {
		o.rejected = s.reject("", "", "the delivery could not be decrypted with this wallet's key", nil, o.received)
		return o, true
	}
	d, err := parseDelivery(pt)
	if err != nil {
		o.rejected = s.reject("", "", err.Error(), nil, o.received)
		return o, true
	}
	switch d.Kind {
	case DeliveryReceipt:
		var r Receipt
		if err := strictJSON(d.Payload, &r); err != nil {
			o.rejected = s.reject(d.Kind, d.From, "the receipt is not valid JSON: "+err.Error(), d.Payload, o.received)
		} else if err := r.validate(); err != nil {
			o.rejected = s.reject(d.Kind, d.From, err.Error(), d.Payload, o.received)
		} else {
			r.ID = newID()
			if r.Time.IsZero() {
				r.Time = o.received
			}
			o.receipt = &r
		}
	case DeliveryEvent:
		var e Event
		if err := strictJSON(d.Payload, &e); err != nil {
			o.rejected = s.reject(d.Kind, d.From, "the event is not valid JSON: "+err.Error(), d.Payload, o.received)
			return o, true
		}
		e.Seq = 0
		if e.Time.IsZero() {
			e.Time = o.received
		}
		if e.Actor == "" {
			e.Actor = d.From
		}
		if err := e.validate(); err != nil {
			o.rejected = s.reject(d.Kind, d.From, err.Error(), d.Payload, o.received)
		} else {
			o.event = &e
		}
	case DeliveryCredential:
		if s.w.checker == nil {
			return o, false
		}
		checked, err := s.w.checker.CheckCredential(ctx, d.Payload)
		if err != nil && (errors.Is(err, ErrRetryLater) || ctx.Err() != nil) {
			return o, false
		}
		if err == nil {
			err = checked.validate()
		}
		if err == nil {
			err = s.checkHolder(checked)
		}
		if err != nil {
			o.rejected = s.reject(d.Kind, d.From, err.Error(), d.Payload, o.received)
			return o, true
		}
		o.cred = &Credential{ID: newID(), CheckedCredential: *checked, Raw: d.Payload, From: d.From, ReceivedAt: o.received}
	}
	return o, true
}

// checkHolder refuses a credential bound to another wallet's holder key.
func (s *Session) checkHolder(c *CheckedCredential) error {
	if c.Holder == "" || c.Holder == s.pub.HolderDID || c.Holder == s.pub.HolderJWK.KeyID() || c.Holder == s.pub.HolderMethod {
		return nil
	}
	return errors.New("the credential is bound to another wallet's key")
}

func (s *Session) reject(kind, from, reason string, raw []byte, received time.Time) *Rejected {
	return &Rejected{ID: newID(), Kind: kind, From: from, Reason: reason, Raw: raw, ReceivedAt: received, RejectedAt: s.w.now()}
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
