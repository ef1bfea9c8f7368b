package issuer

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// SupersededReason is the revocation reason of a credential replaced by a
// re-issue, in Catalan as the citizen reads it; a staff member's own reason,
// when given, follows it after a colon.
const SupersededReason = "Substituïda per una nova emissió"

// CanSupersede checks, before anything is issued, that credential oldID of
// admin may be replaced by a re-issue: it exists, belongs to admin (another
// administration's credential is ErrUnknownCredential, as if it did not
// exist), and is neither revoked nor already replaced (ErrStatusTransition).
func (s *Service) CanSupersede(ctx context.Context, oldID, admin string) (*Record, error) {
	rec, err := s.Issued(ctx, oldID)
	if err != nil {
		return nil, err
	}
	if admin != "" && rec.Admin != admin {
		return nil, fmt.Errorf("%w %q", ErrUnknownCredential, oldID)
	}
	if rec.ReplacedBy != "" {
		return nil, fmt.Errorf("%w: credential already replaced by %s", ErrStatusTransition, rec.ReplacedBy)
	}
	if rec.Status == StatusName(StatusRevoked) {
		return nil, fmt.Errorf("%w: a revoked credential is not re-issued: issue a new one", ErrStatusTransition)
	}
	return rec, nil
}

// Supersede revokes credential oldID because newID replaces it, in one
// transaction: oldID's status list entry becomes revoked with reason, oldID
// records ReplacedBy and newID records Replaces. Both must be credentials of
// the same administration, type and citizen; oldID must be valid or
// suspended and not replaced yet. It returns oldID's record.
func (s *Service) Supersede(_ context.Context, oldID, newID, reason string) (*Record, error) {
	if reason == "" {
		return nil, fmt.Errorf("%w: a reason is required", ErrStatusTransition)
	}
	if oldID == newID {
		return nil, fmt.Errorf("%w: a credential cannot replace itself", ErrStatusTransition)
	}
	var old, nw Record
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIssued)
		for _, r := range []struct {
			id  string
			rec *Record
		}{{oldID, &old}, {newID, &nw}} {
			ok, err := getJSON(b, []byte(r.id), r.rec)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w %q", ErrUnknownCredential, r.id)
			}
		}
		if old.Admin != nw.Admin || old.Citizen != nw.Citizen || old.Type != nw.Type {
			return fmt.Errorf("%w: %s is not a re-issue of %s (administration, citizen or type differ)", ErrStatusTransition, newID, oldID)
		}
		if old.ReplacedBy != "" {
			return fmt.Errorf("%w: credential already replaced by %s", ErrStatusTransition, old.ReplacedBy)
		}
		if err := s.changeStatusTx(tx, &old, StatusRevoked, reason); err != nil {
			return err
		}
		old.ReplacedBy, nw.Replaces = newID, oldID
		if err := putJSON(b, []byte(oldID), old); err != nil {
			return err
		}
		return putJSON(b, []byte(newID), nw)
	})
	if err != nil {
		return nil, err
	}
	return &old, nil
}
