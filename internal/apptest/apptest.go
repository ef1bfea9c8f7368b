// Package apptest opens real Espai deployments for tests: a demo data
// directory in t.TempDir(), real bbolt files, real keys, the 1,200-citizen
// demo registers, the five enrolled personas holding their credentials. Only
// the wallet's Argon2id cost is lowered (and its wrong-passphrase delay
// removed), so a test unlocks in microseconds instead of 150 ms.
package apptest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/wallet"
)

// Laia is the demo persona who holds one credential of each type.
const (
	Laia           = "12345678Z"
	LaiaPassphrase = "laia-demo-2026"
)

// Options returns app options for a fresh demo directory under t.TempDir().
func Options(t testing.TB) app.Options {
	return app.Options{
		Root: filepath.Join(t.TempDir(), "data"), Demo: true, Create: true,
		Wallet: wallet.Config{Argon2: wallet.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}, WrongPassphraseDelay: -1},
	}
}

// Demo opens a fresh demo deployment, closed when the test ends. now, when
// not nil, is the clock of every service.
func Demo(t testing.TB, now func() time.Time) *app.App {
	t.Helper()
	o := Options(t)
	o.Now = now
	a, err := app.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return a
}
