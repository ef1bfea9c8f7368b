package issuer

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/espai/espai/internal/credential"
	bolt "go.etcd.io/bbolt"
)

// ListSize is the number of entries in one status list: 131,072, the W3C
// Bitstring Status List minimum (16 KB of bits), large enough that one list
// hides which citizen a revoked entry belongs to.
const ListSize = 131072

// listFillLimit is when allocation moves to a new list: random allocation in
// a list that is more than 7/8 full would need many draws.
const listFillLimit = ListSize / 8 * 7

// Status values, as the IETF Token Status List defines them (2 bits per entry).
const (
	StatusValid     = 0
	StatusRevoked   = 1
	StatusSuspended = 2
)

// StatusName is the word for a status value.
func StatusName(v byte) string {
	switch v {
	case StatusValid:
		return "valid"
	case StatusRevoked:
		return "revoked"
	case StatusSuspended:
		return "suspended"
	}
	return fmt.Sprintf("status-%d", v)
}

// statusList is one administration's list: 2 bits per entry, packed as the
// IETF Token Status List packs them (entry i in byte i/4, bits (i%4)*2, least
// significant first), and a bitmap of allocated entries.
type statusList struct {
	Values    []byte `json:"values"`    // ListSize/4 bytes
	Allocated []byte `json:"allocated"` // ListSize/8 bytes
	Count     int    `json:"count"`
	// Version increases with every status change; published tokens are cached per version.
	Version uint64    `json:"version"`
	Updated time.Time `json:"updated"`
}

func newStatusList() *statusList {
	return &statusList{Values: make([]byte, ListSize/4), Allocated: make([]byte, ListSize/8)}
}

func (l *statusList) get(i int) byte { return (l.Values[i/4] >> ((i % 4) * 2)) & 0b11 }

func (l *statusList) set(i int, v byte) {
	shift := (i % 4) * 2
	l.Values[i/4] = l.Values[i/4]&^(0b11<<shift) | (v&0b11)<<shift
}

func (l *statusList) allocated(i int) bool { return l.Allocated[i/8]&(1<<(i%8)) != 0 }

// allocate draws a random unused index. Randomness hides issuance order
// (draft-ietf-oauth-status-list, privacy considerations); it is not secret, so
// math/rand is enough.
func (l *statusList) allocate() int {
	for {
		i := rand.IntN(ListSize)
		if !l.allocated(i) {
			l.Allocated[i/8] |= 1 << (i % 8)
			l.Count++
			return i
		}
	}
}

func statusKey(admin string, no int) []byte {
	return binary.BigEndian.AppendUint64([]byte(admin+"/"), uint64(no))
}

// loadList reads list no of admin inside tx; a missing list is a new one.
func loadList(tx *bolt.Tx, admin string, no int) (*statusList, error) {
	var l statusList
	ok, err := getJSON(tx.Bucket(bucketStatus), statusKey(admin, no), &l)
	if err != nil {
		return nil, err
	}
	if !ok {
		return newStatusList(), nil
	}
	if len(l.Values) != ListSize/4 || len(l.Allocated) != ListSize/8 {
		return nil, fmt.Errorf("status list %s/%d is corrupt (sizes %d, %d)", admin, no, len(l.Values), len(l.Allocated))
	}
	return &l, nil
}

// currentList returns the number of the list admin allocates from: the
// highest existing list, or a new one when that is full.
func currentList(tx *bolt.Tx, admin string) (int, *statusList, error) {
	c := tx.Bucket(bucketStatus).Cursor()
	prefix := []byte(admin + "/")
	no := 1
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		no = int(binary.BigEndian.Uint64(k[len(prefix):]))
	}
	l, err := loadList(tx, admin, no)
	if err != nil {
		return 0, nil, err
	}
	if l.Count >= listFillLimit {
		no++
		l = newStatusList()
	}
	return no, l, nil
}

