// Package mfa is the citizen's optional second factor: time-based one-time
// codes (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps), as every
// authenticator app speaks them. With it, a login needs the wallet passphrase
// and a code from the citizen's phone (AAL2).
//
// Security properties: secrets are sealed at rest with the deployment's
// at-rest key (AES-GCM, bound to the citizen's id), so a copy of mfa.db alone
// reveals nothing. A code is accepted one step either side of now (clock
// drift) and never twice: the last accepted step is stored, so a code seen
// over a shoulder or replayed from a log is refused. Comparisons are
// constant-time. A secret only becomes active once the citizen proved their
// app holds it (Confirm).
//
// Caveats: rate limiting of code attempts is the caller's (the web layer
// counts failures per account); losing the phone means turning the factor
// off through an identity check outside Espai (an office), as for any TOTP.
package mfa

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Errors.
var (
	// ErrWrongCode means the code is not the current one (or was used).
	ErrWrongCode = errors.New("mfa: wrong or used code")
	// ErrNotEnabled means the citizen has no active second factor.
	ErrNotEnabled = errors.New("mfa: no second factor")
	// ErrNoEnrolment means Confirm came without Begin.
	ErrNoEnrolment = errors.New("mfa: no enrolment in progress")
)

// Issuer is the name authenticator apps show.
const Issuer = "El Meu Espai"

const (
	period     = 30
	sealLabel  = "espai/mfa/totp/v1"
	pendingFor = 15 * time.Minute
)

var (
	bucketFactors = []byte("totp") // citizen -> sealed record
)

type record struct {
	Secret   string    `json:"secret"` // base32
	Active   bool      `json:"active"`
	LastStep int64     `json:"lastStep"`
	Created  time.Time `json:"created"`
}

// Store keeps second factors in their own bbolt file.
type Store struct {
	db     *bolt.DB
	sealer *atrest.Sealer
	now    func() time.Time
}

// Open opens (creating) the store at path.
func Open(path string, sealer *atrest.Sealer, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by another espai process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open second-factor database: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketFactors)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, sealer: sealer, now: now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) get(tx *bolt.Tx, citizen string) (*record, error) {
	raw := tx.Bucket(bucketFactors).Get([]byte(citizen))
	if raw == nil {
		return nil, nil
	}
	pt, err := s.sealer.Open(sealLabel, raw, []byte(citizen))
	if err != nil {
		return nil, fmt.Errorf("mfa: record of a citizen is damaged: %w", err)
	}
	var r record
	if err := json.Unmarshal(pt, &r); err != nil {
		return nil, fmt.Errorf("mfa: record of a citizen is damaged: %w", err)
	}
	return &r, nil
}

func (s *Store) put(tx *bolt.Tx, citizen string, r *record) error {
	pt, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(sealLabel, pt, []byte(citizen))
	if err != nil {
		return err
	}
	return tx.Bucket(bucketFactors).Put([]byte(citizen), sealed)
}

// Enrolment is a new secret for the citizen's authenticator app.
type Enrolment struct {
	Secret string // base32, for typing in by hand
	URL    string // otpauth:// URL, for a QR code
}

// Begin creates a new secret for citizen, inactive until Confirm. An active
// factor stays as it is: turn it off first.
func (s *Store) Begin(_ context.Context, citizen string) (*Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: Issuer, AccountName: citizen, Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		r, err := s.get(tx, citizen)
		if err != nil {
			return err
		}
		if r != nil && r.Active {
			return fmt.Errorf("mfa: a second factor is already active")
		}
		return s.put(tx, citizen, &record{Secret: key.Secret(), Created: s.now().UTC()})
	})
	if err != nil {
		return nil, err
	}
	return &Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// Confirm activates the pending secret when code matches it.
func (s *Store) Confirm(_ context.Context, citizen, code string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		r, err := s.get(tx, citizen)
		if err != nil {
			return err
		}
		if r == nil || r.Active || s.now().Sub(r.Created) > pendingFor {
			return ErrNoEnrolment
		}
		step, err := s.check(r, code)
		if err != nil {
			return err
		}
		r.Active, r.LastStep = true, step
		return s.put(tx, citizen, r)
	})
}

// Enabled reports whether citizen has an active second factor.
func (s *Store) Enabled(_ context.Context, citizen string) (bool, error) {
	var on bool
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := s.get(tx, citizen)
		on = r != nil && r.Active
		return err
	})
	return on, err
}

// Verify checks a login code and spends its step.
func (s *Store) Verify(_ context.Context, citizen, code string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		r, err := s.get(tx, citizen)
		if err != nil {
			return err
		}
		if r == nil || !r.Active {
			return ErrNotEnabled
		}
		step, err := s.check(r, code)
		if err != nil {
			return err
		}
		r.LastStep = step
		return s.put(tx, citizen, r)
	})
}

// Disable removes the citizen's second factor after a valid code (or
// unconditionally with code "" when force is true: erasure).
func (s *Store) Disable(_ context.Context, citizen, code string, force bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		r, err := s.get(tx, citizen)
		if err != nil || r == nil {
			return err
		}
		if !force && r.Active {
			if _, err := s.check(r, code); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketFactors).Delete([]byte(citizen))
	})
}

// check finds the step (now, or one either side) whose code is code, later
// than the last one accepted.
func (s *Store) check(r *record, code string) (int64, error) {
	if len(code) != 6 {
		return 0, ErrWrongCode
	}
	now := s.now()
	cur := now.Unix() / period
	for _, d := range []int64{0, -1, 1} {
		step := cur + d
		want, err := totp.GenerateCodeCustom(r.Secret, time.Unix(step*period, 0), totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			if step <= r.LastStep {
				return 0, ErrWrongCode
			}
			return step, nil
		}
	}
	return 0, ErrWrongCode
}
