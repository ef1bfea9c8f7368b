package mfa

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, now *time.Time) *Store {
	t.Helper()
	sealer, err := atrest.LoadOrCreate(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(t.TempDir(), "mfa.db"), sealer, func() time.Time { return *now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEnrolVerifyReplayDisable(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 5, 0, time.UTC)
	s := open(t, &now)
	const laia = "12345678Z"
	if on, _ := s.Enabled(ctx, laia); on {
		t.Fatal("enabled before enrolment")
	}
	e, err := s.Begin(ctx, laia)
	if err != nil {
		t.Fatal(err)
	}
	if on, _ := s.Enabled(ctx, laia); on {
		t.Fatal("a pending secret must not be active")
	}
	if err := s.Verify(ctx, laia, code(t, e.Secret, now)); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("verify before confirm: %v", err)
	}
	if err := s.Confirm(ctx, laia, "000000"); !errors.Is(err, ErrWrongCode) && code(t, e.Secret, now) != "000000" {
		t.Fatalf("wrong confirm code: %v", err)
	}
	if err := s.Confirm(ctx, laia, code(t, e.Secret, now)); err != nil {
		t.Fatal(err)
	}
	// The confirmation code is spent; the next step's code works once.
	if err := s.Verify(ctx, laia, code(t, e.Secret, now)); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("replayed confirmation code: %v", err)
	}
	now = now.Add(30 * time.Second)
	c := code(t, e.Secret, now)
	if err := s.Verify(ctx, laia, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx, laia, c); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("replay: %v", err)
	}
	// Drift of one step is accepted, two is not.
	now = now.Add(5 * time.Minute)
	if err := s.Verify(ctx, laia, code(t, e.Secret, now.Add(-30*time.Second))); err != nil {
		t.Fatalf("one step late: %v", err)
	}
	if err := s.Verify(ctx, laia, code(t, e.Secret, now.Add(-90*time.Second))); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("three steps late: %v", err)
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if err := s.Verify(ctx, laia, bad); !errors.Is(err, ErrWrongCode) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	// Begin again while active is refused; disabling needs a valid code.
	if _, err := s.Begin(ctx, laia); err == nil {
		t.Fatal("a second enrolment replaced the active factor")
	}
	if err := s.Disable(ctx, laia, "000000", false); err == nil && code(t, e.Secret, now) != "000000" {
		t.Fatal("disabled with a wrong code")
	}
	now = now.Add(time.Minute)
	if err := s.Disable(ctx, laia, code(t, e.Secret, now), false); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.Enabled(ctx, laia); on {
		t.Fatal("still enabled")
	}
}

func TestPendingEnrolmentExpiresAndSecretsAreSealed(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := open(t, &now)
	e, err := s.Begin(ctx, "38765432J")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute)
	if err := s.Confirm(ctx, "38765432J", code(t, e.Secret, now)); !errors.Is(err, ErrNoEnrolment) {
		t.Fatalf("stale enrolment confirmed: %v", err)
	}
	// The secret is not in the file in clear.
	var raw []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		raw = append(raw, tx.Bucket(bucketFactors).Get([]byte("38765432J"))...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || bytes.Contains(raw, []byte(e.Secret)) {
		t.Fatal("secret stored in clear or not at all")
	}
}
