package statuslist

import "errors"

var (
	// ErrMalformed means a status list, token or entry is not well-formed:
	// bad base64, a broken zlib/gzip stream, trailing data, an unknown bits
	// value, a bad index string. The list cannot be used: fail the status
	// check closed (the credential is not accepted), never assume VALID.
	ErrMalformed = errors.New("statuslist: malformed status list")
	// ErrTooLarge means a compressed list inflates beyond the allowed size
	// (a zip bomb, or a list larger than this verifier accepts). Decoding
	// stopped as soon as the limit was passed. Fail the status check closed.
	ErrTooLarge = errors.New("statuslist: status list exceeds the size limit")
	// ErrRange means an index lies outside the list, or a status value does
	// not fit in the list's bits. At verification fail the status check; at
	// issuance it is a programming error (the allocator handed out a bad index).
	ErrRange = errors.New("statuslist: index or value out of range")
	// ErrInvalidToken means a Status List Token failed verification (typ,
	// signature, subject, expiry). Fail the status check closed; the cause
	// says which, and wraps the key lookup's error when there was one.
	ErrInvalidToken = errors.New("statuslist: invalid status list token")
)
