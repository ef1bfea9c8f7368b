// Package anchor anchors the ledger's checkpoints on an Ethereum chain through
// the Anchor contract (package contract): anchor(bytes32 root, uint64 size)
// stores the root and emits an indexed Anchored event.
//
// An Anchorer runs beside the log and never slows appends: every Poll it
// advances recorded anchors (pending -> included once the transaction is in a
// block -> final once the anchor is found, in the canonical chain, in a block
// at or below the chain's "finalized" block), then anchors the latest
// checkpoint when Config.Entries entries or Config.Interval time have passed
// since the last anchor: one transaction per anchored checkpoint. Records
// live in the ledger's bbolt file, written before the transaction is sent,
// so a crash or an unreachable chain loses nothing: the next step resends or
// finds the anchor on chain.
//
// Attach (AttachDial for a node reached by URL) connects an Anchorer to its
// node: it finishes or makes the contract's deployment, checks the node's
// chain and the contract's code, and re-checks the log's anchors against the
// chain. A node that cannot be reached does not fail Attach: the Anchorer
// attaches in Run, with backoff, once the node answers (Status.State says
// "connecting" until then).
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
// with contract storage; ledger.Audit compares them with the log, through
// AuditChain for every contract the log records.
//
// The anchorer never sends to a node of another chain (ErrWrongChain) and
// never deploys a second contract: a deployment is recorded, signed, before
// it is sent, and a retry sends the same transaction (one nonce, one
// address). On an outside node a missing contract is an error
// (ErrNoContract). Only on the embedded dev chain (Config.Embedded), which
// can lose blocks, does a missing contract get replaced: the old one is kept
// in the log as retired, the newest anchor is sent again to the new one and
// the retired contract's other anchors are marked lost; the audit reads any
// retired contract still on chain and requires a later anchor covering each
// lost one. A dev chain proves nothing to outsiders in any case.
//
// Included anchors are re-checked every step: one whose block left the chain
// (a reorganisation) is pending again and sent again at once, idempotently
// (the contract refuses a size it holds). When the anchorer attaches, which
// it does again after any failed step, it re-checks the included anchors and,
// on the embedded chain, the final ones too.
//
// # Caveats
//
//   - Only one anchor is in flight at a time; a checkpoint skipped while one is
//     pending is covered by the next anchor (a larger tree containing it).
//   - An anchor transaction the chain reverts is resent after ResendAfter until
//     an operator intervenes; its record keeps the last error. Re-sending a
//     dropped anchor may cost one reverted duplicate's gas after a reorg.
//   - The contract address is recorded per ledger; pointing the same data
//     directory at another chain fails with ErrWrongChain, at a node without
//     the contract with ErrNoContract: at start-up Attach returns the error,
//     later Run stops with it (the log goes on).
package anchor
