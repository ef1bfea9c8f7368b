// Package devchain runs the embedded default chain for anchoring: an
// in-process go-ethereum dev node (what `geth --dev` runs: a developer genesis
// with every fork active, chain id 1337, and a simulated beacon that produces
// blocks) whose chain database persists in the data directory
// (Layout.ChainDir()), so anchors survive restarts.
//
// # Security
//
// The node has no peers, no discovery and no RPC listener: only this process
// reaches it, through an in-memory RPC client. Its finality is simulated: a
// block becomes "finalized" at every 32-block epoch boundary, so an anchor
// turns final within 32 blocks (Period * 32 seconds).
//
// # Caveats
//
// A dev chain proves nothing to outsiders: whoever holds the directory can
// rewrite it. Anchor on a real network (--eth-rpc) for third-party assurance.
// The directory is locked by one process at a time.
package devchain

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/rpc"
)

// DefaultPeriod is the block period when Config.Period is zero.
const DefaultPeriod = 2 * time.Second

// gasLimit of dev blocks, as geth --dev uses.
const gasLimit = 30_000_000

// Config configures the dev node.
type Config struct {
	// Dir is the node's data directory (required; Layout.ChainDir()).
	Dir string
	// Funded is the account pre-funded in the genesis block: the anchoring
	// key's address (required). It must stay the same for a given Dir.
	Funded common.Address
	// Period between blocks; empty blocks are sealed too, so finality
	// advances. Zero means DefaultPeriod.
	Period time.Duration
}

// Validate reports whether the config is usable. It is nil-safe.
func (c *Config) Validate() error {
	switch {
	case c == nil:
		return errors.New("devchain: nil config")
	case c.Dir == "":
		return errors.New("devchain: config: Dir is required")
	case c.Funded == (common.Address{}):
		return errors.New("devchain: config: Funded is required")
	case c.Period < 0 || (c.Period > 0 && c.Period < time.Second):
		return errors.New("devchain: config: Period must be zero or at least 1s")
	}
	return nil
}

// Node is a running dev node.
type Node struct {
	stack  *node.Node
	client *ethclient.Client
}

// Start starts (or restarts, on an existing Dir) the dev node.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Period == 0 {
		cfg.Period = DefaultPeriod
	}
	stack, err := node.New(&node.Config{
		DataDir: cfg.Dir,
		Name:    "espai-devchain",
		P2P:     p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""},
	})
	if err != nil {
		return nil, fmt.Errorf("devchain: %w", err)
	}
	ec := ethconfig.Defaults
	ec.Genesis = core.DeveloperGenesisBlock(gasLimit, &cfg.Funded)
	ec.NetworkId = ec.Genesis.Config.ChainID.Uint64()
	ec.SyncMode = ethconfig.FullSync
	backend, err := eth.New(stack, &ec)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain: %w", err)
	}
	fs := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(fs)}})
	beacon, err := catalyst.NewSimulatedBeacon(uint64(cfg.Period/time.Second), cfg.Funded, backend)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain: %w", err)
	}
	catalyst.RegisterSimulatedBeaconAPIs(stack, beacon)
	stack.RegisterLifecycle(beacon)
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain: start: %w", err)
	}
	return &Node{stack: stack, client: ethclient.NewClient(stack.Attach())}, nil
}

// Client is an RPC client connected in-process.
func (n *Node) Client() *ethclient.Client { return n.client }

// Close stops the node and flushes its database.
func (n *Node) Close() error {
	n.client.Close()
	return n.stack.Close()
}
