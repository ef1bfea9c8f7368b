// Package tracking keeps what administrations tell Espai about a citizen's
// procedures (e-TRAM) and official notifications (e-NOTUM), and the citizen's
// e-mail contact for alerts.
//
// Split of data: this store holds only the state an administration needs to
// act on and query (status, dates, the citizen's identifier, who the
// procedure belongs to). Titles, notes, notification subjects and bodies are
// delivered into the citizen's wallet, encrypted to the citizen's key, and
// are never stored here. A notification's state (pending, read, accepted,
// rejected, expired) is authoritative here, because its legal effect must be
// provable to the administration that sent it; the citizen's wallet records
// the same acts in their activity feed.
//
// Notifications follow Llei 39/2015, art. 43: the citizen has ten natural
// days from deposit to accept or reject; after that the notification counts
// as rejected ("expired") and the procedure goes on.
//
// Caveats: one bbolt file, written by one process; the state of expired
// notifications is computed when read and materialised by Sweep.
package tracking

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Errors callers map to answers.
var (
	ErrInvalid  = errors.New("tracking: invalid input")
	ErrNotFound = errors.New("tracking: not found")
	ErrConflict = errors.New("tracking: conflict")
	// ErrClosed means a notification can no longer be acted on: already
	// accepted, rejected or expired.
	ErrClosed = errors.New("tracking: notification is closed")
)

// NoticePeriod is the legal time to accept or reject a notification.
const NoticePeriod = 10 * 24 * time.Hour

// Status of a procedure.
type Status string

// Procedure statuses, in the order a procedure usually goes through them.
const (
	Submitted  Status = "submitted"
	InReview   Status = "in_review"
	InfoNeeded Status = "info_needed" // the administration needs more information from the citizen
	Resolved   Status = "resolved"
)

// Statuses lists every status.
var Statuses = []Status{Submitted, InReview, InfoNeeded, Resolved}

// State of a notification.
type State string

// Notification states.
const (
	Pending  State = "pending"  // deposited, not opened
	Read     State = "read"     // the citizen saw who sent it and its subject
	Accepted State = "accepted" // the citizen accepted it: legally notified
	Rejected State = "rejected" // the citizen rejected it
	Expired  State = "expired"  // ten days passed without an answer: counts as rejected
)

// Step is one status change of a procedure.
type Step struct {
	Status Status    `json:"status"`
	Time   time.Time `json:"time"`
	// Delivered is set once the step's text reached the citizen's wallet
	// (a retry of an undelivered step delivers it again).
	Delivered bool `json:"delivered,omitempty"`
}

// Procedure is the administration-side state of one application.
type Procedure struct {
	Key            string    `json:"key"`            // Espai's id, used in the citizen's links
	Administration string    `json:"administration"` // who handles it
	Ref            string    `json:"ref"`            // the administration's file number
	Citizen        string    `json:"citizen"`
	Steps          []Step    `json:"steps"`
	Updated        time.Time `json:"updated"`
}

// Status is the current status.
func (p *Procedure) Status() Status { return p.Steps[len(p.Steps)-1].Status }

// Notification is the administration-side state of one official notification.
type Notification struct {
	Key            string    `json:"key"`
	Administration string    `json:"administration"`
	Ref            string    `json:"ref"`
	Citizen        string    `json:"citizen"`
	Deposited      time.Time `json:"deposited"`
	Deadline       time.Time `json:"deadline"`
	State          State     `json:"state"`
	ReadAt         time.Time `json:"readAt,omitzero"`
	ClosedAt       time.Time `json:"closedAt,omitzero"` // accepted, rejected or expired
	// Delivered is set once the text reached the citizen's wallet.
	Delivered bool `json:"delivered,omitempty"`
}

// StateAt is the state at time now: an open notification past its deadline
// is expired.
func (n *Notification) StateAt(now time.Time) State {
	if (n.State == Pending || n.State == Read) && now.After(n.Deadline) {
		return Expired
	}
	return n.State
}

