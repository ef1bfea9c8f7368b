// Package issuer turns the administrations' register data into signed,
// revocable verifiable credentials.
//
// Each administration (a municipality's census office, the Agència Tributària
// de Catalunya, a university, the social security treasury) is an issuer with
// its own did:web identity. Its DID document lists every signing key it ever
// used, so credentials signed before a key rotation still verify; new
// credentials use the newest key. Private keys are stored sealed under the
// deployment master key (internal/atrest) and opened only to sign.
//
// A credential is issued in one of two formats:
//
//   - SD-JWT VC (IETF SD-JWT + SD-JWT VC draft, typ dc+sd-jwt, ES256): every
//     personal claim is selectively disclosable; the holder key goes in cnf.
//   - W3C VC Data Model 1.1 in JSON-LD with an Ed25519Signature2020 proof,
//     canonicalised with an offline document loader.
//
// Every credential carries a status entry: an index in the issuer's IETF Token
// Status List (SD-JWT VC) or W3C Bitstring Status Lists (JSON-LD). Both views
// are derived from one 2-bit status array per list (0 valid, 1 revoked, 2
// suspended), so revoking a credential is one bbolt transaction whatever its
// format. Indexes are drawn at random from the unused ones (the status list
// drafts' advice: sequential indexes leak issuance order).
//
// A signed trust list (a JWT from the scheme operator, typ trustlist+jwt)
// names each administration's DID and the credential types it may issue;
// verifiers pin the operator's key and refuse a tax credential signed by a
// university.
//
// # Security
//
//   - Register data is validated before anything is signed; a bad record
//     issues nothing and names the record.
//   - Signing keys never leave the process unsealed; the bbolt file alone does
//     not reveal them.
//   - Status list indexes are random, and the lists are large (131,072 entries)
//     so a list does not single out a citizen.
//
// # Caveats
//
//   - The issuer database holds, per issued credential, the citizen's id, type
//     and status index: an administration knows whom it issued to. It never
//     holds the credential's salts or disclosures.
//   - One process owns the bbolt file: `espai issue` on a data directory that a
//     running `espai serve` holds fails with ErrBusy; use the HTTP API instead.
package issuer
