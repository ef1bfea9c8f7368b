package sdjwt

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed means the input is not an SD-JWT Espai accepts: a bad
	// compact form, a disclosure that is not a JSON array of the right shape,
	// bad base64url, duplicate JSON member names, a missing iss or vct. When
	// verifying, refuse it (HTTP 400, verdict invalid); never try to repair it.
	ErrMalformed = errors.New("sdjwt: malformed SD-JWT")
	// ErrInvalid means verification ran and a check failed: refuse the
	// credential or presentation and show the verdict, which says which check.
	// Errors returned by Verify and VerifyPresentation wrap it through
	// *CheckError.
	ErrInvalid = errors.New("sdjwt: verification failed")
	// ErrBadSigner means a Signer is unusable (no key, a public key, an
	// algorithm that does not match the key, a kid that is not a plain
	// identifier): a configuration error, fix the key material.
	ErrBadSigner = errors.New("sdjwt: bad signer")
	// ErrNotDisclosable means an issuance request asked to make selectively
	// disclosable a claim that must stay plaintext (iss, iat, exp, nbf, vct,
	// cnf, status, _sd_alg), a claim that is not there, or a path deeper than
	// one level: a programming or register-mapping error, fix the request.
	ErrNotDisclosable = errors.New("sdjwt: claim cannot be selectively disclosed")
	// ErrUnknownClaim means a presentation was asked for a claim the
	// credential does not hold: tell the citizen the request cannot be
	// satisfied with this credential; do not present.
	ErrUnknownClaim = errors.New("sdjwt: credential has no such claim")
	// ErrBadRequest means a presentation request lacks its audience or nonce,
	// or has a negative freshness window: a programming error in the caller.
	ErrBadRequest = errors.New("sdjwt: incomplete presentation request")
)

// CheckError is the error of a failed verification: the verdict check that
// failed first and its cause. errors.Is(err, ErrInvalid) holds, and the cause
// stays reachable (a key lookup's not-found or timeout), so a caller can tell
// "invalid" from "could not resolve the issuer key right now".
type CheckError struct {
	Check string // verdict check name, e.g. verdict.Signature
	Err   error
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("sdjwt: %s check failed: %v", e.Check, e.Err)
}

// Unwrap exposes both ErrInvalid and the cause.
func (e *CheckError) Unwrap() []error { return []error{ErrInvalid, e.Err} }
