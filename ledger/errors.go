package ledger

import (
	"errors"
	"fmt"
)

// Sentinel errors. Each says how a caller should react.
var (
	// ErrInvalidEntry means the entry was rejected by validation (unknown kind,
	// missing or oversized field, field not allowed for its kind). Nothing was
	// appended. Fix the caller; in HTTP terms this is a 400.
	ErrInvalidEntry = errors.New("ledger: invalid entry")

	// ErrMalformed means bytes from outside (an entry, a checkpoint, a receipt or
	// a proof) do not parse. Treat the input as hostile: reject it, never retry.
	ErrMalformed = errors.New("ledger: malformed input")

	// ErrNotFound means the index, tree size or checkpoint does not exist (yet).
	// Over HTTP return 404; a client may retry once the log has grown.
	ErrNotFound = errors.New("ledger: not found")

	// ErrInvalidRange means a proof was asked for an impossible range (index not
	// below size, old size above new size, size above the latest checkpoint).
	// Return 400: the request is wrong, not the log.
	ErrInvalidRange = errors.New("ledger: invalid range")

	// ErrVerification means a signature, proof, leaf hash or commitment did not
	// verify. Fail closed: the data is not what the log signed. Never retry.
	ErrVerification = errors.New("ledger: verification failed")

	// ErrClosed means the Log was closed. Return 503 with Retry-After while the
	// process restarts; do not retry against the same Log value.
	ErrClosed = errors.New("ledger: log closed")

	// ErrOverloaded means the append queue is full and the caller's context ended
	// while waiting. Return 503 with Retry-After; the entry was not appended.
	ErrOverloaded = errors.New("ledger: append queue full")
)

// CheckError names the verification step that failed. errors.Is(err,
// ErrVerification) holds for every CheckError.
type CheckError struct {
	Check string // "entry", "leaf_hash", "checkpoint_signature", "origin", "inclusion", "consistency", "commitment"
	Err   error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("ledger: %s check failed: %v", e.Check, e.Err)
}

// Unwrap returns ErrVerification and the underlying cause.
func (e *CheckError) Unwrap() []error { return []error{ErrVerification, e.Err} }

func checkErr(check string, err error) error { return &CheckError{Check: check, Err: err} }

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidEntry, fmt.Sprintf(format, a...))
}

func malformed(what string, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, what, fmt.Sprintf(format, a...))
}
