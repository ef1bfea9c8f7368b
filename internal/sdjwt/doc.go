// Package sdjwt issues, presents and verifies SD-JWT VCs: Selective
// Disclosure JWTs (RFC 9901) in the SD-JWT VC profile
// (draft-ietf-oauth-sd-jwt-vc). Keys are lestrrat-go/jwx JWKs; the compact
// JWS signing input and signature (RFC 7515 §5, RFC 7518 §3.4 R || S, RFC
// 8037) are computed with the standard library's crypto/ecdsa and
// crypto/ed25519 directly, which halves the cost of going through jws.Sign
// and jws.Verify (they re-serialise and re-parse what this package already
// built or checked); a test checks agreement with jwx in both directions. It
// does not use aries' sdjwt package, which implements draft-02 (no kb+jwt, no
// sd_hash).
//
// # Use
//
//	issued, err := sdjwt.Issue(signer, claims, []string{"given_name", "address.street"})
//	v, cred, err := sdjwt.Verify(ctx, issued, keys, now)                       // wallet, on receipt
//	pres, err := sdjwt.Present(issued, []string{"given_name"}, holder, aud, nonce, now)
//	v, cred, err := sdjwt.VerifyPresentation(ctx, pres, keys,
//		sdjwt.PresentationRequest{Audience: aud, Nonce: nonce}, now)           // verifier
//
// An issued SD-JWT is "<issuer-jwt>~<disclosure>~...~"; a presentation keeps
// the disclosures of the requested claims and ends with a key-binding JWT.
// Verify and VerifyPresentation write every check into an
// internal/verdict.Verdict (parse, issuer_key, signature, validity,
// disclosures; then holder_binding, audience, nonce, freshness, sd_hash) and
// return the credential with its reconstructed claims only when all passed;
// the error is then nil, otherwise a *CheckError wrapping ErrInvalid and the
// first failure's cause.
//
// # Security properties
//
//   - Algorithms are pinned to keys: ES256/ES384/ES512 for EC P-256/384/521,
//     EdDSA for Ed25519 (AlgForKey). The header alg must equal the pinned
//     one; none (any spelling), HS* and a mismatch (an ES256 header on an
//     Ed25519 key) are refused before any signature arithmetic.
//   - Keys come only from the caller's IssuerKeys (DID documents) and, for
//     key binding, from the credential's cnf.jwk. Headers jku, x5u, jwk, x5c
//     are refused, as are b64 and crit; kid must be a plain identifier (no
//     URL, no whitespace), never fetched.
//   - typ must be dc+sd-jwt (legacy vc+sd-jwt accepted) for credentials and
//     kb+jwt for key-binding JWTs, so neither can be replayed as the other.
//   - Disclosures: 128-bit salts from crypto/rand; digests SHA-256 only
//     (_sd_alg sha-256); each digest may appear once in the payload and
//     disclosures, each disclosure must be referenced exactly once, disclosed
//     names may not clash with plaintext ones, and iss, iat, exp, nbf, vct,
//     cnf, status, _sd_alg are never selectively disclosable (refused at
//     issuance and at verification). _sd arrays are sorted and padded with
//     1–4 decoys up to a multiple of DecoyBucket (4).
//   - Parsing is strict: unpadded base64url with no stray bits (each byte
//     string has one encoding), disclosures of exactly 3 or 2 elements with
//     string salt and name, no duplicate member names in JWS headers and
//     payloads, input bounded by MaxSize, claim nesting by 32 levels.
//   - Time: iat and nbf not after now+ClockSkew (60 s), exp after
//     now-ClockSkew; key-binding iat within PresentationRequest.MaxAge
//     (default 5 min) and not in the future beyond ClockSkew. The clock is
//     always a parameter. No option turns a check off.
//
// # Caveats
//
//   - Status (revocation/suspension), trust in the issuer for the vct and
//     single use of the nonce are the caller's checks: Credential exposes
//     Status, VCT, Issuer and Confirmation for them.
//   - Duplicate member names are detected at the top level of JWS headers and
//     payloads only, not inside nested objects or disclosure values (Go's
//     encoding/json keeps the last one there).
//   - Issue makes top-level claims and object members one level down
//     ("address.street") selectively disclosable; array elements are
//     verified when others issue them but not produced by Issue.
//   - Only cnf.jwk is supported as a confirmation method; only EC and
//     Ed25519 keys are accepted; RSA is refused.
//   - Present does not verify the issuer's signature: the wallet verifies a
//     credential once, on receipt (Verify).
//   - ECDSA signatures are malleable ((r, s) and (r, n-s) both verify), so a
//     third party can re-encode a presentation's key-binding JWT: key a nonce
//     cache on the nonce value, never on the presentation bytes.
//   - IssuerKeys receives the unverified iss: it must return a key only if
//     kid is an assertion method in iss's DID document.
package sdjwt