// Open reports whether the citizen can still accept or reject it at now.
func (n *Notification) Open(now time.Time) bool {
	s := n.StateAt(now)
	return s == Pending || s == Read
}

// Contact is where a citizen wants alerts by e-mail.
type Contact struct {
	Email string    `json:"email"`
	Lang  string    `json:"lang"`
	Since time.Time `json:"since"`
	// Muted are the alert kinds the citizen does not want e-mailed (a copy
	// of the choice kept in their wallet, which is sealed while they are
	// away: the e-mails go out then).
	Muted []string `json:"muted,omitempty"`
}

var (
	bucketMeta       = []byte("tracking_meta")
	bucketProcedures = []byte("procedures")    // key -> Procedure
	bucketNotices    = []byte("notifications") // key -> Notification
	bucketRefs       = []byte("refs")          // "p|" or "n|" + admin + "|" + ref -> key
	bucketByCitizen  = []byte("by_citizen")    // citizen + "|" + "p|"/"n|" + key -> nil
	bucketDue        = []byte("due")           // deadline (8 bytes) + key -> nil, open notifications only
	bucketContacts   = []byte("contacts")      // citizen -> Contact
	keySchema        = []byte("schema")
)

// Store keeps tracking state in its own bbolt file.
type Store struct {
	db  *bolt.DB
	now func() time.Time
}

// Open opens (creating) the store at path; now is the clock (nil: time.Now).
func Open(path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by another espai process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open tracking database: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketProcedures, bucketNotices, bucketRefs, bucketByCitizen, bucketDue, bucketContacts} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		switch v := m.Get(keySchema); {
		case v == nil:
			return m.Put(keySchema, binary.BigEndian.AppendUint64(nil, 1))
		case len(v) != 8 || binary.BigEndian.Uint64(v) != 1:
			return fmt.Errorf("tracking database schema %x is not supported by this version", v)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, now: now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

var (
	adminRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)
	refRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)
)

func checkOwner(admin, ref, citizen string) error {
	switch {
	case !adminRE.MatchString(admin):
		return fmt.Errorf("%w: administration id %q", ErrInvalid, admin)
	case !refRE.MatchString(ref):
		return fmt.Errorf("%w: reference %q: 1-64 letters, digits and . _ / -", ErrInvalid, ref)
	case citizen == "" || len(citizen) > 32 || strings.ContainsRune(citizen, '|'):
		// '|' separates the parts of the per-citizen index keys.
		return fmt.Errorf("%w: citizen id is required (at most 32 characters, no '|')", ErrInvalid)
	}
	return nil
}

func refKey(kind, admin, ref string) []byte { return []byte(kind + "|" + admin + "|" + ref) }

func citizenKey(citizen, kind, key string) []byte { return []byte(citizen + "|" + kind + "|" + key) }

func dueKey(deadline time.Time, key string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(deadline.Unix())), key...)
}

func get[T any](b *bolt.Bucket, key string) (*T, error) {
	raw := b.Get([]byte(key))
	if raw == nil {
		return nil, ErrNotFound
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("tracking: record %s is damaged: %w", key, err)
	}
	return &v, nil
}

