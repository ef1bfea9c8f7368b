// Package jsonld issues and verifies Espai's W3C Verifiable Credentials in
// their JSON-LD form (VC Data Model 1.1) with Ed25519Signature2020 proofs,
// through aries-framework-go, offline and strictly.
//
// # Use
//
//	p, err := jsonld.NewProcessor()                  // once per process
//	vc, err := p.Issue(ctx, cred, jsonld.Signer{MethodID: "did:web:espai.localhost:issuers:atc#key-1", Key: priv})
//	v, c, err := p.Verify(ctx, vc, jsonld.DIDKeys{Resolver: resolver}, now)
//	vp, err := p.Present(ctx, holder, [][]byte{vc}, nonce, audience, now)
//	v, pres, err := p.VerifyPresentation(ctx, vp, keys, jsonld.PresentationRequest{Challenge: nonce, Domain: audience}, now)
//	signed, err := p.Sign(ctx, statusListCredential, signer, jsonld.ProofOptions{Purpose: jsonld.PurposeAssertion, Created: now})
//
// Verify and VerifyPresentation always return a verdict listing every check
// that ran (internal/verdict names); the error is nil exactly when the
// verdict is valid and is otherwise a *CheckError wrapping ErrInvalid and the
// cause.
//
// # Contexts
//
// Documents use exactly these contexts, in this order: the VC 1.1 base
// context, the Ed25519Signature2020 suite context and Espai's context
// https://espai.localhost/contexts/espai/v1 (contexts/espai-v1.jsonld, embedded
// and @protected). Espai's context defines the four credential types, every
// claim term (IRIs under https://espai.localhost/vocab#) and the Bitstring
// Status List terms. aries' VC 1.1 base context lacks the latter and aries v0.3.2
// cannot parse VC 2.0 (its schema pins the 1.1 base context and it does not
// embed the 2.0 context), so Espai issues VC 1.1 and maps
// BitstringStatusListEntry, statusPurpose, statusListIndex,
// statusListCredential, BitstringStatusListCredential, BitstringStatusList
// and encodedList to the IRIs the VC 2.0 context uses
// (https://www.w3.org/ns/credentials/status#...): the signed RDF is the same
// as a VC 2.0 processor would produce for those terms.
//
// Datatypes: dates are coerced to xsd:date. Integers and booleans are left
// as native JSON, which JSON-LD already maps to xsd:integer and xsd:boolean:
// coercing them would make "240" and 240 canonicalize to the same literal,
// so the JSON type of a claim could change without breaking the signature.
// grade is an xsd:decimal carried as a JSON string ("8.25"): exact, and
// distinct from a JSON number. household, obligationsChecked and employment
// are @list containers, so their order and duplicates are signed too (plain
// JSON-LD arrays are unordered sets). The tax claim validUntil is the one
// term marked "@protected": false, because the VC 1.1 VerifiableCredential
// scoped context defines a (credential-level) validUntil of its own; inside
// credentialSubject Espai's definition applies.
//
// # Security properties
//
//   - Offline: the Loader holds aries' embedded contexts and Espai's, parsed
//     once; an unknown context URL is an error ("unknown JSON-LD context
//     <url>"), never a fetch. No credentialSchema is fetched
//     (WithNoCustomSchemaCheck).
//   - Strict: what is signed is what is read. aries' WithStrictValidation only
//     compares a compaction round trip by structure (it misses terms dropped
//     inside arrays of objects) and json-gold v0.4 has no safe mode, so this
//     package also refuses inline @context objects (hence @vocab injection and
//     protected-term redefinition), keywords and IRIs used as keys, null
//     values, relative @id/@type IRIs, and any value that JSON-LD expansion
//     drops (counted). Issue and Sign apply the same rules, so nothing
//     unsigned can be issued either.
//   - Exactly one proof, of type Ed25519Signature2020, base58btc proofValue,
//     only the members aries covers by the signature; unsigned documents are
//     refused (aries accepts them).
//   - The verification method must belong to the issuer (credentials) or the
//     holder (presentations), and the KeyResolver returns a key only for a
//     method listed under the required relationship (assertionMethod or
//     authentication). Proof purpose, challenge, domain, freshness, issuance
//     and expiry are checked here, since aries does not.
//   - Every credential inside a presentation is verified with the credential
//     checks, and its subject must be the presentation's holder.
//   - Clocks are injected: every time is a parameter. The tolerated skew is
//     DefaultSkew (60 s) in both directions; no option disables a check.
//   - aries panics are recovered into errors (guard): hostile input gives an
//     error, never a crash.
//
// # Caveats
//
//   - One credentialStatus object: aries v0.3.2 models credentialStatus as a
//     single TypedID and refuses an array, so a credential carries one
//     Bitstring Status List entry (one purpose). Status checking itself is
//     the caller's (internal/verdict Status).
//   - Only Espai's own vocabulary and contexts are accepted; credentials from
//     other ecosystems using other contexts are refused by design.
//   - Issuer trust (which administration may issue which type), status and
//     nonce replay are the caller's checks.
//   - did:jwk subjects are carried as strings; DIDKeys resolves what the
//     did.Resolver it wraps resolves (did:key, did:web).
//   - JSON-LD canonicalization is costly (several ms per credential on a
//     shared 2-core machine): the cached loader saves the per-lookup context
//     parsing, the canonicalization itself remains.
package jsonld