// Record is what the issuer keeps about each credential it issued.
type Record struct {
	ID        string            `json:"id"`
	Admin     string            `json:"admin"`
	Type      credential.Type   `json:"type"`
	Format    credential.Format `json:"format"`
	Citizen   string            `json:"citizen"`
	List      int               `json:"list"`
	Index     int               `json:"index"`
	IssuedAt  time.Time         `json:"issued_at"`
	ExpiresAt time.Time         `json:"expires_at,omitzero"`
	Status    string            `json:"status"`
	Reason    string            `json:"reason,omitempty"`
	Changed   time.Time         `json:"changed,omitzero"`
	// Replaces is the credential this one superseded when it was re-issued
	// (see Supersede); ReplacedBy is the credential that superseded this
	// one, which is then revoked.
	Replaces   string `json:"replaces,omitempty"`
	ReplacedBy string `json:"replaced_by,omitempty"`
}

// LogValue keeps the citizen id out of logs.
func (r Record) LogValue() any {
	return map[string]any{"id": r.ID, "admin": r.Admin, "type": r.Type, "status": r.Status}
}

// Revoke marks a credential revoked for good.
func (s *Service) Revoke(ctx context.Context, id, reason string) (*Record, error) {
	return s.setStatus(ctx, id, StatusRevoked, reason)
}

// Suspend marks a credential suspended until reinstated.
func (s *Service) Suspend(ctx context.Context, id, reason string) (*Record, error) {
	return s.setStatus(ctx, id, StatusSuspended, reason)
}

// Reinstate lifts a suspension.
func (s *Service) Reinstate(ctx context.Context, id, reason string) (*Record, error) {
	return s.setStatus(ctx, id, StatusValid, reason)
}

func (s *Service) setStatus(_ context.Context, id string, to byte, reason string) (*Record, error) {
	if reason == "" {
		return nil, fmt.Errorf("%w: a reason is required", ErrStatusTransition)
	}
	var rec Record
	err := s.db.Update(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketIssued), []byte(id), &rec)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownCredential, id)
		}
		if err := s.changeStatusTx(tx, &rec, to, reason); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketIssued), []byte(id), rec)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// changeStatusTx moves rec to status to in its list, inside tx, and updates
// rec's status fields (the caller stores rec).
func (s *Service) changeStatusTx(tx *bolt.Tx, rec *Record, to byte, reason string) error {
	l, err := loadList(tx, rec.Admin, rec.List)
	if err != nil {
		return err
	}
	from := l.get(rec.Index)
	allowed := (from == StatusValid && (to == StatusRevoked || to == StatusSuspended)) ||
		(from == StatusSuspended && (to == StatusRevoked || to == StatusValid))
	if !allowed {
		return fmt.Errorf("%w: %s -> %s", ErrStatusTransition, StatusName(from), StatusName(to))
	}
	l.set(rec.Index, to)
	l.Version++
	l.Updated = s.now().UTC()
	if err := putJSON(tx.Bucket(bucketStatus), statusKey(rec.Admin, rec.List), l); err != nil {
		return err
	}
	rec.Status, rec.Reason, rec.Changed = StatusName(to), reason, l.Updated
	return nil
}

// Issued returns the record of one issued credential.
func (s *Service) Issued(_ context.Context, id string) (*Record, error) {
	var rec Record
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketIssued), []byte(id), &rec)
		if err == nil && !ok {
			err = fmt.Errorf("%w %q", ErrUnknownCredential, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// IssuedTo lists the credentials issued to a citizen, newest first.
func (s *Service) IssuedTo(_ context.Context, citizen string) ([]Record, error) {
	var out []Record
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketByCitizen).Cursor()
		prefix := []byte(citizen + "/")
		for k, _ := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			var rec Record
			ok, err := getJSON(tx.Bucket(bucketIssued), k[len(prefix):], &rec)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, rec)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].IssuedAt.After(out[j].IssuedAt) })
	return out, err
}

// listSnapshot returns a copy of list no of admin.
func (s *Service) listSnapshot(admin string, no int) (*statusList, error) {
	var l *statusList
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketStatus).Get(statusKey(admin, no)) == nil {
			return fmt.Errorf("%w: status list %s/%d", ErrUnknownCredential, admin, no)
		}
		var err error
		l, err = loadList(tx, admin, no)
		return err
	})
	return l, err
}
