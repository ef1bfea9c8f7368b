// Package mfa is the citizen's optional second factor, beside the wallet
// passphrase (AAL2): time-based one-time codes (TOTP, RFC 6238: SHA-1, 6
// digits, 30-second steps) as every authenticator app speaks them, and
// passkeys (WebAuthn), several per citizen. With either, a login needs the
// passphrase and then a code or a passkey; any one factor the citizen has
// completes it.
//
// # TOTP
//
// Secrets are sealed at rest with the deployment's at-rest key (AES-GCM,
// bound to the citizen's id), so a copy of mfa.db alone reveals nothing. A
// code is accepted one step either side of now (clock drift) and never
// twice: the last accepted step is stored, so a code seen over a shoulder or
// replayed from a log is refused. Comparisons are constant-time. A secret
// only becomes active once the citizen proved their app holds it (Confirm).
//
// The staff consoles keep their accounts' optional TOTP secrets in the same
// store, under the key "staff:" and the account's id (never a DNI/NIE):
// BeginAs names the login in the app; sealing, the drift, the spent step and
// Forget (an admin's removal) are the same. Staff have no passkeys here.
//
// # Passkeys
//
// Every WebAuthn verification (client data type, challenge, origin, RP ID
// hash, user presence, COSE public keys, signatures, backup flags) is
// github.com/go-webauthn/webauthn's; this package keeps the credentials and
// the ceremonies:
//
//   - A citizen's passkeys are one record in mfa.db (bucket "passkeys"),
//     sealed like the TOTP secret and bound to the citizen's id: a record
//     copied to another citizen fails to open. It holds a random 32-byte
//     WebAuthn user handle (never the DNI, which authenticators keep and may
//     sync), and for each passkey the citizen's name for it, its creation
//     and last-use times and the library's credential record (public key,
//     signature counter, flags). Public keys are not secret; the names and
//     times are the citizen's.
//   - A ceremony (Begin*, then Finish*) carries a fresh 32-byte challenge
//     and is good for one Finish, for the same citizen, within CeremonyFor
//     (5 minutes). The caller keeps it server-side, bound to the session or
//     the pending login; the browser only ever sees the options.
//   - The relying party comes from the deployment's public URL
//     (RelyingPartyFor): its host is the RP ID and its origin the only one
//     accepted. WebAuthn refuses IP addresses as RP IDs and browsers need a
//     secure context, so the default http://127.0.0.1:8080 maps to
//     localhost: the demo's passkeys work at http://localhost:8080.
//   - No attestation is asked for: which authenticator a citizen uses is not
//     the administration's business. User verification is preferred, not
//     required: the passkey is the "something you have".
//   - The signature counter is checked as go-webauthn reports it: when it
//     does not move forward (the library's clone warning), the assertion is
//     refused and the passkey is blocked, still listed so the citizen sees
//     it and removes it. Authenticators that keep no counter (synced
//     passkeys report 0) are never flagged.
//   - At most MaxPasskeys per citizen; an authenticator already registered
//     is excluded at registration.
//
// # Caveats
//
// Rate limiting of failed codes and assertions is the caller's (the web
// layer counts them per account and address, as wrong passphrases). Losing
// every second factor means turning them off through an identity check
// outside Espai (an office). Passkeys belong to their RP ID: moving the
// deployment to another host name (or between localhost and a real name)
// strands them, and the citizen registers new ones. Credential ids are
// unique per citizen, not across citizens: a passkey here is only ever a
// second factor for a citizen already named by their DNI/NIE and
// passphrase, never a username-less login, so a credential is only looked up
// among its owner's. A blocked passkey does not fall back to the passphrase
// alone: a citizen whose only factor is blocked needs the office too.
package mfa
