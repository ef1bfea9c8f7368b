package anchor

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"sync"

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
	from    uint64 // deploy block: first block to scan for events
	mu      sync.Mutex
}

var _ ledger.ChainReader = (*Contract)(nil)

// Deploy deploys a new Anchor contract owned by key and waits until it is
// mined. It returns the contract's location.
func Deploy(ctx context.Context, b Backend, key *ecdsa.PrivateKey) (ledger.AnchorContract, error) {
	chainID, err := b.ChainID(ctx)
	if err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("%w: chain id: %w", ErrChainUnavailable, err)
	}
	opts := bind.NewKeyedTransactor(key, chainID)
	opts.Context = ctx
	addr, tx, err := bind.DeployContract(opts, common.FromHex(contract.AnchorMetaData.Bin), b, nil)
	if err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("%w: deploy: %w", ErrChainUnavailable, err)
	}
	rcpt, err := bind.WaitDeployed(ctx, b, tx.Hash())
	if err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("%w: deploy: %w", ErrChainUnavailable, err)
	}
	_ = rcpt
	r, err := b.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("%w: deploy receipt: %w", ErrChainUnavailable, err)
	}
	return ledger.AnchorContract{ChainID: chainID.Uint64(), Address: addr.Hex(), DeployBlock: r.BlockNumber.Uint64()}, nil
}

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
	return &Contract{backend: b, key: key, chainID: chainID, abi: a,
		bound: a.Instance(b, common.HexToAddress(c.Address)), from: c.DeployBlock}, nil
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
	var topics [][]any
	if sizes != nil {
		topics = [][]any{sizes}
	}
	it, err := bind.FilterEvents(c.bound, &bind.FilterOpts{Start: c.from, Context: ctx}, c.abi.UnpackAnchoredEvent, topics...)
	if err != nil {
		return nil, fmt.Errorf("%w: filter events: %w", ErrChainUnavailable, err)
	}
	defer it.Close()
	var out []ledger.ChainAnchor
	for it.Next() {
		ev := it.Value()
		out = append(out, ledger.ChainAnchor{Size: ev.Size, Root: ev.Root, Block: ev.Raw.BlockNumber,
			TxHash: ev.Raw.TxHash.Hex(), Final: ev.Raw.BlockNumber <= fin})
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("%w: read events: %w", ErrChainUnavailable, err)
	}
	return out, nil
}
