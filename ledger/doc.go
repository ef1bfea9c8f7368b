// Package ledger is Espai's transparency log: an append-only record of every
// consent, refusal, withdrawal, verified presentation, Via Oberta data
// exchange and credential status change, which a citizen can check for their
// own events and an auditor can prove was never rewritten.
//
// # How it works
//
// Entries (version 1, byte layout in docs/ledger.md) are leaves of an RFC 6962
// Merkle tree, stored in one bbolt file (Layout.LedgerDB()) with the tree's
// stored hashes (golang.org/x/mod/sumdb/tlog layout). Log.Append is safe from
// many goroutines: a single writer group-commits every queued append into one
// bbolt transaction, signs one C2SP tlog-checkpoint (a signed note, Ed25519
// key named after the origin, "espai.localhost/ledger") for the new tree size
// in the same transaction, and answers after the fsync. So: one checkpoint is
// published per append batch, every published checkpoint is stored, and an
// acknowledged append survives kill -9. Each caller gets a Receipt (index,
// entry, leaf hash, signed checkpoint, inclusion proof) that VerifyReceipt
// checks offline with the log's verifier key.
//
// Read side: Entry, Entries, Latest, Checkpoint(s), InclusionProof,
// ConsistencyProof, TileData (tlog-tiles hashes). Package ledgerhttp serves
// them; package anchor anchors checkpoints on Ethereum; Audit recomputes the
// whole tree from the entries and checks checkpoints and chain anchors.
//
// # Security properties
//
//   - No personal data: the citizen is a Pseudonym, HMAC-SHA256 under a
//     per-citizen secret the wallet holds, different per administration; the
//     full receipt is a salted SHA-256 Commitment whose preimage the wallet
//     keeps. Erasing the wallet leaves the log valid and unlinkable.
//   - Entries hold public identifiers only; Validate rejects unknown kinds,
//     missing, misplaced and oversized fields, and anything but [A-Za-z0-9._:/-]
//     in identifiers (so "name=Maria" cannot be smuggled in as a claim name).
//   - Checkpoints are signed with an Ed25519 note key sealed at rest with
//     internal/atrest; the origin must equal the key name.
//   - Verification fails closed: VerifyReceipt, OpenCheckpoint,
//     VerifyInclusion, VerifyConsistency and VerifyCommitment return a
//     *CheckError (errors.Is ErrVerification) on any mismatch; nothing turns a
//     check off.
//
// # Caveats
//
//   - One checkpoint per batch means storage grows with the number of batches
//     (about 300 bytes each); under sustained load batches get larger, not more
//     numerous.
//   - The log is single-writer: one process owns ledger.db (bbolt file lock).
//     Audit a running server through its URL, not its file.
//   - A checkpoint signature proves who signed, not that the log is append-only:
//     that needs consistency checks over time (Audit) and external anchors
//     (package anchor) or witnesses.
//   - Entry timestamps come from the caller or the log's clock and are not
//     verified.
package ledger
