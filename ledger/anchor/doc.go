// Package anchor anchors the ledger's checkpoints on an Ethereum chain through
// the Anchor contract (package contract): anchor(bytes32 root, uint64 size)
// stores the root and emits an indexed Anchored event.
//
// An Anchorer runs beside the log and never slows appends: every Poll it
// advances recorded anchors (pending -> included once the transaction is in a
// block -> final once that block is at or below the chain's "finalized"
// block), then anchors the latest checkpoint when Config.Entries entries or
// Config.Interval time have passed since the last anchor: one transaction per
// anchored checkpoint. Records live in the ledger's bbolt file, written before
// the transaction is sent, so a crash or an unreachable chain loses nothing:
// the next step resends or finds the anchor on chain.
//
// Backends: the embedded dev node (package devchain, persisted in
// Layout.ChainDir()), a real node over JSON-RPC (ethclient.Dial with
// ReadHexKeyFile), and ethclient/simulated in tests only.
//
// # Security
//
// The contract accepts anchors only from its deployer and only for strictly
// increasing sizes. The anchoring key is sealed at rest (atrest label
// "espai/ledger/anchor-key/v1"). Contract.AnchoredOnChain cross-checks events
// with contract storage; ledger.Audit compares them with the log.
//
// # Caveats
//
//   - Only one anchor is in flight at a time; a checkpoint skipped while one is
//     pending is covered by the next anchor (a larger tree containing it).
//   - An anchor transaction the chain reverts is resent after ResendAfter until
//     an operator intervenes; its record keeps the last error.
//   - The contract address is recorded per ledger; pointing the same data
//     directory at another chain fails with ErrWrongChain.
package anchor
