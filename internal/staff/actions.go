package staff

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The staff action log: who did what, per administration. Every console
// and API action worth answering for (issuing, revoking, a verifier
// request, a Via Oberta query, a change to an account) is appended with its
// time, the staff member and the target as the caller gave it (a
// credential id, a citizen's id, an account). It is append-only: the
// package has no way to change or delete an entry. The target may be
// personal data: only the administration's own admins are shown its log.

var bucketActions = []byte("staff_actions") // administration id -> (sequence -> Action)

// Action is one entry of an administration's staff action log.
type Action struct {
	// Seq numbers the administration's actions from 1, in order; set by LogAction.
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Admin is the administration whose log holds the action.
	Admin string `json:"admin"`
	// Via is how the action came: "console", "api" or "cli".
	Via string `json:"via"`
	// ActorID, ActorName and ActorLogin name the staff member (none for
	// the command line, which is the operator's).
	ActorID    string `json:"actor_id,omitempty"`
	ActorName  string `json:"actor_name,omitempty"`
	ActorLogin string `json:"actor_login,omitempty"`
	// Kind says what was done, as dotted lower-case words: credential.issue,
	// staff.disable.
	Kind string `json:"kind"`
	// Target is what it was done to, as the caller gave it.
	Target string `json:"target,omitempty"`
}

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$`)

// MaxTarget bounds an action's target (longer ones are cut).
const MaxTarget = 500

// LogAction appends a to the log of a.Admin (its Seq is set here; a zero
// Time is now). A target longer than MaxTarget is cut, invalid UTF-8
// replaced.
func (s *Store) LogAction(_ context.Context, a Action) error {
	if !adminRE.MatchString(a.Admin) {
		return fmt.Errorf("%w: action of administration %q", ErrInvalid, a.Admin)
	}
	if len(a.Kind) > 64 || !kindRE.MatchString(a.Kind) {
		return fmt.Errorf("%w: action kind %q", ErrInvalid, a.Kind)
	}
	switch a.Via {
	case "console", "api", "cli":
	default:
		return fmt.Errorf("%w: action via %q", ErrInvalid, a.Via)
	}
	if a.Time.IsZero() {
		a.Time = s.now()
	}
	a.Time = a.Time.UTC()
	a.Target = strings.ToValidUTF8(a.Target, "\uFFFD")
	if utf8.RuneCountInString(a.Target) > MaxTarget {
		a.Target = string([]rune(a.Target)[:MaxTarget])
	}
	a.ActorName = strings.ToValidUTF8(a.ActorName, "\uFFFD")
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketActions).CreateBucketIfNotExists([]byte(a.Admin))
		if err != nil {
			return err
		}
		if a.Seq, err = b.NextSequence(); err != nil {
			return err
		}
		raw, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, a.Seq), raw)
	})
}

// Actions returns up to limit actions of administration admin, newest
// first, starting below sequence before (0: from the newest), and whether
// older ones remain.
func (s *Store) Actions(_ context.Context, admin string, before uint64, limit int) ([]Action, bool, error) {
	if limit <= 0 {
		return nil, false, nil
	}
	var out []Action
	more := false
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketActions).Bucket([]byte(admin))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		if before == 0 {
			k, v = c.Last()
		} else {
			// Seek finds the first key at or after before; the page starts
			// at the one just below it.
			if k, _ = c.Seek(binary.BigEndian.AppendUint64(nil, before)); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		for ; k != nil; k, v = c.Prev() {
			if len(out) == limit {
				more = true
				return nil
			}
			var a Action
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, more, err
}
