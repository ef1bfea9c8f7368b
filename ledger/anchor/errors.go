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
)