func put(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// allowed reports whether a procedure may go from one status to the next:
// it starts submitted, may move between review and "information needed" as
// often as needed, and ends resolved.
func allowed(from, to Status) bool {
	switch from {
	case Submitted, InReview, InfoNeeded:
		return to == InReview || to == InfoNeeded || to == Resolved
	}
	return false
}

// UpdateProcedure records a procedure's new status. The first update of an
// (administration, ref) pair creates the procedure and must be Submitted;
// repeating the current status is an idempotent no-op (changed is false).
func (s *Store) UpdateProcedure(_ context.Context, admin, ref, citizen string, status Status, at time.Time) (p *Procedure, changed bool, err error) {
	if err := checkOwner(admin, ref, citizen); err != nil {
		return nil, false, err
	}
	if !slices.Contains(Statuses, status) {
		return nil, false, fmt.Errorf("%w: status %q (want submitted, in_review, info_needed or resolved)", ErrInvalid, status)
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC().Truncate(time.Second)
	err = s.db.Update(func(tx *bolt.Tx) error {
		refs, procs := tx.Bucket(bucketRefs), tx.Bucket(bucketProcedures)
		rk := refKey("p", admin, ref)
		if key := refs.Get(rk); key != nil {
			if p, err = get[Procedure](procs, string(key)); err != nil {
				return err
			}
			if p.Citizen != citizen {
				return fmt.Errorf("%w: procedure %s belongs to another citizen", ErrConflict, ref)
			}
			if p.Status() == status {
				return nil
			}
			if !allowed(p.Status(), status) {
				return fmt.Errorf("%w: procedure %s cannot go from %s to %s", ErrConflict, ref, p.Status(), status)
			}
			if at.Before(p.Updated) {
				return fmt.Errorf("%w: procedure %s was updated at %s, after %s", ErrConflict, ref, p.Updated.Format(time.RFC3339), at.Format(time.RFC3339))
			}
		} else {
			if status != Submitted {
				return fmt.Errorf("%w: procedure %s is new: its first status must be submitted", ErrInvalid, ref)
			}
			p = &Procedure{Key: uuid.NewString(), Administration: admin, Ref: ref, Citizen: citizen}
			if err := refs.Put(rk, []byte(p.Key)); err != nil {
				return err
			}
			if err := tx.Bucket(bucketByCitizen).Put(citizenKey(citizen, "p", p.Key), nil); err != nil {
				return err
			}
		}
		p.Steps = append(p.Steps, Step{Status: status, Time: at})
		p.Updated, changed = at, true
		return put(procs, p.Key, p)
	})
	if err != nil {
		return nil, false, err
	}
	return p, changed, nil
}

// Procedure returns the procedure an administration knows as ref.
func (s *Store) Procedure(_ context.Context, admin, ref string) (*Procedure, error) {
	var p *Procedure
	err := s.db.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(bucketRefs).Get(refKey("p", admin, ref))
		if key == nil {
			return ErrNotFound
		}
		var err error
		p, err = get[Procedure](tx.Bucket(bucketProcedures), string(key))
		return err
	})
	return p, err
}

// Deposit records a new notification from admin to citizen, open for
// NoticePeriod from at. Depositing the same ref again for the same citizen
// returns the existing notification (idempotent retry, created false).
func (s *Store) Deposit(_ context.Context, admin, ref, citizen string, at time.Time) (n *Notification, created bool, err error) {
	if err := checkOwner(admin, ref, citizen); err != nil {
		return nil, false, err
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC().Truncate(time.Second)
	err = s.db.Update(func(tx *bolt.Tx) error {
		refs, notes := tx.Bucket(bucketRefs), tx.Bucket(bucketNotices)
		rk := refKey("n", admin, ref)
		if key := refs.Get(rk); key != nil {
			if n, err = get[Notification](notes, string(key)); err != nil {
				return err
			}
			if n.Citizen != citizen {
				return fmt.Errorf("%w: notification %s was sent to another citizen", ErrConflict, ref)
			}
			return nil
		}
		n = &Notification{Key: uuid.NewString(), Administration: admin, Ref: ref, Citizen: citizen,
			Deposited: at, Deadline: at.Add(NoticePeriod), State: Pending}
		created = true
		if err := refs.Put(rk, []byte(n.Key)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketByCitizen).Put(citizenKey(citizen, "n", n.Key), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDue).Put(dueKey(n.Deadline, n.Key), nil); err != nil {
			return err
		}
		return put(notes, n.Key, n)
	})
	if err != nil {
		return nil, false, err
	}
	return n, created, nil
}

// Notification returns the notification an administration knows as ref.
func (s *Store) Notification(_ context.Context, admin, ref string) (*Notification, error) {
	var n *Notification
	err := s.db.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(bucketRefs).Get(refKey("n", admin, ref))
		if key == nil {
			return ErrNotFound
		}
		var err error
		n, err = get[Notification](tx.Bucket(bucketNotices), string(key))
		return err
	})
	return n, err
}

