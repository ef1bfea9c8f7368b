package wallet

import (
	"cmp"
	"context"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/espai/espai/internal/credential"
	bolt "go.etcd.io/bbolt"
)

// CredentialChecker verifies a credential taken out of the inbox: issuer
// signature, issuer trusted for the type, validity window, status, holder
// binding to this wallet's holder key. The real implementation wraps the
// verifier's checker; tests use a fake.
//
// Error contract: a nil error with a result means the credential is accepted
// and stored. An error wrapping ErrRetryLater, or any error while ctx is done,
// leaves the delivery in the inbox for the next opening. Any other error
// rejects it: the delivery is kept in the citizen's rejected list with
// err.Error() as the reason, so the message must be written for the citizen
// and hold no secret.
type CredentialChecker interface {
	CheckCredential(ctx context.Context, raw []byte) (*CheckedCredential, error)
}

// StatusRef is where a credential's revocation/suspension status is
// published: a status list and an index in it.
type StatusRef struct {
	URI     string `json:"uri"`
	Index   int    `json:"index"`
	Purpose string `json:"purpose,omitempty"` // "revocation", "suspension" or "" (token status list)
}

// CheckedCredential is what a CredentialChecker learnt from a valid credential.
type CheckedCredential struct {
	Format    credential.Format `json:"format"`
	Type      credential.Type   `json:"type"`
	Issuer    string            `json:"issuer"` // issuer DID
	IssuedAt  time.Time         `json:"issued_at"`
	ExpiresAt time.Time         `json:"expires_at,omitzero"` // zero: no expiry
	// Claims are the claims to display (all disclosable claims for SD-JWT).
	Claims map[string]any `json:"claims,omitempty"`
	Status *StatusRef     `json:"status,omitempty"`
	// Holder is what the credential is bound to: the holder's did:key (or
	// its verification method id) for JSON-LD, the RFC 7638 thumbprint of
	// cnf.jwk for SD-JWT; empty for an unbound credential. The wallet
	// rejects a credential bound to another wallet.
	Holder string `json:"holder,omitempty"`
}

func (c *CheckedCredential) validate() error {
	if c == nil {
		return errors.New("the credential check returned no result")
	}
	if _, err := credential.ParseFormat(string(c.Format)); err != nil {
		return err
	}
	if _, err := credential.ParseType(string(c.Type)); err != nil {
		return err
	}
	if c.Issuer == "" {
		return errors.New("the credential names no issuer")
	}
	return nil
}

// Credential is a credential held in the wallet.
type Credential struct {
	ID string `json:"id"`
	CheckedCredential
	Raw        []byte    `json:"raw"`            // as issued: SD-JWT compact or JSON-LD
	From       string    `json:"from,omitempty"` // administration that delivered it
	ReceivedAt time.Time `json:"received_at"`
	Label      string    `json:"label,omitempty"` // the citizen's own name for it
	Favourite  bool      `json:"favourite,omitempty"`
}

// LogValue keeps claims, the raw credential and the label out of logs.
func (c *Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", c.ID), slog.String("type", string(c.Type)), slog.String("format", string(c.Format)))
}

