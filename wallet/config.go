package wallet

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults used for zero Config fields.
const (
	// DefaultIdleTimeout drops an unused session's keys after 15 minutes.
	DefaultIdleTimeout = 15 * time.Minute
	// DefaultMaxConcurrentUnlocks bounds simultaneous Argon2id derivations:
	// with the default 64 MiB each, two cost 128 MiB and keep both cores of
	// the reference machine busy without swapping.
	DefaultMaxConcurrentUnlocks = 2
	// DefaultWrongPassphraseDelay is added after a failed unwrap, on top of
	// the Argon2id time, so online guessing stays slow even with weak
	// parameters.
	DefaultWrongPassphraseDelay = time.Second
	// DefaultMinPassphraseLen is 12 characters (Unicode code points after
	// NFC normalisation). NIST SP 800-63B asks for at least 8; the passphrase
	// here also protects the data offline (Argon2id), so a longer minimum.
	DefaultMinPassphraseLen = 12
	// DefaultMaxDeliverySize bounds one compact JWE: a large working-life
	// credential is a few KB, receipts ~3 KB.
	DefaultMaxDeliverySize = 256 << 10
	// DefaultMaxInboxItems bounds unopened deliveries per citizen.
	DefaultMaxInboxItems = 1000
	// DefaultMaxBatchSize is bbolt's batch size for deliveries: near the
	// expected number of concurrent writers (DEPENDENCIES.md).
	DefaultMaxBatchSize = 64
	// DefaultMaxBatchDelay is how long a delivery waits for others to join
	// its commit.
	DefaultMaxBatchDelay = 5 * time.Millisecond
	// DefaultMaxBackupSize bounds a backup file read by Import.
	DefaultMaxBackupSize = 64 << 20
	// DefaultOpenTimeout is how long Open waits for the file lock.
	DefaultOpenTimeout = time.Second
)

// Config tunes a Wallet. The zero value is the production configuration;
// every field documents its default.
type Config struct {
	// Argon2 are the parameters used for new passphrase wraps and backups.
	// Zero: DefaultArgon2Params (RFC 9106 second recommendation). Tests use
	// small values; stored wraps keep the parameters they were made with.
	Argon2 Argon2Params
	// IdleTimeout locks a session not used for that long. Zero: 15 minutes.
	IdleTimeout time.Duration
	// MaxConcurrentUnlocks bounds simultaneous Argon2id derivations (unlock,
	// enrol, passphrase change, export, import). Zero: 2.
	MaxConcurrentUnlocks int
	// WrongPassphraseDelay is waited after a wrong passphrase or recovery
	// code. Zero: 1 s. Negative: no delay (tests only).
	WrongPassphraseDelay time.Duration
	// MinPassphraseLen is the minimum passphrase length in characters. Zero: 12.
	MinPassphraseLen int
	// MaxDeliverySize bounds one delivered JWE in bytes. Zero: 256 KiB.
	MaxDeliverySize int
	// MaxInboxItems bounds unopened deliveries per citizen. Zero: 1000.
	MaxInboxItems int
	// MaxBatchSize and MaxBatchDelay tune bbolt's Batch for deliveries.
	// Zero: 64 and 5 ms.
	MaxBatchSize  int
	MaxBatchDelay time.Duration
	// MaxBackupSize bounds a backup read by Import. Zero: 64 MiB.
	MaxBackupSize int64
	// OpenTimeout is how long Open waits for the database lock held by
	// another process before ErrDBBusy. Zero: 1 s.
	OpenTimeout time.Duration
	// Now is the clock (event times, idle timeout). Nil: time.Now.
	Now func() time.Time
	// Log receives operational messages, never personal data. Nil discards.
	Log *slog.Logger
}

// Validate reports whether c is usable. It is nil-safe: a nil Config is the
// default configuration.
func (c *Config) Validate() error {
	if c == nil {
		return nil
	}
	var errs []error
	if c.Argon2 != (Argon2Params{}) {
		if err := c.Argon2.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"IdleTimeout", int64(c.IdleTimeout)},
		{"MaxConcurrentUnlocks", int64(c.MaxConcurrentUnlocks)},
		{"MinPassphraseLen", int64(c.MinPassphraseLen)},
		{"MaxDeliverySize", int64(c.MaxDeliverySize)},
		{"MaxInboxItems", int64(c.MaxInboxItems)},
		{"MaxBatchSize", int64(c.MaxBatchSize)},
		{"MaxBatchDelay", int64(c.MaxBatchDelay)},
		{"MaxBackupSize", c.MaxBackupSize},
		{"OpenTimeout", int64(c.OpenTimeout)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("wallet config: %s is negative", f.name))
		}
	}
	if c.MaxDeliverySize > 16<<20 {
		errs = append(errs, errors.New("wallet config: MaxDeliverySize above 16 MiB"))
	}
	return errors.Join(errs...)
}

// withDefaults returns a copy with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Argon2 == (Argon2Params{}) {
		c.Argon2 = DefaultArgon2Params()
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defD(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.MaxConcurrentUnlocks, DefaultMaxConcurrentUnlocks)
	defD(&c.WrongPassphraseDelay, DefaultWrongPassphraseDelay)
	def(&c.MinPassphraseLen, DefaultMinPassphraseLen)
	def(&c.MaxDeliverySize, DefaultMaxDeliverySize)
	def(&c.MaxInboxItems, DefaultMaxInboxItems)
	def(&c.MaxBatchSize, DefaultMaxBatchSize)
	defD(&c.MaxBatchDelay, DefaultMaxBatchDelay)
	defD(&c.OpenTimeout, DefaultOpenTimeout)
	if c.MaxBackupSize == 0 {
		c.MaxBackupSize = DefaultMaxBackupSize
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}
