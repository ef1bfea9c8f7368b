// Package contract holds the Solidity anchoring contract of the Espai ledger
// (Anchor.sol), its compiled artefacts (Anchor.abi, Anchor.bin: solc-js 0.8.37,
// evmVersion paris, optimizer 200 runs, no metadata hash) and the abigen v2
// bindings (anchor.go). Do not edit anchor.go: run `make contracts` (gen.sh).
//
// The contract lets only its deployer anchor, requires tree sizes to increase
// strictly, stores rootAt[size] and emits Anchored(size indexed, root indexed,
// blockTime). evmVersion paris keeps it deployable on older permissioned
// chains (Besu/QBFT) that lack PUSH0.
package contract

//go:generate ./gen.sh
