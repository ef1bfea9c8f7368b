package issuer

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/espai/espai/internal/credential"
	bolt "go.etcd.io/bbolt"
)

// Stats counts one administration's issuances.
type Stats struct {
	Total    int
	ByType   map[credential.Type]int
	ByStatus map[string]int
	ByMonth  []MonthCount // oldest first
	// Reissued counts the credentials that replaced an earlier one (each
	// replaced credential is also counted as revoked in ByStatus).
	Reissued int
}

// MonthCount is the number of credentials issued in a month ("2026-11").
type MonthCount struct {
	Month string
	Count int
}

// Stats counts admin's issued credentials by type, status and month, and
// only admin's: no figure of another administration enters them. It
// reads every issuance record (a full scan: fine for a console refreshed by
// hand, not for a hot path).
func (s *Service) Stats(_ context.Context, admin string) (*Stats, error) {
	st := &Stats{ByType: map[credential.Type]int{}, ByStatus: map[string]int{}}
	months := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketIssued).ForEach(func(_, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if r.Admin != admin {
				return nil
			}
			st.Total++
			st.ByType[r.Type]++
			st.ByStatus[r.Status]++
			if r.Replaces != "" {
				st.Reissued++
			}
			months[r.IssuedAt.Format("2006-01")]++
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	for m, n := range months {
		st.ByMonth = append(st.ByMonth, MonthCount{m, n})
	}
	sort.Slice(st.ByMonth, func(i, j int) bool { return st.ByMonth[i].Month < st.ByMonth[j].Month })
	return st, nil
}