// NotificationByKey returns one of citizen's notifications by Espai's key.
func (s *Store) NotificationByKey(_ context.Context, citizen, key string) (*Notification, error) {
	var n *Notification
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = get[Notification](tx.Bucket(bucketNotices), key)
		if err == nil && n.Citizen != citizen {
			err = ErrNotFound
		}
		return err
	})
	return n, err
}

// Act records the citizen's act on a notification: Read (first time only),
// Accepted or Rejected. Accepting or rejecting a closed notification is
// ErrClosed; reading one again changes nothing. It returns the notification
// after the act and whether anything changed.
func (s *Store) Act(ctx context.Context, citizen, key string, to State) (n *Notification, changed bool, err error) {
	return s.ActAt(ctx, citizen, key, to, s.now())
}

// ActAt is Act at a given time (imports and demo data): not before the
// deposit, not in the future.
func (s *Store) ActAt(_ context.Context, citizen, key string, to State, at time.Time) (n *Notification, changed bool, err error) {
	if to != Read && to != Accepted && to != Rejected {
		return nil, false, fmt.Errorf("%w: a citizen can read, accept or reject a notification, not %q", ErrInvalid, to)
	}
	if at.After(s.now()) {
		return nil, false, fmt.Errorf("%w: the act's time is in the future", ErrInvalid)
	}
	now := at.UTC().Truncate(time.Second)
	if to == Read {
		// Opening a notification again is the common case and changes
		// nothing: answer it from a read transaction, without a disk write.
		var cur *Notification
		if err := s.db.View(func(tx *bolt.Tx) error {
			var err error
			cur, err = get[Notification](tx.Bucket(bucketNotices), key)
			return err
		}); err != nil {
			return nil, false, err
		}
		if cur.Citizen != citizen {
			return nil, false, ErrNotFound
		}
		if cur.State != Pending || !cur.Open(now) {
			return cur, false, nil
		}
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		notes := tx.Bucket(bucketNotices)
		if n, err = get[Notification](notes, key); err != nil {
			return err
		}
		if n.Citizen != citizen {
			return ErrNotFound
		}
		if now.Before(n.Deposited) {
			return fmt.Errorf("%w: the act is before the deposit", ErrInvalid)
		}
		if !n.Open(now) {
			if to == Read {
				return nil
			}
			return fmt.Errorf("%w: it is %s", ErrClosed, n.StateAt(now))
		}
		switch to {
		case Read:
			if n.State == Read {
				return nil
			}
			n.ReadAt = now
		default:
			if n.ReadAt.IsZero() {
				n.ReadAt = now
			}
			n.ClosedAt = now
			if err := tx.Bucket(bucketDue).Delete(dueKey(n.Deadline, n.Key)); err != nil {
				return err
			}
		}
		n.State, changed = to, true
		return put(notes, n.Key, n)
	})
	if err != nil {
		return nil, false, err
	}
	return n, changed, nil
}

// Of returns the citizen's procedures and notifications, most recent first.
func (s *Store) Of(_ context.Context, citizen string) ([]Procedure, []Notification, error) {
	var (
		ps []Procedure
		ns []Notification
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(citizen + "|")
		c := tx.Bucket(bucketByCitizen).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			kind, key, _ := strings.Cut(string(k[len(prefix):]), "|")
			switch kind {
			case "p":
				p, err := get[Procedure](tx.Bucket(bucketProcedures), key)
				if err != nil {
					return err
				}
				ps = append(ps, *p)
			case "n":
				n, err := get[Notification](tx.Bucket(bucketNotices), key)
				if err != nil {
					return err
				}
				ns = append(ns, *n)
			}
		}
		return nil
	})
	slices.SortFunc(ps, func(a, b Procedure) int { return b.Updated.Compare(a.Updated) })
	slices.SortFunc(ns, func(a, b Notification) int { return b.Deposited.Compare(a.Deposited) })
	return ps, ns, err
}