// Rejected is a delivery that could not be accepted, kept for the citizen to
// see. Reason is written for the citizen.
type Rejected struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind,omitempty"` // delivery kind, empty if it could not be decrypted
	Reason     string    `json:"reason"`
	Raw        []byte    `json:"raw,omitempty"` // decrypted payload, when decryption worked
	From       string    `json:"from,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	RejectedAt time.Time `json:"rejected_at"`
}

// LogValue keeps the payload out of logs.
func (r *Rejected) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", r.ID), slog.String("kind", r.Kind))
}

// Credentials lists the wallet's credentials, favourites first, then newest
// first, and the records that failed authentication.
func (s *Session) Credentials(ctx context.Context) ([]Credential, []Damaged, error) {
	out, bad, err := listRecords[Credential](ctx, s, kindCredential)
	slices.SortFunc(out, func(a, b Credential) int {
		if a.Favourite != b.Favourite {
			if a.Favourite {
				return -1
			}
			return 1
		}
		return cmp.Or(b.ReceivedAt.Compare(a.ReceivedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, bad, err
}

// Credential returns one credential; ErrNotFound or a Damaged error.
func (s *Session) Credential(ctx context.Context, id string) (*Credential, error) {
	return getRecord[Credential](ctx, s, kindCredential, id)
}

const maxLabel = 100

// SetLabel names a credential ("" removes the label). At most 100
// characters, no control characters.
func (s *Session) SetLabel(ctx context.Context, id, label string) error {
	if utf8.RuneCountInString(label) > maxLabel || !utf8.ValidString(label) ||
		slices.ContainsFunc([]rune(label), unicode.IsControl) {
		return invalidf("label: at most %d printable characters", maxLabel)
	}
	return modifyRecord(ctx, s, kindCredential, id, func(c *Credential) { c.Label = label })
}

// SetFavourite marks or unmarks a credential as favourite.
func (s *Session) SetFavourite(ctx context.Context, id string, favourite bool) error {
	return modifyRecord(ctx, s, kindCredential, id, func(c *Credential) { c.Favourite = favourite })
}

// DeleteCredential removes a credential from the wallet and records an
// event. It does not revoke it: the issuer's status is unchanged.
func (s *Session) DeleteCredential(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	return s.update(ctx, func(b *bolt.Bucket, aead cipher.AEAD) error {
		cb := b.Bucket([]byte(kindCredential))
		if cb.Get([]byte(id)) == nil {
			return ErrNotFound
		}
		if err := cb.Delete([]byte(id)); err != nil {
			return err
		}
		_, err := appendEvent(b, aead, s.id, Event{Kind: EventCredentialDeleted, Time: s.w.now(), Actor: ActorCitizen,
			Fields: map[string]string{"credential": id}})
		return err
	})
}

// RejectedDeliveries lists the deliveries put aside, newest first.
func (s *Session) RejectedDeliveries(ctx context.Context) ([]Rejected, []Damaged, error) {
	out, bad, err := listRecords[Rejected](ctx, s, kindRejected)
	slices.SortFunc(out, func(a, b Rejected) int {
		return cmp.Or(b.RejectedAt.Compare(a.RejectedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, bad, err
}

// DismissRejected deletes a rejected delivery the citizen has seen.
func (s *Session) DismissRejected(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	return s.update(ctx, func(b *bolt.Bucket, _ cipher.AEAD) error {
		rb := b.Bucket([]byte(kindRejected))
		if rb.Get([]byte(id)) == nil {
			return ErrNotFound
		}
		return rb.Delete([]byte(id))
	})
}

// listRecords decrypts every record of one kind.
func listRecords[T any](ctx context.Context, s *Session, kind string) ([]T, []Damaged, error) {
	var out []T
	var bad []Damaged
	err := s.view(ctx, func(b *bolt.Bucket, aead cipher.AEAD) error {
		return b.Bucket([]byte(kind)).ForEach(func(k, v []byte) error {
			var rec T
			pt, err := openRecord(aead, s.id, kind, string(k), v)
			if err == nil {
				err = json.Unmarshal(pt, &rec)
			}
			if err != nil {
				bad = append(bad, Damaged{Kind: kind, ID: string(k)})
				return nil
			}
			out = append(out, rec)
			return nil
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return out, bad, nil
}

func getRecord[T any](ctx context.Context, s *Session, kind, id string) (*T, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var rec T
	err := s.view(ctx, func(b *bolt.Bucket, aead cipher.AEAD) error {
		v := b.Bucket([]byte(kind)).Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		pt, err := openRecord(aead, s.id, kind, id, v)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(pt, &rec); err != nil {
			return Damaged{Kind: kind, ID: id}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// modifyRecord rewrites one record in a single transaction.
func modifyRecord[T any](ctx context.Context, s *Session, kind, id string, change func(*T)) error {
	if err := checkID(id); err != nil {
		return err
	}
	return s.update(ctx, func(b *bolt.Bucket, aead cipher.AEAD) error {
		rb := b.Bucket([]byte(kind))
		v := rb.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		pt, err := openRecord(aead, s.id, kind, id, v)
		if err != nil {
			return err
		}
		var rec T
		if err := json.Unmarshal(pt, &rec); err != nil {
			return Damaged{Kind: kind, ID: id}
		}
		change(&rec)
		raw, err := json.Marshal(&rec)
		if err != nil {
			return err
		}
		return rb.Put([]byte(id), sealRecord(aead, s.id, kind, id, raw))
	})
}

// putRecord encrypts and stores a record under a fresh random id.
func putRecord(b *bolt.Bucket, aead cipher.AEAD, citizenID, kind, id string, rec any) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return b.Bucket([]byte(kind)).Put([]byte(id), sealRecord(aead, citizenID, kind, id, raw))
}
