// Package verifier checks credentials and presentations for any
// administration, and runs presentation requests (OpenID4VP-style, DCQL).
//
// Checker verifies one credential (SD-JWT VC or JSON-LD VC) or one
// presentation and returns a verdict.Verdict listing every check it ran:
// parse, issuer_key, signature, proof_purpose, validity, disclosures,
// issuer_trusted, status and, for presentations, holder_binding, audience,
// nonce, freshness, sd_hash and requested_claims. A verdict is valid only
// when every check passed; no option turns a check off. The format packages
// (internal/sdjwt, internal/jsonld) do the cryptographic and format checks;
// Checker adds the ones they leave to the caller: trust in the issuer for the
// credential type (the signed trust list), the status list, the type and
// claims a request asked for.
//
// Service keeps presentation requests and the replay cache in its own bbolt
// file: Service.VerifyPresentation spends a nonce and the presentation's hash
// once they verified, so the same presentation (or nonce) is refused after.
//
// # Security properties
//
//   - Issuer keys come only from DID resolution of the credential's own
//     issuer: the JWS kid must be a DID URL of iss and listed for
//     assertionMethod; no key from jwk/jku/x5u headers is ever used.
//   - Nothing an attacker names is fetched: a did:web is resolved only when
//     it is on the trust list, and the status list of a credential whose
//     issuer failed issuer_trusted is not fetched (status fails).
//   - Status lists must be signed by the credential's issuer and name the URI
//     they were fetched from; they are cached for their ttl (capped at
//     5 minutes) and an unreachable or invalid list fails closed.
//   - Nonces are spent per audience, so a citizen-initiated (QR)
//     presentation cannot spend a pending request's nonce.
//   - An SD-JWT presentation must disclose exactly the requested claims:
//     disclosing more is refused too (the verifier must not receive data its
//     registered purpose does not cover).
//
// # Caveats
//
//   - A JSON-LD credential cannot be disclosed selectively: a JSON-LD
//     presentation passes requested_claims when every requested claim is
//     present, and shows the rest of the credential too.
//   - The replay cache lives in one deployment's verifier.db; two deployments
//     verifying for the same audience do not share it.
//   - Disclosed claims are kept in verifier.db (not encrypted at rest) with
//     the verdict until the purpose's retention period ends (Purge).
//   - Expired replay entries are pruned on every spend (a scan of the cache),
//     fine for thousands of presentations per TTL, not for millions.
package verifier
