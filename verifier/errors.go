package verifier

import "errors"

var (
	// ErrBadRequest means a presentation request or response is malformed:
	// HTTP 400, nothing stored.
	ErrBadRequest = errors.New("malformed presentation request or response")
	// ErrExpired means the presentation request expired: the verifier creates a
	// new one (HTTP 410).
	ErrExpired = errors.New("presentation request expired")
	// ErrNotFound means no such request (HTTP 404).
	ErrNotFound = errors.New("presentation request not found")
	// ErrAnswered means the request already received its one response (HTTP 409):
	// a replayed or second response is refused.
	ErrAnswered = errors.New("presentation request already answered")
	// ErrReplay means a presentation or nonce was seen before: refuse it.
	ErrReplay = errors.New("presentation replayed")
	// ErrStatusUnavailable means a status list could not be fetched or
	// verified: verification fails closed (the credential is not accepted).
	ErrStatusUnavailable = errors.New("status list unavailable")
)
