package ledger

import (
	"encoding/json"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// ReceiptVersion is the receipt format this package writes and reads.
const ReceiptVersion = 1

// maxReceiptSize bounds a receipt read from outside (entry, checkpoint and a
// 64-hash proof fit with room to spare).
const maxReceiptSize = 32 << 10

// Receipt is what an append returns and what the citizen's wallet keeps: the
// entry, where it sits in the log, a signed checkpoint covering it and the
// inclusion proof from the entry's leaf to that checkpoint's root. With the
// log's verifier key it verifies offline (VerifyReceipt). Its JSON form is
// documented in docs/ledger.md.
type Receipt struct {
	Version    int    `json:"version"`
	Index      uint64 `json:"index"`
	Entry      []byte `json:"entry"`      // encoded entry (base64 in JSON)
	LeafHash   Hash   `json:"leaf_hash"`  // SHA-256(0x00 || entry)
	Checkpoint []byte `json:"checkpoint"` // signed note (base64 in JSON)
	Proof      []Hash `json:"inclusion_proof"`
}

// ParseReceipt decodes a receipt from its JSON form without verifying it.
func ParseReceipt(b []byte) (*Receipt, error) {
	if len(b) > maxReceiptSize {
		return nil, malformed("receipt", "%d bytes, at most %d", len(b), maxReceiptSize)
	}
	var r Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, malformed("receipt", "%v", err)
	}
	if r.Version != ReceiptVersion {
		return nil, malformed("receipt", "version %d, want %d", r.Version, ReceiptVersion)
	}
	if len(r.Proof) > 64 {
		return nil, malformed("receipt", "inclusion proof of %d hashes", len(r.Proof))
	}
	return &r, nil
}

// VerifyReceipt checks a receipt offline against the log's verifier key
// (note vkey). Every check must pass; the first failure is returned as a
// *CheckError wrapping ErrVerification:
//
//  1. entry: the entry parses as a valid version 1 entry;
//  2. leaf_hash: the leaf hash is SHA-256(0x00 || entry);
//  3. checkpoint_signature, origin: the checkpoint is signed by the key and
//     names the key's log;
//  4. inclusion: the proof leads from the leaf at Index to the checkpoint root.
//
// On success it returns the verified entry and checkpoint.
func VerifyReceipt(r *Receipt, vkey string) (*Entry, Checkpoint, error) {
	if r == nil || r.Version != ReceiptVersion {
		return nil, Checkpoint{}, checkErr("version", fmt.Errorf("not a version %d receipt", ReceiptVersion))
	}
	e, err := ParseEntry(r.Entry)
	if err != nil {
		return nil, Checkpoint{}, checkErr("entry", err)
	}
	if tlog.RecordHash(r.Entry) != r.LeafHash {
		return nil, Checkpoint{}, checkErr("leaf_hash", fmt.Errorf("leaf hash does not match the entry"))
	}
	cp, err := OpenCheckpoint(r.Checkpoint, vkey)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	if err := VerifyInclusion(r.Index, cp.Size, r.LeafHash, r.Proof, cp.Root); err != nil {
		return nil, Checkpoint{}, err
	}
	return e, cp, nil
}

// VerifyInclusion checks an RFC 6962 inclusion proof of leaf (at index) in
// the tree of size with the given root.
func VerifyInclusion(index, size uint64, leaf Hash, proof []Hash, root Hash) error {
	if index >= size || size > 1<<62 {
		return checkErr("inclusion", fmt.Errorf("index %d not below size %d", index, size))
	}
	if err := tlog.CheckRecord(proof, int64(size), root, int64(index), leaf); err != nil {
		return checkErr("inclusion", err)
	}
	return nil
}

// VerifyConsistency checks an RFC 6962 consistency proof that the tree of
// size new (root newRoot) extends the tree of size old (root oldRoot).
func VerifyConsistency(old, new uint64, oldRoot, newRoot Hash, proof []Hash) error {
	if old == 0 || old > new || new > 1<<62 {
		return checkErr("consistency", fmt.Errorf("sizes %d -> %d", old, new))
	}
	if err := tlog.CheckTree(proof, int64(new), newRoot, int64(old), oldRoot); err != nil {
		return checkErr("consistency", err)
	}
	return nil
}
