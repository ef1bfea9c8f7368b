package wallet

import (
	"context"
	"crypto/cipher"
	"encoding/json"
	"log/slog"
	"regexp"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// EventKind names what happened in the citizen's space. Other packages may
// define more kinds (lower-case snake case, at most 64 characters).
type EventKind string

// Event kinds recorded by the wallet itself or by the flows around it.
const (
	EventEnrolled           EventKind = "enrolled"            // wallet created
	EventUnlocked           EventKind = "unlocked"            // wallet unlocked with the passphrase
	EventLogin              EventKind = "login"               // login to Espai (web layer)
	EventCredentialReceived EventKind = "credential_received" // fields: credential, type, issuer
	EventCredentialRejected EventKind = "credential_rejected" // fields: rejected, reason
	EventCredentialShown    EventKind = "credential_shown"    // fields: credential, verifier, purpose
	EventCredentialRevoked  EventKind = "credential_revoked"  // fields: credential
	EventCredentialExpired  EventKind = "credential_expired"  // fields: credential
	EventCredentialDeleted  EventKind = "credential_deleted"  // fields: credential
	EventConsentGiven       EventKind = "consent_given"       // fields: administration, purpose
	EventConsentWithdrawn   EventKind = "consent_withdrawn"   // fields: administration, purpose
	EventDataAccessed       EventKind = "data_accessed"       // an administration queried the citizen's data
	EventReceiptAdded       EventKind = "receipt_added"       // fields: receipt, index
	EventPassphraseChanged  EventKind = "passphrase_changed"
	EventRecovered          EventKind = "recovered" // passphrase reset with the recovery code
	EventExported           EventKind = "exported"  // backup exported
	EventImported           EventKind = "imported"  // wallet imported from a backup
)

// Actors of events recorded by the wallet. Administrations appear by id.
const (
	ActorCitizen = "citizen"
	ActorWallet  = "wallet"
)

// Event is one entry of the append-only activity feed.
type Event struct {
	Seq    uint64            `json:"seq"` // position in the feed, from 1; set by the wallet
	Kind   EventKind         `json:"kind"`
	Time   time.Time         `json:"time"`            // when it happened; zero: now
	Actor  string            `json:"actor,omitempty"` // "citizen", "wallet" or an administration id
	Fields map[string]string `json:"fields,omitempty"`
}

// LogValue shows only the kind and sequence: fields may hold personal data.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", string(e.Kind)), slog.Uint64("seq", e.Seq))
}

var eventKindRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func (e *Event) validate() error {
	if !eventKindRE.MatchString(string(e.Kind)) {
		return invalidf("event kind %q", e.Kind)
	}
	if len(e.Actor) > 256 {
		return invalidf("event actor longer than 256 bytes")
	}
	if len(e.Fields) > 32 {
		return invalidf("event has %d fields, at most 32", len(e.Fields))
	}
	for k, v := range e.Fields {
		if k == "" || len(k) > 64 || len(v) > 4096 {
			return invalidf("event field %q", k)
		}
	}
	return nil
}

// appendEvent adds e to the feed in b, assigning its sequence number.
func appendEvent(b *bolt.Bucket, aead cipher.AEAD, citizenID string, e Event) (Event, error) {
	if err := e.validate(); err != nil {
		return e, err
	}
	eb := b.Bucket([]byte(kindEvent))
	seq, err := eb.NextSequence()
	if err != nil {
		return e, err
	}
	e.Seq = seq
	raw, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	sealed := sealRecord(aead, citizenID, kindEvent, strconv.FormatUint(seq, 10), raw)
	return e, eb.Put(u64b(seq), sealed)
}

// RecordEvent appends an event to the citizen's feed and returns it with its
// sequence number. Events cannot be changed or deleted.
func (s *Session) RecordEvent(ctx context.Context, e Event) (Event, error) {
	if e.Time.IsZero() {
		e.Time = s.w.now()
	}
	if err := e.validate(); err != nil {
		return e, err
	}
	err := s.update(ctx, func(b *bolt.Bucket, aead cipher.AEAD) error {
		var err error
		e, err = appendEvent(b, aead, s.id, e)
		return err
	})
	return e, err
}

// Activity returns the feed, newest first, at most limit events (0: all),
// and the events that failed authentication.
func (s *Session) Activity(ctx context.Context, limit int) ([]Event, []Damaged, error) {
	var out []Event
	var bad []Damaged
	err := s.view(ctx, func(b *bolt.Bucket, aead cipher.AEAD) error {
		c := b.Bucket([]byte(kindEvent)).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if limit > 0 && len(out)+len(bad) >= limit {
				break
			}
			id := strconv.FormatUint(u64(k), 10)
			pt, err := openRecord(aead, s.id, kindEvent, id, v)
			var e Event
			if err == nil {
				err = json.Unmarshal(pt, &e)
			}
			if err != nil || strconv.FormatUint(e.Seq, 10) != id {
				bad = append(bad, Damaged{Kind: kindEvent, ID: id})
				continue
			}
			out = append(out, e)
		}
		return nil
	})
	return out, bad, err
}
