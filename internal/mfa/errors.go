package mfa

import "errors"

// Errors. None of them carries personal data; the web layer maps each to a
// message for the citizen.
var (
	// ErrWrongCode means the code is not the current one (or was used):
	// count it as a failed login attempt and ask again.
	ErrWrongCode = errors.New("mfa: wrong or used code")
	// ErrNotEnabled means the citizen has no active second factor of the
	// kind asked for (no TOTP secret, or no usable passkey).
	ErrNotEnabled = errors.New("mfa: no second factor")
	// ErrActive means Begin found a TOTP secret already active: turn it
	// off first.
	ErrActive = errors.New("mfa: a second factor is already active")
	// ErrNoEnrolment means Confirm came without Begin.
	ErrNoEnrolment = errors.New("mfa: no enrolment in progress")

	// ErrWrongPasskey means a passkey assertion (or registration) did not
	// verify: unknown credential, bad signature, wrong origin or challenge.
	// At login, count it as a failed attempt, like ErrWrongCode.
	ErrWrongPasskey = errors.New("mfa: passkey not verified")
	// ErrPasskeyBlocked means the passkey's signature counter did not move
	// forward, so it may have been copied: it is refused from now on, and
	// the citizen should remove it. Count it as a failed attempt.
	ErrPasskeyBlocked = errors.New("mfa: passkey blocked: its signature counter went backwards")
	// ErrCeremony means the ceremony is unknown, already used, expired or
	// another citizen's: start again (new options).
	ErrCeremony = errors.New("mfa: no passkey ceremony in progress")
	// ErrPasskeyName means the name given to a passkey is empty, too long
	// or has control characters: ask for another one.
	ErrPasskeyName = errors.New("mfa: bad passkey name")
	// ErrTooManyPasskeys means the citizen already has MaxPasskeys: remove
	// one first.
	ErrTooManyPasskeys = errors.New("mfa: too many passkeys")
	// ErrDuplicatePasskey means the authenticator's credential is already
	// registered for the citizen.
	ErrDuplicatePasskey = errors.New("mfa: passkey already registered")
	// ErrNoPasskey means no passkey of the citizen has that id.
	ErrNoPasskey = errors.New("mfa: no such passkey")
	// ErrNoRelyingParty means the deployment's public URL cannot carry
	// passkeys (an IP address other than loopback, or plain http on a host
	// other than localhost): passkeys are off; TOTP still works.
	ErrNoRelyingParty = errors.New("mfa: passkeys need the deployment's host name over https (or localhost)")
)
