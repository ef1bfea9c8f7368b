package mfa

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
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
	if _, err := s.Begin(ctx, laia); !errors.Is(err, ErrActive) {
		t.Fatalf("a second enrolment replaced the active factor: %v", err)
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

// TestBeginAsOtherKeys: the staff consoles' records live beside the
// citizens' under keys of their own, named in the app as the caller says,
// sealed and spent the same way, and bound to their key.
func TestBeginAsOtherKeys(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 5, 0, time.UTC)
	s := open(t, &now)
	const key = "staff:0123456789abcdef01234567"
	e, err := s.BeginAs(ctx, key, "Espai (consola)", "montse.pujol")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.URL)
	if err != nil || u.Scheme != "otpauth" || u.Query().Get("issuer") != "Espai (consola)" || !strings.Contains(u.Path, "montse.pujol") || strings.Contains(e.URL, "0123456789abcdef") {
		t.Fatalf("otpauth URL %q", e.URL)
	}
	if err := s.Confirm(ctx, key, code(t, e.Secret, now)); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, key); !f.TOTP || f.Passkeys != 0 {
		t.Fatalf("factors %+v", f)
	}
	if _, err := s.BeginAs(ctx, key, "Espai (consola)", "montse.pujol"); !errors.Is(err, ErrActive) {
		t.Fatalf("second enrolment: %v", err)
	}
	// Another key (a citizen's, another account's) has nothing, and the
	// sealed record copied to it does not open.
	now = now.Add(30 * time.Second)
	if err := s.Verify(ctx, "staff:other", code(t, e.Secret, now)); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("another key: %v", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFactors).Put([]byte("staff:other"), bytes.Clone(tx.Bucket(bucketFactors).Get([]byte(key))))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx, "staff:other", code(t, e.Secret, now)); err == nil || errors.Is(err, ErrWrongCode) {
		t.Fatalf("a record copied to another key opened: %v", err)
	}
	if err := s.Verify(ctx, key, code(t, e.Secret, now)); err != nil {
		t.Fatal(err)
	}
	// Forget removes it without a code (an admin's removal, lost phone).
	if err := s.Forget(ctx, key); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, key); f.Any() {
		t.Fatal("still enabled after Forget")
	}
}
