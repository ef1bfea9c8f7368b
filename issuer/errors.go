package issuer

import "errors"

var (
	// ErrUnknownAdministration means no administration with that id is onboarded (HTTP 404).
	ErrUnknownAdministration = errors.New("unknown administration")
	// ErrNotAllowed means the administration may not issue this credential type
	// (HTTP 403): the trust list would reject it anyway.
	ErrNotAllowed = errors.New("administration may not issue this credential type")
	// ErrUnknownCredential means no issued credential has that id (HTTP 404).
	ErrUnknownCredential = errors.New("unknown credential")
	// ErrNothingToIssue means the register holds no record of that type for the
	// citizen (for example no university degree): HTTP 404, nothing issued.
	ErrNothingToIssue = errors.New("no register record to issue from")
	// ErrStatusTransition means the requested status change is not allowed from
	// the current state (a revoked credential stays revoked): HTTP 409.
	ErrStatusTransition = errors.New("status change not allowed")
	// ErrStatusListFull means an administration exhausted its status lists;
	// never expected in practice (lists are added as needed): HTTP 503.
	ErrStatusListFull = errors.New("status list full")
	// ErrNoHolder means the credential must be bound to a holder but the
	// citizen has no wallet yet: enrol the citizen first (HTTP 409).
	ErrNoHolder = errors.New("no holder key to bind the credential to")
	// ErrBusy means another process (a running espai serve) holds the issuer
	// database: use the HTTP API or stop the server.
	ErrBusy = errors.New("issuer database is in use by another espai process")
)
