// Package devchain runs the embedded default chain for anchoring: an
// in-process go-ethereum dev node (what `geth --dev` runs: a developer genesis
// with every fork active, chain id 1337, and a simulated beacon that produces
// blocks) whose chain database persists in the data directory
// (Layout.ChainDir()), so anchors survive restarts.
//
// # Durability
//
// By default geth keeps recent state in memory and writes it at a clean
// shutdown (the path scheme keeps the last 128 blocks' state and a write
// buffer in memory, the hash scheme flushes a trie only every 128 blocks),
// and its pebble database writes without syncing, keeping the write-ahead
// log's last partial 32 KiB block in the process. After a SIGKILL it rewinds
// its head to the last state on disk and drops every block above it: on a
// quiet dev chain, every block since the node started, the anchor contract
// included. A chain directory created by this package is therefore durable:
// it uses the hash scheme in archive mode (ethconfig.Config StateScheme
// "hash", NoPruning, no snapshot), so every block's state trie is written
// with the block, and it fsyncs the write-ahead log after every new head
// (syncBlocks): block N is on disk once block N+2 is made, against a SIGKILL
// or a power loss. The cost is an fsync and a trie commit per block and the
// disk: the hash scheme never prunes, and every block changes state (the
// beacon-root and block-hash system contracts), about 4.5 KB per block
// against 1.2 KB (docs/ledger.md). A directory created before durable
// storage (no marker file, path scheme) keeps its scheme, which geth cannot
// convert; Node.Durable reports it. The anchorer recovers from a lost
// contract on the embedded chain (ledger/anchor, Config.Embedded).
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
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
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
	stack    *node.Node
	client   *ethclient.Client
	beacon   *catalyst.SimulatedBeacon // seals blocks; benchmarks call Commit with period 0
	durable  bool
	stopSync func() // stops syncBlocks
}

const (
	instance = "espai-devchain" // node name: the database is in Dir/instance/chaindata
	// storageFile marks a chain directory created with durable storage.
	storageFile    = "espai-devchain-storage.json"
	storageDurable = `{"version":1,"state_scheme":"hash","archive":true}` + "\n"
)

// Start starts (or restarts, on an existing Dir) the dev node. A new Dir
// gets durable storage (see the package doc).
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Period == 0 {
		cfg.Period = DefaultPeriod
	}
	durable, err := durableStorage(cfg.Dir)
	if err != nil {
		return nil, err
	}
	return start(ctx, cfg, durable, uint64(cfg.Period/time.Second))
}

// durableStorage reports whether dir holds (or, new, will hold) a chain with
// durable storage; a chain created before it keeps its scheme.
func durableStorage(dir string) (bool, error) {
	marker := filepath.Join(dir, storageFile)
	if _, err := os.Stat(marker); err == nil {
		return true, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("devchain: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, instance, "chaindata")); err == nil {
		return false, nil // created before durable storage
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("devchain: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("devchain: %w", err)
	}
	if err := os.WriteFile(marker, []byte(storageDurable), 0o600); err != nil {
		return false, fmt.Errorf("devchain: %w", err)
	}
	return true, nil
}

// start starts the node; period 0 seals a block as soon as a transaction
// arrives (benchmarks).
func start(_ context.Context, cfg Config, durable bool, period uint64) (*Node, error) {
	stack, err := node.New(&node.Config{
		DataDir: cfg.Dir,
		Name:    instance,
		P2P:     p2p.Config{NoDiscovery: true, MaxPeers: 0, ListenAddr: ""},
	})
	if err != nil {
		return nil, fmt.Errorf("devchain: %w", err)
	}
	ec := ethconfig.Defaults
	ec.Genesis = core.DeveloperGenesisBlock(gasLimit, &cfg.Funded)
	ec.NetworkId = ec.Genesis.Config.ChainID.Uint64()
	ec.SyncMode = ethconfig.FullSync
	if durable {
		// The hash scheme's archive mode commits every block's state trie
		// to the database with the block (core.BlockChain.writeBlockWithState),
		// so a SIGKILL loses no block. No snapshot: nothing to rebuild.
		ec.StateScheme, ec.NoPruning, ec.SnapshotCache = rawdb.HashScheme, true, 0
	}
	backend, err := eth.New(stack, &ec)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("devchain: %w", err)
	}
	fsys := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filters.NewFilterAPI(fsys)}})
	beacon, err := catalyst.NewSimulatedBeacon(period, cfg.Funded, backend)
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
	n := &Node{stack: stack, client: ethclient.NewClient(stack.Attach()), beacon: beacon, durable: durable, stopSync: func() {}}
	if durable {
		n.stopSync = syncBlocks(backend)
	}
	return n, nil
}

// syncBlocks writes each new head block to the disk. Geth's pebble database
// writes without syncing and keeps the write-ahead log's last partial 32 KiB
// block in the process's memory until it fills: a SIGKILL would lose the
// last blocks, anchors and all. After every new head it flushes and fsyncs
// the log (ethdb.KeyValueSyncer), a few milliseconds per block. The channel
// is unbuffered: the chain hands over head N+1 only once the sync after head
// N is done, so block N is on disk by the time block N+2 is made. It returns
// the function that stops it.
func syncBlocks(backend *eth.Ethereum) (stop func()) {
	heads := make(chan core.ChainHeadEvent)
	sub := backend.BlockChain().SubscribeChainHeadEvent(heads)
	db := backend.ChainDb()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-heads:
				// A failed sync leaves the block to the next one's; the
				// anchorer re-checks its anchors against the chain at start.
				_ = db.SyncKeyValue()
			case <-sub.Err(): // unsubscribed
				return
			}
		}
	}()
	return func() {
		sub.Unsubscribe()
		<-done
	}
}

// Durable reports whether the chain's storage survives a SIGKILL of the
// process (false for a directory created before durable storage).
func (n *Node) Durable() bool { return n.durable }

// Client is an RPC client connected in-process.
func (n *Node) Client() *ethclient.Client { return n.client }

// Close stops the node and flushes its database.
func (n *Node) Close() error {
	n.stopSync()
	n.client.Close()
	return n.stack.Close()
}
