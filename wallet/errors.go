package wallet

import (
	"errors"
	"fmt"
)

// Sentinel errors. Each says how a caller should react; the HTTP layer maps
// them to status codes in one place and never shows err.Error() of other
// errors to a client.
var (
	// ErrInvalidCitizen means the citizen id is not a DNI or NIE with a valid
	// check letter: a usage error (HTTP 400). The message never quotes the id.
	ErrInvalidCitizen = errors.New("wallet: citizen id is not a valid DNI or NIE")
	// ErrNotEnrolled means the citizen has no wallet (never enrolled, or
	// erased): offer enrolment (HTTP 404). Issuers delivering to such a
	// citizen should issue unbound or wait.
	ErrNotEnrolled = errors.New("wallet: citizen has no wallet")
	// ErrAlreadyEnrolled means the citizen already has a wallet: unlock it
	// instead, or recover it with the recovery code (HTTP 409).
	ErrAlreadyEnrolled = errors.New("wallet: citizen already has a wallet")
	// ErrWeakPassphrase means the new passphrase is shorter than
	// Config.MinPassphraseLen characters: ask for a longer one (HTTP 400).
	ErrWeakPassphrase = errors.New("wallet: passphrase too short")
	// ErrWrongPassphrase means the passphrase did not unwrap the keys. It is
	// returned after Config.WrongPassphraseDelay and nothing was changed. Let
	// the citizen retry; never retry automatically (HTTP 401, rate-limit).
	ErrWrongPassphrase = errors.New("wallet: wrong passphrase")
	// ErrWrongRecoveryCode means the recovery code did not unwrap the keys;
	// returned after the same delay, nothing changed (HTTP 401, rate-limit).
	ErrWrongRecoveryCode = errors.New("wallet: wrong recovery code")
	// ErrLocked means the session was locked (Lock, idle timeout, erasure or
	// Close) and its keys are gone: unlock again (HTTP 401).
	ErrLocked = errors.New("wallet: session is locked")
	// ErrBusy means the caller's context ended while waiting for an unlock
	// slot (Config.MaxConcurrentUnlocks Argon2id derivations already run):
	// answer HTTP 503 with Retry-After and retry later.
	ErrBusy = errors.New("wallet: too many concurrent unlocks")
	// ErrNotFound means no record with that id exists in this wallet (HTTP 404).
	ErrNotFound = errors.New("wallet: no such record")
	// ErrDamaged means a stored record failed authentication: it was altered
	// on disk or copied from elsewhere. Show it to the citizen as damaged;
	// other records are unaffected. Never retry with other keys.
	ErrDamaged = errors.New("wallet: stored record is damaged")
	// ErrBadDelivery means a delivered JWE was refused before storage (wrong
	// algorithm, compression, size, key id, malformed): the issuer must fix
	// the message; retrying the same bytes fails again (HTTP 400).
	ErrBadDelivery = errors.New("wallet: delivery refused")
	// ErrInboxFull means the citizen's inbox already holds
	// Config.MaxInboxItems unopened deliveries: retry after the citizen
	// unlocks (HTTP 429 or 507).
	ErrInboxFull = errors.New("wallet: inbox full")
	// ErrBadBackup means a backup file is malformed, truncated, altered or
	// was exported with another passphrase; the two cannot be told apart by
	// design (authenticated encryption). Nothing was imported (HTTP 400).
	ErrBadBackup = errors.New("wallet: backup file cannot be opened")
	// ErrInvalidInput means an argument is malformed (empty kind, label too
	// long, bad receipt JSON...): a usage error (HTTP 400), nothing changed.
	ErrInvalidInput = errors.New("wallet: invalid input")
	// ErrDBBusy means another process holds the wallet database open: use
	// the running server's API or stop it.
	ErrDBBusy = errors.New("wallet: database is in use by another process")
	// ErrClosed means the Wallet was closed.
	ErrClosed = errors.New("wallet: closed")
)

// Damaged names one stored record that failed authentication. Lists return
// the readable records and the damaged ones side by side.
type Damaged struct {
	Kind string // record kind: "credential", "receipt", "event", "rejected", "inbox"
	ID   string
}

func (d Damaged) Error() string { return fmt.Sprintf("wallet: %s %s is damaged", d.Kind, d.ID) }

// Unwrap makes errors.Is(d, ErrDamaged) true.
func (d Damaged) Unwrap() error { return ErrDamaged }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
}

// ErrRetryLater is for CredentialChecker implementations: wrap it when a
// check could not be decided (a status list unreachable). The delivery then
// stays in the inbox and is checked again at the next opening instead of
// being rejected.
var ErrRetryLater = errors.New("wallet: credential check could not be decided now")