// DueBefore returns open notifications whose deadline is before t, soonest
// first (for deadline reminders).
func (s *Store) DueBefore(_ context.Context, t time.Time) ([]Notification, error) {
	var out []Notification
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDue).Cursor()
		end := binary.BigEndian.AppendUint64(nil, uint64(t.Unix()))
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
			n, err := get[Notification](tx.Bucket(bucketNotices), string(k[8:]))
			if err != nil {
				return err
			}
			out = append(out, *n)
		}
		return nil
	})
	return out, err
}

// Sweep materialises expired notifications (state Expired, closed at the
// deadline) and returns them, so their expiry can be told to the citizen.
func (s *Store) Sweep(_ context.Context) ([]Notification, error) {
	now := s.now()
	var out []Notification
	err := s.db.Update(func(tx *bolt.Tx) error {
		due, notes := tx.Bucket(bucketDue), tx.Bucket(bucketNotices)
		end := binary.BigEndian.AppendUint64(nil, uint64(now.Unix()))
		var keys [][]byte
		c := due.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
			keys = append(keys, slices.Clone(k))
		}
		for _, k := range keys {
			n, err := get[Notification](notes, string(k[8:]))
			if err != nil {
				return err
			}
			n.State, n.ClosedAt = Expired, n.Deadline
			if err := put(notes, n.Key, n); err != nil {
				return err
			}
			if err := due.Delete(k); err != nil {
				return err
			}
			out = append(out, *n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetContact stores where citizen wants alert e-mails; an empty address
// removes it.
func (s *Store) SetContact(_ context.Context, citizen, email, lang string) error {
	if citizen == "" {
		return fmt.Errorf("%w: citizen id is required", ErrInvalid)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		if email == "" {
			return b.Delete([]byte(citizen))
		}
		a, err := mail.ParseAddress(email)
		if err != nil || a.Name != "" || a.Address != email || len(email) > 254 {
			return fmt.Errorf("%w: %q is not an e-mail address", ErrInvalid, email)
		}
		c := Contact{Email: email, Lang: lang, Since: s.now().UTC()}
		if old, err := get[Contact](b, citizen); err == nil {
			c.Muted = old.Muted
		}
		return put(b, citizen, c)
	})
}

// SetMuted records which alert kinds citizen does not want e-mailed; with
// no contact there is nothing to record (SetContact keeps what is set).
func (s *Store) SetMuted(_ context.Context, citizen string, kinds []string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		c, err := get[Contact](b, citizen)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c.Muted = slices.Clone(kinds)
		return put(b, citizen, *c)
	})
}

// Contact returns the citizen's e-mail contact, or nil when there is none.
func (s *Store) Contact(_ context.Context, citizen string) (*Contact, error) {
	var c *Contact
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		c, err = get[Contact](tx.Bucket(bucketContacts), citizen)
		if errors.Is(err, ErrNotFound) {
			c, err = nil, nil
		}
		return err
	})
	return c, err
}

// Forget removes everything kept about citizen (their space was erased):
// procedures and notifications keep their state for the administration under
// the same keys, but the contact is deleted.
func (s *Store) Forget(_ context.Context, citizen string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketContacts).Delete([]byte(citizen)) })
}

// MarkDelivered records that the text of notification key, or of the
// current step of procedure key, reached the citizen's wallet.
func (s *Store) MarkDelivered(_ context.Context, key string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if n, err := get[Notification](tx.Bucket(bucketNotices), key); err == nil {
			n.Delivered = true
			return put(tx.Bucket(bucketNotices), key, n)
		}
		p, err := get[Procedure](tx.Bucket(bucketProcedures), key)
		if err != nil {
			return err
		}
		p.Steps[len(p.Steps)-1].Delivered = true
		return put(tx.Bucket(bucketProcedures), key, p)
	})
}
