package anchor

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/anchor/contract"
)

// Backend is what the contract client needs from an Ethereum node:
// *ethclient.Client (real node, embedded dev node) and the simulated
// backend's client both satisfy it.
type Backend interface {
	bind.ContractBackend
	bind.DeployBackend
	ChainID(ctx context.Context) (*big.Int, error)
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
}

// Contract talks to one deployed Anchor contract with one sender key. It is
// safe for concurrent use: sends are serialised so nonces never collide.
type Contract struct {
	backend Backend
	key     *ecdsa.PrivateKey
	chainID *big.Int
	abi     *contract.Anchor
	bound   *bind.BoundContract
	addr    common.Address
	from    uint64 // deploy block: first block to scan for events
	mu      sync.Mutex
}

var _ ledger.ChainReader = (*Contract)(nil)

// Deploy deploys a new Anchor contract owned by key and waits until it is
// mined. It returns the contract's location. Attach deploys through a
// recorded deployment instead, so that a retry never deploys a second one.
func Deploy(ctx context.Context, b Backend, key *ecdsa.PrivateKey) (ledger.AnchorContract, error) {
	d, err := signDeployment(ctx, b, key)
	if err != nil {
		return ledger.AnchorContract{}, err
	}
	return sendDeployment(ctx, b, d)
}

// signDeployment signs, without sending, the deployment of an Anchor
// contract owned by key at its next nonce.
func signDeployment(ctx context.Context, b Backend, key *ecdsa.PrivateKey) (ledger.AnchorDeployment, error) {
	chainID, err := b.ChainID(ctx)
	if err != nil {
		return ledger.AnchorDeployment{}, fmt.Errorf("%w: chain id: %w", ErrChainUnavailable, err)
	}
	opts := bind.NewKeyedTransactor(key, chainID)
	opts.Context, opts.NoSend = ctx, true
	addr, tx, err := bind.DeployContract(opts, common.FromHex(contract.AnchorMetaData.Bin), b, nil)
	if err != nil {
		return ledger.AnchorDeployment{}, fmt.Errorf("%w: sign deployment: %w", ErrChainUnavailable, err)
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return ledger.AnchorDeployment{}, err
	}
	return ledger.AnchorDeployment{ChainID: chainID.Uint64(), Address: addr.Hex(), Tx: raw}, nil
}

// errDeploymentDead means a recorded deployment can never create the
// contract: it failed on chain, or its nonce was used by another transaction
// and no contract is at its address.
var errDeploymentDead = errors.New("anchor: the recorded deployment can never create the contract")

// sendDeployment sends d's transaction, again if it was sent before (the
// node ignores a transaction it knows), and waits until it is mined. Sending
// the same signed transaction is what makes a retried deployment safe: one
// nonce, one contract address, at most one contract.
func sendDeployment(ctx context.Context, b Backend, d ledger.AnchorDeployment) (ledger.AnchorContract, error) {
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(d.Tx); err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("anchor: recorded deployment: %w", err)
	}
	if r, err := b.TransactionReceipt(ctx, tx.Hash()); err == nil {
		return deployed(ctx, b, d, r)
	}
	// Not mined, or the node cannot tell yet (transaction indexing in
	// progress): send; a node ignores a transaction it already has.
	if err := b.SendTransaction(ctx, tx); err != nil && !isKnownTx(err) {
		if !isNonceTooLow(err) {
			return ledger.AnchorContract{}, fmt.Errorf("%w: deploy: %w", ErrChainUnavailable, err)
		}
		// Mined already, or its nonce went to another transaction: only
		// the latter leaves no code at the address and no receipt.
		code, cerr := b.CodeAt(ctx, common.HexToAddress(d.Address), nil)
		if cerr != nil {
			return ledger.AnchorContract{}, fmt.Errorf("%w: deploy: %w", ErrChainUnavailable, cerr)
		}
		if len(code) == 0 {
			r, rerr := receiptSettled(ctx, b, tx.Hash())
			switch {
			case rerr == nil:
				return deployed(ctx, b, d, r)
			case errors.Is(rerr, ethereum.NotFound):
				return ledger.AnchorContract{}, errDeploymentDead
			}
			return ledger.AnchorContract{}, fmt.Errorf("%w: deploy: %w", ErrChainUnavailable, rerr)
		}
	}
	r, err := bind.WaitMined(ctx, b, tx.Hash())
	if err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("%w: deployment not mined yet: %w", ErrChainUnavailable, err)
	}
	return deployed(ctx, b, d, r)
}

