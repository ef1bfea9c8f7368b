package wallet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/did"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	bolt "go.etcd.io/bbolt"
)

func TestEnrolUnlock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 12345678)
	en := e.enrol(t, strings.ToLower(id)) // ids are normalised
	if en.CitizenID != id {
		t.Fatalf("citizen id %q, want %q", en.CitizenID, id)
	}
	if !strings.HasPrefix(en.Keys.HolderDID, "did:key:z6Mk") {
		t.Errorf("holder DID %q is not an Ed25519 did:key", en.Keys.HolderDID)
	}
	doc, err := did.KeyDocument(en.Keys.HolderDID)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := doc.Key(en.Keys.HolderMethod, did.Authentication); err != nil || !bytes.Equal(k.(ed25519.PublicKey), en.Keys.Holder) {
		t.Errorf("did:key does not resolve to the holder key: %v", err)
	}
	if en.Keys.HolderJWK.KeyType() != jwa.OKP || en.Keys.Delivery.KeyType() != jwa.EC {
		t.Errorf("key types %s %s", en.Keys.HolderJWK.KeyType(), en.Keys.Delivery.KeyType())
	}
	if _, err := e.w.Enrol(ctx, id, testPass); !errors.Is(err, ErrAlreadyEnrolled) {
		t.Errorf("second enrol: %v, want ErrAlreadyEnrolled", err)
	}

	e.reopen(t) // keys survive a restart
	pub, err := e.w.PublicKeys(ctx, id)
	if err != nil || pub.HolderDID != en.Keys.HolderDID || pub.DeliveryKeyID() != en.Keys.DeliveryKeyID() {
		t.Fatalf("public keys after reopen: %v", err)
	}
	s := e.unlock(t, id)
	// The holder key signs, and verifies under the public JWK.
	hk, err := s.HolderJWK(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jws.Sign([]byte("kb"), jws.WithKey(jwa.EdDSA, hk))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(sig, jws.WithKey(jwa.EdDSA, pub.HolderJWK)); err != nil {
		t.Errorf("holder signature does not verify under the public JWK: %v", err)
	}
	ev, _, err := s.Activity(ctx, 0)
	if err != nil || len(ev) != 2 || ev[0].Kind != EventUnlocked || ev[1].Kind != EventEnrolled {
		t.Errorf("activity %+v, %v", ev, err)
	}
	s.Lock()
	if _, _, err := s.Credentials(ctx); !errors.Is(err, ErrLocked) {
		t.Errorf("after Lock: %v, want ErrLocked", err)
	}
	if _, err := s.HolderKey(ctx); !errors.Is(err, ErrLocked) {
		t.Errorf("holder key after Lock: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 1)
	e.enrol(t, id)
	before := dbBytes(t, e)
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"enrol invalid id", func() error { _, err := e.w.Enrol(ctx, "12345678A", testPass); return err }, ErrInvalidCitizen},
		{"enrol empty id", func() error { _, err := e.w.Enrol(ctx, "", testPass); return err }, ErrInvalidCitizen},
		{"enrol short passphrase", func() error { _, err := e.w.Enrol(ctx, citizenID(t, 2), "short"); return err }, ErrWeakPassphrase},
		{"unlock wrong passphrase", func() error { _, err := e.w.Unlock(ctx, id, testPass+"!"); return err }, ErrWrongPassphrase},
		{"unlock unknown", func() error { _, err := e.w.Unlock(ctx, citizenID(t, 3), testPass); return err }, ErrNotEnrolled},
		// A login form must not tell who has a wallet: same error as a wrong passphrase.
		{"login unknown", func() error { _, err := e.w.UnlockForLogin(ctx, citizenID(t, 3), testPass, 0); return err }, ErrWrongPassphrase},
		{"login not an id", func() error { _, err := e.w.UnlockForLogin(ctx, "12345678A", testPass, 2); return err }, ErrWrongPassphrase},
		{"login wrong passphrase", func() error { _, err := e.w.UnlockForLogin(ctx, id, testPass+"!", 3); return err }, ErrWrongPassphrase},
		{"recover wrong code", func() error {
			_, err := e.w.Recover(ctx, id, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", testPass)
			return err
		}, ErrWrongRecoveryCode},
		{"recover garbage code", func() error { _, err := e.w.Recover(ctx, id, "nope", testPass); return err }, ErrWrongRecoveryCode},
		{"deliver garbage", func() error { _, err := e.w.Deliver(ctx, id, []byte("a.b.c.d.e")); return err }, ErrBadDelivery},
		{"deliver unknown", func() error { _, err := e.w.Deliver(ctx, citizenID(t, 3), []byte("x")); return err }, ErrNotEnrolled},
		{"pseudonym unknown", func() error { _, err := e.w.PseudonymSecret(ctx, citizenID(t, 3)); return err }, ErrNotEnrolled},
		{"import garbage", func() error { _, err := e.w.Import(ctx, strings.NewReader("ESPAIWBK garbage"), testPass); return err }, ErrBadBackup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if !bytes.Equal(before, dbBytes(t, e)) {
		t.Error("bad input changed the database")
	}
}

// dbBytes dumps every key and value, for "nothing changed" checks.
func dbBytes(t *testing.T, e *env) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := e.w.db.View(func(tx *bolt.Tx) error {
		var walk func(b *bolt.Bucket, depth int) error
		walk = func(b *bolt.Bucket, depth int) error {
			return b.ForEach(func(k, v []byte) error {
				buf.Write(k)
				buf.WriteByte(byte(depth))
				if v == nil {
					return walk(b.Bucket(k), depth+1)
				}
				buf.Write(v)
				return nil
			})
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			buf.Write(name)
			return walk(b, 1)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPassphraseChangeAndRecovery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 42)
	en := e.enrol(t, id)
	s := e.unlock(t, id)
	credID := storeCredential(t, e, s, "valid:census")

	const next = "a brand new passphrase à la catalana"
	if err := s.ChangePassphrase(ctx, "wrong passphrase!!", next); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("change with wrong current: %v", err)
	}
	if err := s.ChangePassphrase(ctx, testPass, next); err != nil {
		t.Fatal(err)
	}
	if _, err := e.w.Unlock(ctx, id, testPass); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("old passphrase still works: %v", err)
	}
	// NFD input of the same passphrase unlocks (NFC normalisation).
	nfd := strings.Replace(next, "à", "a\u0300", 1)
	s2, err := e.w.Unlock(ctx, id, nfd)
	if err != nil {
		t.Fatalf("unlock with new passphrase (NFD): %v", err)
	}
	if c, err := s2.Credential(ctx, credID); err != nil || c.Type != "census" {
		t.Errorf("records after re-wrap: %v", err)
	}
	s2.Lock()

	// Recovery: with separators stripped, lower case, and confusable digits.
	code := strings.ToLower(strings.ReplaceAll(string(en.RecoveryCode), "-", " "))
	code = strings.NewReplacer("o", "0", "i", "1").Replace(code)
	newCode, err := e.w.Recover(ctx, id, code, "recovered passphrase 123")
	if err != nil {
		t.Fatal(err)
	}
	if newCode == en.RecoveryCode {
		t.Error("recovery code not rotated")
	}
	if _, err := e.w.Recover(ctx, id, string(en.RecoveryCode), "recovered again 1234"); !errors.Is(err, ErrWrongRecoveryCode) {
		t.Errorf("used recovery code still works: %v", err)
	}
	s3, err := e.w.Unlock(ctx, id, "recovered passphrase 123")
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Lock()
	if _, err := s3.Credential(ctx, credID); err != nil {
		t.Errorf("records after recovery: %v", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, func(c *Config) { c.Now = clk.Now; c.IdleTimeout = time.Minute })
	ctx := context.Background()
	id := citizenID(t, 7)
	e.enrol(t, id)
	s := e.unlock(t, id)
	clk.Advance(59 * time.Second)
	if _, _, err := s.Credentials(ctx); err != nil {
		t.Fatalf("before timeout: %v", err)
	}
	clk.Advance(59 * time.Second) // use refreshed the timer
	if s.Locked() {
		t.Fatal("locked before idle timeout")
	}
	clk.Advance(2 * time.Second)
	if _, _, err := s.Credentials(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("after timeout: %v, want ErrLocked", err)
	}
	if !s.Locked() {
		t.Error("session not locked")
	}
}

func TestUnlockBoundedConcurrency(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxConcurrentUnlocks = 1 })
	id := citizenID(t, 8)
	e.enrol(t, id)
	// Hold the only slot, as a long Argon2id derivation would.
	release, err := e.w.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.w.Unlock(ctx, id, testPass); !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Errorf("unlock with slots taken: %v, want ErrBusy", err)
	}
	release()
	if s, err := e.w.Unlock(context.Background(), id, testPass); err != nil {
		t.Errorf("unlock after release: %v", err)
	} else {
		s.Lock()
	}
}

