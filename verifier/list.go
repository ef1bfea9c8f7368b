package verifier

import (
	"context"
	"encoding/json"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Requests returns administration admin's stored requests, newest first, at
// most limit of them (limit <= 0: all), each with its current state and
// without its signed request object. It reads every stored request: the
// store holds requests for their purposes' retention periods at most (Purge
// deletes unanswered ones a day after they expire), which keeps the scan
// small for a staff screen.
func (s *Service) Requests(_ context.Context, admin string, limit int) ([]Request, error) {
	var out []Request
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRequests).ForEach(func(_, v []byte) error {
			var r Request
			if err := json.Unmarshal(v, &r); err != nil {
				return nil // Request reports a damaged record when it is opened
			}
			if r.Admin != admin {
				return nil
			}
			r.Signed = ""
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range out {
		out[i].State = out[i].effectiveState(now)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