// receiptSettled looks a transaction's receipt up, asking again while the
// node says it is still indexing transactions (a node just started or just
// past new blocks answers that for a moment, which is neither "not found"
// nor an outage), until ctx ends.
func receiptSettled(ctx context.Context, b Backend, h common.Hash) (*types.Receipt, error) {
	for {
		r, err := b.TransactionReceipt(ctx, h)
		if err == nil || errors.Is(err, ethereum.NotFound) || !strings.Contains(err.Error(), "indexing") {
			return r, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// deployed checks the receipt of d's transaction and returns the contract.
func deployed(ctx context.Context, b Backend, d ledger.AnchorDeployment, r *types.Receipt) (ledger.AnchorContract, error) {
	if r.Status != types.ReceiptStatusSuccessful {
		return ledger.AnchorContract{}, fmt.Errorf("%w: transaction %s failed on chain", errDeploymentDead, r.TxHash.Hex())
	}
	if r.ContractAddress != common.HexToAddress(d.Address) {
		return ledger.AnchorContract{}, fmt.Errorf("anchor: deployment created %s, expected %s", r.ContractAddress.Hex(), d.Address)
	}
	code, err := b.CodeAt(ctx, r.ContractAddress, nil)
	if err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("%w: code of the deployed contract: %w", ErrChainUnavailable, err)
	}
	if len(code) == 0 {
		return ledger.AnchorContract{}, fmt.Errorf("%w: deployment mined but no code at %s yet", ErrChainUnavailable, d.Address)
	}
	return ledger.AnchorContract{ChainID: d.ChainID, Address: r.ContractAddress.Hex(), DeployBlock: r.BlockNumber.Uint64()}, nil
}

// isKnownTx and isNonceTooLow read a node's refusal of a transaction; over
// JSON-RPC only the message survives (txpool.ErrAlreadyKnown, core.ErrNonceTooLow).
func isKnownTx(err error) bool     { return strings.Contains(err.Error(), "already known") }
func isNonceTooLow(err error) bool { return strings.Contains(err.Error(), "nonce too low") }

// NewContract returns a client for the contract at c. key may be nil for a
// read-only client (audits).
func NewContract(ctx context.Context, b Backend, c ledger.AnchorContract, key *ecdsa.PrivateKey) (*Contract, error) {
	if !common.IsHexAddress(c.Address) {
		return nil, fmt.Errorf("anchor: contract address %q", c.Address)
	}
	chainID, err := b.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: chain id: %w", ErrChainUnavailable, err)
	}
	if chainID.Uint64() != c.ChainID {
		return nil, fmt.Errorf("%w: node is chain %d, contract was deployed on chain %d", ErrWrongChain, chainID, c.ChainID)
	}
	a := contract.NewAnchor()
	return &Contract{backend: b, key: key, chainID: chainID, abi: a, addr: common.HexToAddress(c.Address),
		bound: a.Instance(b, common.HexToAddress(c.Address)), from: c.DeployBlock}, nil
}

// HasCode reports whether the contract's code is on the chain: a node of the
// same chain id that never saw the deployment (another network, a fresh dev
// chain, a node still syncing) or that lost it does not have it.
func (c *Contract) HasCode(ctx context.Context) (bool, error) {
	code, err := c.backend.CodeAt(ctx, c.addr, nil)
	if err != nil {
		return false, fmt.Errorf("%w: contract code: %w", ErrChainUnavailable, err)
	}
	return len(code) > 0, nil
}

// Send submits anchor(root, size) and returns the transaction hash without
// waiting for it to be mined.
func (c *Contract) Send(ctx context.Context, root ledger.Hash, size uint64) (string, error) {
	if c.key == nil {
		return "", errors.New("anchor: read-only contract client")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	opts := bind.NewKeyedTransactor(c.key, c.chainID)
	opts.Context = ctx
	tx, err := bind.Transact(c.bound, opts, c.abi.PackAnchor(root, size))
	if errors.Is(err, bind.ErrNoCode) {
		return "", fmt.Errorf("%w: send anchor: %s on chain %d: %w", ErrNoContract, c.addr.Hex(), c.chainID, err)
	}
	if err != nil {
		return "", fmt.Errorf("%w: send anchor: %w", ErrChainUnavailable, err)
	}
	return tx.Hash().Hex(), nil
}

// Finalized returns the chain's finalized block number.
func (c *Contract) Finalized(ctx context.Context) (uint64, error) {
	h, err := c.backend.HeaderByNumber(ctx, big.NewInt(int64(rpc.FinalizedBlockNumber)))
	if err != nil {
		return 0, fmt.Errorf("%w: finalized block: %w", ErrChainUnavailable, err)
	}
	return h.Number.Uint64(), nil
}

// Find returns the anchor of size on chain, if any.
func (c *Contract) Find(ctx context.Context, size uint64) (ledger.ChainAnchor, bool, error) {
	all, err := c.events(ctx, []any{size})
	if err != nil || len(all) == 0 {
		return ledger.ChainAnchor{}, false, err
	}
	return all[0], true, nil
}

// AnchoredOnChain reads every Anchored event of the contract and checks each
// against the contract's storage (rootAt), marking those at or below the
// finalized block as final. It implements ledger.ChainReader.
func (c *Contract) AnchoredOnChain(ctx context.Context) ([]ledger.ChainAnchor, error) {
	all, err := c.events(ctx, nil)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		stored, err := bind.Call(c.bound, &bind.CallOpts{Context: ctx}, c.abi.PackRootAt(a.Size), c.abi.UnpackRootAt)
		if err != nil {
			return nil, fmt.Errorf("%w: rootAt(%d): %w", ErrChainUnavailable, a.Size, err)
		}
		if ledger.Hash(stored) != a.Root {
			return nil, fmt.Errorf("anchor: contract storage and event disagree for size %d", a.Size)
		}
	}
	return all, nil
}

func (c *Contract) events(ctx context.Context, sizes []any) ([]ledger.ChainAnchor, error) {
	fin, err := c.Finalized(ctx)
	if err != nil {
		return nil, err
	}
	out, err := c.logs(ctx, c.from, sizes)
	for i := range out {
		out[i].Final = out[i].Block <= fin
	}
	return out, err
}

// AnchorsFrom returns the anchors in blocks from the given one to the head,
// in one request (Final is not set): the Anchorer re-checks its included
// records with it.
func (c *Contract) AnchorsFrom(ctx context.Context, from uint64) ([]ledger.ChainAnchor, error) {
	return c.logs(ctx, max(from, c.from), nil)
}

// logs reads the Anchored events from block from on, of the given sizes
// (nil: all). The node returns those of the canonical chain only.
func (c *Contract) logs(ctx context.Context, from uint64, sizes []any) ([]ledger.ChainAnchor, error) {
	var topics [][]any
	if sizes != nil {
		topics = [][]any{sizes}
	}
	it, err := bind.FilterEvents(c.bound, &bind.FilterOpts{Start: from, Context: ctx}, c.abi.UnpackAnchoredEvent, topics...)
	if err != nil {
		return nil, fmt.Errorf("%w: filter events: %w", ErrChainUnavailable, err)
	}
	defer it.Close()
	var out []ledger.ChainAnchor
	for it.Next() {
		ev := it.Value()
		out = append(out, ledger.ChainAnchor{Size: ev.Size, Root: ev.Root, Block: ev.Raw.BlockNumber,
			TxHash: ev.Raw.TxHash.Hex(), Contract: c.addr.Hex()})
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("%w: read events: %w", ErrChainUnavailable, err)
	}
	return out, nil
}
