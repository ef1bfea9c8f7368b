package wallet

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/register"
	bolt "go.etcd.io/bbolt"
)

// testArgon2 keeps tests fast on a shared 2-core machine; production uses
// DefaultArgon2Params.
var testArgon2 = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

const testPass = "correct horse battery staple"

func testConfig() Config {
	return Config{Argon2: testArgon2, WrongPassphraseDelay: -1}
}

func citizenID(t testing.TB, n int) string {
	t.Helper()
	id, err := register.DNI(n)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func testSealer(t testing.TB) *atrest.Sealer {
	t.Helper()
	s, err := atrest.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type env struct {
	path   string
	sealer *atrest.Sealer
	cfg    Config
	w      *Wallet
	check  *fakeChecker
}

func newEnv(t testing.TB, mod ...func(*Config)) *env {
	t.Helper()
	e := &env{path: filepath.Join(t.TempDir(), "wallet.db"), sealer: testSealer(t), cfg: testConfig(), check: &fakeChecker{}}
	for _, m := range mod {
		m(&e.cfg)
	}
	e.open(t)
	t.Cleanup(func() {
		if e.w != nil {
			checkDB(t, e.w.db)
			e.w.Close()
		}
	})
	return e
}

func (e *env) open(t testing.TB) {
	t.Helper()
	w, err := Open(context.Background(), e.path, e.sealer, e.check, e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.w = w
}

func (e *env) reopen(t testing.TB) {
	t.Helper()
	checkDB(t, e.w.db)
	if err := e.w.Close(); err != nil {
		t.Fatal(err)
	}
	e.open(t)
}

func (e *env) enrol(t testing.TB, id string) *Enrolment {
	t.Helper()
	en, err := e.w.Enrol(context.Background(), id, testPass)
	if err != nil {
		t.Fatal(err)
	}
	return en
}

func (e *env) unlock(t testing.TB, id string) *Session {
	t.Helper()
	s, err := e.w.Unlock(context.Background(), id, testPass)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Lock)
	return s
}

// checkDB runs bbolt's consistency check.
func checkDB(t testing.TB, db *bolt.DB) {
	t.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Errorf("bbolt Tx.Check: %v", err)
	}
}

// fakeChecker is a hand-written CredentialChecker: credentials are the
// strings "valid:<type>", "invalid:<reason>", "retry" or "bound:<holder>",
// optionally followed by a space and padding.
type fakeChecker struct {
	mu    sync.Mutex
	calls int
}

func (f *fakeChecker) CheckCredential(ctx context.Context, raw []byte) (*CheckedCredential, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	s := string(raw)
	var kind, arg string
	if _, err := fmt.Sscanf(s, "%s", &kind); err != nil {
		return nil, fmt.Errorf("unreadable credential")
	}
	for i := range s {
		if s[i] == ':' {
			kind, arg = s[:i], s[i+1:]
			break
		}
	}
	ok := &CheckedCredential{
		Format: credential.SDJWT, Type: credential.Census, Issuer: "did:web:espai.localhost:issuers:bcn",
		IssuedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Claims: map[string]any{"municipality": "Barcelona"},
		Status: &StatusRef{URI: "https://espai.localhost/status/1", Index: 7},
	}
	switch kind {
	case "valid":
		arg, _, _ = strings.Cut(arg, " ") // the rest is padding
		if arg != "" {
			ok.Type = credential.Type(arg)
		}
		return ok, nil
	case "bound":
		ok.Holder = arg
		return ok, nil
	case "invalid":
		return nil, fmt.Errorf("%s", arg)
	case "retry":
		return nil, fmt.Errorf("status list unreachable: %w", ErrRetryLater)
	}
	return nil, fmt.Errorf("not a credential")
}

func deliver(t testing.TB, e *env, id, kind string, payload []byte) string {
	t.Helper()
	pub, err := e.w.PublicKeys(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	j, err := SealForDelivery(pub.Delivery, kind, payload)
	if err != nil {
		t.Fatal(err)
	}
	did, err := e.w.Deliver(context.Background(), id, j)
	if err != nil {
		t.Fatal(err)
	}
	return did
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func atrestNew(t testing.TB, fill byte) (*atrest.Sealer, error) {
	t.Helper()
	k := make([]byte, 32)
	for i := range k {
		k[i] = fill
	}
	return atrest.New(k)
}

// storeCredential delivers raw to the session's citizen, opens the inbox and
// returns the stored credential's id.
func storeCredential(t testing.TB, e *env, s *Session, raw string) string {
	t.Helper()
	deliver(t, e, s.CitizenID(), DeliveryCredential, []byte(raw))
	rep, err := s.OpenInbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Credentials) != 1 {
		t.Fatalf("inbox report %+v, want one credential", rep)
	}
	return rep.Credentials[0]
}