func TestPseudonymSecret(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := citizenID(t, 10), citizenID(t, 11)
	e.enrol(t, a)
	e.enrol(t, b)
	sa, err := e.w.PseudonymSecret(ctx, a)
	if err != nil || len(sa) != PseudonymSecretSize {
		t.Fatalf("secret: %v", err)
	}
	sb, _ := e.w.PseudonymSecret(ctx, b)
	if bytes.Equal(sa, sb) {
		t.Error("two citizens share a pseudonym secret")
	}
	e.reopen(t)
	if again, _ := e.w.PseudonymSecret(ctx, a); !bytes.Equal(again, sa) {
		t.Error("secret changed across reopen")
	}
	// Under another master key it does not open (nor does the database).
	e.w.Close()
	other, _ := atrestNew(t, 1)
	if _, err := Open(ctx, e.path, other, nil, e.cfg); err == nil {
		t.Error("opened with another master key")
	}
	e.open(t)
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		c    *Config
		ok   bool
	}{
		{"nil", nil, true},
		{"zero", &Config{}, true},
		{"test params", &Config{Argon2: testArgon2}, true},
		{"negative timeout", &Config{IdleTimeout: -1}, false},
		{"bad argon2", &Config{Argon2: Argon2Params{Time: 1, MemoryKiB: 4, Threads: 1}}, false},
		{"huge argon2", &Config{Argon2: Argon2Params{Time: 1, MemoryKiB: 8 << 20, Threads: 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if err := DefaultArgon2Params().Validate(); err != nil {
		t.Error(err)
	}
}
