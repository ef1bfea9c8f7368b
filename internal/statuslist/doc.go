// Package statuslist publishes and reads credential status: revocation and
// suspension of credentials Espai issues.
//
// Two formats, one per credential format:
//
//   - IETF Token Status List (draft-ietf-oauth-status-list), for SD-JWT VCs.
//     A List holds 2-bit entries (DefaultBits): 0 VALID, 1 INVALID (revoked,
//     final), 2 SUSPENDED (reversible), packed from the least significant bit
//     of byte 0, compressed with DEFLATE in zlib format (RFC 1950) and
//     base64url-encoded as status_list.lst. SignToken signs it as a Status
//     List Token (typ statuslist+jwt; iss, sub = the list URI, iat, exp, ttl,
//     status_list); VerifyToken verifies and decodes one. A credential points
//     into it with status.status_list {idx, uri} (sdjwt.StatusRef).
//   - W3C Bitstring Status List v1.0, for JSON-LD credentials. A Bitstring
//     holds at least 131,072 entries (16 KiB) of StatusSize bits, the first
//     entry at the most significant bit of byte 0, GZIP-compressed and
//     multibase base64url-encoded ("u" prefix) as encodedList. Subject is the
//     BitstringStatusList credentialSubject and Entry the credential's
//     BitstringStatusListEntry; the status list credential itself is signed
//     by the JSON-LD issuer.
//
// Index allocation (random, never reused) is the issuer's job.
//
// # Security properties
//
//   - Decompression is bounded: a list that inflates beyond the caller's
//     limit (DefaultMaxBytes, 4 MiB, when 0) fails with ErrTooLarge as soon as
//     the limit is passed, so a zip bomb costs a few milliseconds, not a
//     gigabyte. Trailing data, extra gzip members, bad checksums, padded or
//     standard-alphabet base64 and lists under the W3C minimum are refused.
//   - Status List Tokens are verified with sdjwt's JOSE rules: the algorithm
//     is pinned to the key found by the caller's lookup for (iss, kid); alg
//     none, MAC algorithms and jku/x5u/jwk/x5c/b64/crit headers are refused;
//     typ must be statuslist+jwt (a credential cannot pass for a list); sub
//     must equal the URI the list was fetched from (a list cannot be swapped
//     for another of the same issuer); iat and exp are checked with a 60 s
//     skew. Every failure means "status unknown": callers fail closed.
//
// # Caveats
//
//   - The caller must check that Token.Issuer is the credential's issuer,
//     and cap the cache lifetime (TTL) by its own maximum.
//   - Encode output is valid zlib/gzip but not byte-identical to the
//     draft's examples (produced by the C zlib): Go's compress/flate closes
//     a stream with an empty stored block. The examples decode exactly.
//   - CWT Status List Tokens and the statuslist+json (unsigned) form are not
//     implemented.
package statuslist
