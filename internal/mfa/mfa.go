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

// Issuer is the name authenticator apps show.
const Issuer = "El Meu Espai"

const (
	period     = 30
	sealLabel  = "espai/mfa/totp/v1"
	pendingFor = 15 * time.Minute
)

var (
	bucketFactors  = []byte("totp")     // citizen -> sealed TOTP record
	bucketPasskeys = []byte("passkeys") // citizen -> sealed passkey record (passkey.go)
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
		for _, b := range [][]byte{bucketFactors, bucketPasskeys} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
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
// factor stays as it is (ErrActive): turn it off first.
func (s *Store) Begin(ctx context.Context, citizen string) (*Enrolment, error) {
	return s.BeginAs(ctx, citizen, Issuer, citizen)
}

// BeginAs is Begin for the record of key, with the names an authenticator
// app shows for it: issuer and account (Begin's are Issuer and the
// citizen's id). The staff consoles keep their accounts' secrets here under
// keys of their own ("staff:" and the account's id), which no DNI/NIE can
// equal, and show the login name in the app.
func (s *Store) BeginAs(_ context.Context, key, issuer, account string) (*Enrolment, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		r, err := s.get(tx, key)
		if err != nil {
			return err
		}
		if r != nil && r.Active {
			return ErrActive
		}
		return s.put(tx, key, &record{Secret: k.Secret(), Created: s.now().UTC()})
	})
	if err != nil {
		return nil, err
	}
	return &Enrolment{Secret: k.Secret(), URL: k.URL()}, nil
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

// Enabled reports whether citizen has a second factor: an active TOTP
// secret or at least one passkey (a blocked one too: it must not fall back
// to the passphrase alone). A login then needs one of them.
func (s *Store) Enabled(ctx context.Context, citizen string) (bool, error) {
	f, err := s.Factors(ctx, citizen)
	return f.Any(), err
}

// Factors says which second factors citizen has.
func (s *Store) Factors(_ context.Context, citizen string) (Factors, error) {
	var f Factors
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := s.get(tx, citizen)
		if err != nil {
			return err
		}
		f.TOTP = r != nil && r.Active
		pr, err := s.getPasskeys(tx, citizen)
		if err != nil || pr == nil {
			return err
		}
		for _, k := range pr.Keys {
			if k.Credential.Authenticator.CloneWarning {
				f.Blocked++
			} else {
				f.Passkeys++
			}
		}
		return nil
	})
	return f, err
}

// Factors are a citizen's second factors.
type Factors struct {
	TOTP     bool // an active TOTP secret
	Passkeys int  // passkeys that can be used
	Blocked  int  // passkeys refused because they may have been copied
}

// Any reports whether a login needs a second factor.
func (f Factors) Any() bool { return f.TOTP || f.Passkeys > 0 || f.Blocked > 0 }

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

// Disable removes the citizen's TOTP secret after a valid code (or
// unconditionally with code "" when force is true). Passkeys stay: see
// RemovePasskey, and Forget for erasure.
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
