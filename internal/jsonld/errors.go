package jsonld

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownContext means a document names a JSON-LD context the offline
	// loader does not hold. Nothing is ever fetched: at verification the
	// document is invalid (refuse it); at issuance it is a programming error.
	ErrUnknownContext = errors.New("unknown JSON-LD context")
	// ErrMalformed means the input is not a document Espai accepts: bad JSON,
	// a term no context defines, an inline or disallowed @context, a relative
	// IRI, a missing or duplicated proof. At verification refuse the document
	// (HTTP 400 / verdict invalid); at issuance fix the register data or code.
	ErrMalformed = errors.New("jsonld: malformed document")
	// ErrInvalid means verification ran and a check failed: refuse the
	// credential or presentation and show the verdict, which says which check.
	// Errors returned by the verifiers wrap it through *CheckError.
	ErrInvalid = errors.New("jsonld: verification failed")
	// ErrBadSigner means a Signer is unusable (wrong key size, method id not
	// a DID URL, key not matching the method): a configuration error.
	ErrBadSigner = errors.New("jsonld: bad signer")
)

// CheckError is the error of a failed verification: the verdict check that
// failed first and its cause. errors.Is(err, ErrInvalid) holds, and the cause
// stays reachable (a resolver's did.ErrNotFound, a context.DeadlineExceeded),
// so a caller can tell "invalid" from "could not resolve the key right now".
type CheckError struct {
	Check string // verdict check name, e.g. verdict.Signature
	Err   error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("jsonld: %s check failed: %v", e.Check, e.Err)
}

// Unwrap exposes both ErrInvalid and the cause.
func (e *CheckError) Unwrap() []error { return []error{ErrInvalid, e.Err} }
