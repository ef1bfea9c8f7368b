package anchor

import "errors"

var (
	// ErrChainUnavailable means the node could not be reached or refused a
	// call. The Anchorer retries with backoff and loses nothing; an audit that
	// meets it has not passed (retry when the node is back).
	ErrChainUnavailable = errors.New("anchor: chain unavailable")

	// ErrWrongChain means the node serves another chain than the one the
	// contract was deployed on. Do not retry: fix --eth-rpc, or deploy anew.
	ErrWrongChain = errors.New("anchor: node serves another chain")

	// ErrNoContract means the node has no code at the recorded contract
	// address: it serves another network with the same chain id (every
	// geth --dev is chain 1337), is still syncing, or lost the blocks. Do not
	// retry against that node and never deploy anew on an outside chain: fix
	// --eth-rpc or the node. (The embedded dev chain, which can lose its
	// blocks in a crash, replaces the contract instead: Config.Embedded.)
	ErrNoContract = errors.New("anchor: no contract code at the recorded address")
)
