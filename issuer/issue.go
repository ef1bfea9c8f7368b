package issuer

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwk"
	bolt "go.etcd.io/bbolt"
)

// Holder is the citizen's wallet key a credential is bound to. Both fields
// come from the wallet; either may be empty for an unbound credential (then
// it cannot be presented with holder binding).
type Holder struct {
	// JWK is the holder's public key, put in the SD-JWT VC cnf claim.
	JWK jwk.Key
	// DID is the holder's did:key, the JSON-LD credentialSubject.id.
	DID string
}

// HolderFromEd25519 builds a Holder from an Ed25519 public key.
func HolderFromEd25519(pub ed25519.PublicKey, didKey string) (*Holder, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return nil, err
	}
	return &Holder{JWK: k, DID: didKey}, nil
}

// Request asks for one credential.
type Request struct {
	Type    credential.Type
	Format  credential.Format
	Citizen string // DNI or NIE
	// Degree selects one of several degrees (0 = the most recent).
	Degree int
	// Admin, when set, is the administration the caller acts for: the
	// credential's issuer must be this one (staff of the Ajuntament de Girona
	// cannot issue a census credential for a citizen of Lleida).
	Admin  string
	Holder *Holder
}

// Issued is a freshly signed credential.
type Issued struct {
	Record
	// Credential is the SD-JWT compact serialisation (ending in "~") or the
	// JSON-LD document.
	Credential string `json:"credential"`
}

// Issue signs one credential from the register record of req.Citizen.
func (s *Service) Issue(ctx context.Context, req Request) (*Issued, error) {
	out, err := s.IssueBatch(ctx, []Request{req})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// IssueBatch issues many credentials: it reads and validates every register
// record first (one bad record issues nothing), allocates all status indexes
// and records all credentials in one bbolt transaction, then signs. It is how
// the monthly tax-compliance run issues to every citizen.
func (s *Service) IssueBatch(ctx context.Context, reqs []Request) ([]*Issued, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	subjects := make([]*subject, len(reqs))
	for i, req := range reqs {
		if _, err := credential.ParseType(string(req.Type)); err != nil {
			return nil, err
		}
		if _, err := credential.ParseFormat(string(req.Format)); err != nil {
			return nil, err
		}
		sub, err := s.subjectFor(ctx, req)
		if err != nil {
			return nil, err
		}
		a, err := s.Administration(ctx, sub.admin)
		if err != nil {
			return nil, fmt.Errorf("%s credential for record of %s: %w", req.Type, redactID(req.Citizen), err)
		}
		if req.Admin != "" && req.Admin != a.ID {
			return nil, fmt.Errorf("%w: the %s credential of this citizen is issued by %s, not %s", ErrNotAllowed, req.Type, a.ID, req.Admin)
		}
		if !a.May(req.Type) {
			return nil, fmt.Errorf("%w: %s may not issue %s", ErrNotAllowed, a.ID, req.Type)
		}
		subjects[i] = sub
	}
	now := s.now().UTC().Truncate(time.Second)
	out := make([]*Issued, len(reqs))
	err := s.db.Update(func(tx *bolt.Tx) error {
		lists := map[string]*statusList{}
		listNo := map[string]int{}
		for i, req := range reqs {
			sub := subjects[i]
			l, ok := lists[sub.admin]
			if !ok {
				no, cur, err := currentList(tx, sub.admin)
				if err != nil {
					return err
				}
				l, lists[sub.admin], listNo[sub.admin] = cur, cur, no
			}
			if l.Count >= listFillLimit {
				// Save the full list and continue in a new one.
				if err := putJSON(tx.Bucket(bucketStatus), statusKey(sub.admin, listNo[sub.admin]), l); err != nil {
					return err
				}
				listNo[sub.admin]++
				l = newStatusList()
				lists[sub.admin] = l
			}
			rec := Record{
				ID:       "urn:uuid:" + uuid.NewString(),
				Admin:    sub.admin,
				Type:     req.Type,
				Format:   req.Format,
				Citizen:  req.Citizen,
				List:     listNo[sub.admin],
				Index:    l.allocate(),
				IssuedAt: now,
				Status:   StatusName(StatusValid),
			}
			if sub.validUntil.IsZero() {
				if life := req.Type.DefaultLifetime(); life > 0 {
					rec.ExpiresAt = now.Add(life)
				}
			} else {
				rec.ExpiresAt = sub.validUntil.UTC()
			}
			if !rec.ExpiresAt.IsZero() && !rec.ExpiresAt.After(now) {
				return fmt.Errorf("%w: the register record of %s for %s is no longer valid (until %s)", ErrNothingToIssue, redactID(req.Citizen), req.Type, rec.ExpiresAt.Format(time.DateOnly))
			}
			if err := putJSON(tx.Bucket(bucketIssued), []byte(rec.ID), rec); err != nil {
				return err
			}
			if err := tx.Bucket(bucketByCitizen).Put([]byte(req.Citizen+"/"+rec.ID), nil); err != nil {
				return err
			}
			out[i] = &Issued{Record: rec}
		}
		for admin, l := range lists {
			if err := putJSON(tx.Bucket(bucketStatus), statusKey(admin, listNo[admin]), l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Signing happens after the records are durable: a crash in between leaves
	// an allocated, never-delivered index, which is harmless.
	for i, req := range reqs {
		var cred string
		switch req.Format {
		case credential.SDJWT:
			cred, err = s.signSDJWT(ctx, &out[i].Record, subjects[i], req.Holder)
		case credential.JSONLD:
			cred, err = s.signJSONLD(ctx, &out[i].Record, subjects[i], req.Holder)
		}
		if err != nil {
			return nil, fmt.Errorf("sign %s credential %s: %w", req.Type, out[i].ID, err)
		}
		out[i].Credential = cred
	}
	return out, nil
}

// redactID keeps the last letter and three digits of a DNI/NIE, enough for an
// operator to tell records apart in an error without spelling out the id.
func redactID(id string) string {
	if len(id) < 4 {
		return "***"
	}
	return "*****" + id[len(id)-4:]
}
