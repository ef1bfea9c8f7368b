package anchor

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"github.com/espai/espai/ledger"
)

// errDown is what gateBackend answers while its node is down.
var errDown = errors.New("dial tcp 127.0.0.1:8545: connect: connection refused")

// gateBackend is a Backend whose node can go away (every call fails) or
// stop answering receipts (a node that dies right after accepting a
// transaction).
type gateBackend struct {
	b          Backend
	down       atomic.Bool
	noReceipts atomic.Bool
}

var _ Backend = (*gateBackend)(nil)

func (g *gateBackend) err() error {
	if g.down.Load() {
		return errDown
	}
	return nil
}

func (g *gateBackend) ChainID(ctx context.Context) (*big.Int, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.ChainID(ctx)
}
func (g *gateBackend) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.HeaderByNumber(ctx, n)
}
func (g *gateBackend) CodeAt(ctx context.Context, a common.Address, n *big.Int) ([]byte, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.CodeAt(ctx, a, n)
}
func (g *gateBackend) CallContract(ctx context.Context, m ethereum.CallMsg, n *big.Int) ([]byte, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.CallContract(ctx, m, n)
}
func (g *gateBackend) EstimateGas(ctx context.Context, m ethereum.CallMsg) (uint64, error) {
	if err := g.err(); err != nil {
		return 0, err
	}
	return g.b.EstimateGas(ctx, m)
}
func (g *gateBackend) SuggestGasPrice(ctx context.Context) (*big.Int, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.SuggestGasPrice(ctx)
}
func (g *gateBackend) SuggestGasTipCap(ctx context.Context) (*big.Int, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.SuggestGasTipCap(ctx)
}
func (g *gateBackend) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := g.err(); err != nil {
		return err
	}
	return g.b.SendTransaction(ctx, tx)
}
func (g *gateBackend) PendingCodeAt(ctx context.Context, a common.Address) ([]byte, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.PendingCodeAt(ctx, a)
}
func (g *gateBackend) PendingNonceAt(ctx context.Context, a common.Address) (uint64, error) {
	if err := g.err(); err != nil {
		return 0, err
	}
	return g.b.PendingNonceAt(ctx, a)
}
func (g *gateBackend) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.FilterLogs(ctx, q)
}
func (g *gateBackend) SubscribeFilterLogs(ctx context.Context, q ethereum.FilterQuery, ch chan<- types.Log) (ethereum.Subscription, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	return g.b.SubscribeFilterLogs(ctx, q, ch)
}
func (g *gateBackend) TransactionReceipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	if err := g.err(); err != nil {
		return nil, err
	}
	if g.noReceipts.Load() {
		return nil, errDown
	}
	return g.b.TransactionReceipt(ctx, h)
}
func (g *gateBackend) TransactionByHash(ctx context.Context, h common.Hash) (*types.Transaction, bool, error) {
	if err := g.err(); err != nil {
		return nil, false, err
	}
	return g.b.TransactionByHash(ctx, h)
}

// autoCommit mines a block every 10 ms until the returned stop is called.
func autoCommit(t testing.TB, sim *simulated.Backend) (stop func()) {
	t.Helper()
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
				sim.Commit()
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(done); <-stopped }) }
	t.Cleanup(stop)
	return stop
}

func nonce(t testing.TB, sim *simulated.Backend, key *ecdsa.PrivateKey) uint64 {
	t.Helper()
	n, err := sim.Client().NonceAt(context.Background(), crypto.PubkeyToAddress(key.PublicKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The node is unreachable when the anchorer starts, then accepts the
// deployment and dies before its receipt: the anchorer starts anyway,
// reports that it is connecting, and once the node answers finishes the
// same deployment (one contract, one transaction) and anchors.
func TestAttachWhileNodeDown(t *testing.T) {
	ctx := context.Background()
	sim, key := simChain(t)
	gb := &gateBackend{b: sim.Client()}
	gb.down.Store(true)
	l, vk := newLog(t)
	appendN(t, l, 3)
	w := &warnings{}
	cfg := Config{Entries: 1, ResendAfter: 300 * time.Millisecond, Logger: slog.New(w)}
	a, err := Attach(ctx, l, gb, key, cfg)
	if err != nil {
		t.Fatalf("Attach with the node down = %v, want an anchorer that attaches later", err)
	}
	if st, _ := a.Status(ctx); st.State != StateConnecting || st.LastError == "" {
		t.Fatalf("status while the node is down: %+v", st)
	}
	if w.count("Ethereum node unreachable") != 1 {
		t.Errorf("no warning about the unreachable node: %q", w.msgs)
	}
	if err := a.Step(ctx); !errors.Is(err, ErrChainUnavailable) {
		t.Fatalf("Step with the node down = %v", err)
	}
	if _, err := l.AnchorContract(ctx); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("contract recorded while the node was down: %v", err)
	}

	// The node takes the deployment, then its receipts never come.
	gb.down.Store(false)
	gb.noReceipts.Store(true)
	if err := a.Step(ctx); !errors.Is(err, ErrChainUnavailable) {
		t.Fatalf("Step without receipts = %v", err)
	}
	d, err := l.AnchorDeployment(ctx)
	if err != nil {
		t.Fatalf("deployment not recorded before it was sent: %v", err)
	}
	sim.Commit()
	if err := a.Step(ctx); !errors.Is(err, ErrChainUnavailable) {
		t.Fatalf("Step without receipts = %v", err)
	}

	// The node is back: the same deployment is found, not a second one.
	gb.noReceipts.Store(false)
	stop := autoCommit(t, sim)
	for !anchoredAt(ctx, l, 3) {
		if err := a.Step(ctx); err != nil {
			t.Logf("step: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	c, err := l.AnchorContract(ctx)
	if err != nil || c.Address != d.Address {
		t.Fatalf("contract %+v %v, want the recorded deployment's %s", c, err, d.Address)
	}
	if _, err := l.AnchorDeployment(ctx); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("deployment still recorded: %v", err)
	}
	if n := nonce(t, sim, key); n != 2 { // one deployment, one anchor
		t.Errorf("the anchoring key sent %d transactions, want 2 (one deployment)", n)
	}
	if st, _ := a.Status(ctx); st.State != StateAnchoring || st.Contract != c {
		t.Errorf("status once attached: %+v", st)
	}
	rep, err := ledger.Audit(ctx, l.AuditSource(), vk, a)
	if err != nil || !rep.OK() || rep.AnchorsOnChain != 1 {
		t.Fatalf("audit: %v %+v", err, rep)
	}
}

// A contract recorded on another chain is refused, at start-up and when the
// node answers only later; nothing is sent there.
func TestAttachRefusesAnotherChain(t *testing.T) {
	ctx := context.Background()
	sim, key := simChain(t)
	l, _ := newLog(t)
	appendN(t, l, 2)
	other := ledger.AnchorContract{ChainID: 1338, Address: "0x00000000000000000000000000000000000000aa", DeployBlock: 1}
	if err := l.SetAnchorContract(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := Attach(ctx, l, sim.Client(), key, Config{}); !errors.Is(err, ErrWrongChain) {
		t.Fatalf("Attach to another chain = %v", err)
	}

	gb := &gateBackend{b: sim.Client()}
	gb.down.Store(true)
	a, err := Attach(ctx, l, gb, key, Config{Entries: 1, Poll: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, func() { gb.down.Store(false) })
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.Run(rctx); !errors.Is(err, ErrWrongChain) {
		t.Fatalf("Run once the node answers with another chain = %v", err)
	}
	st, _ := a.Status(ctx)
	if st.State != StateStopped || st.LastError == "" || st.Contract != other {
		t.Errorf("status: %+v", st)
	}
	if n := nonce(t, sim, key); n != 0 {
		t.Errorf("%d transactions sent to another chain", n)
	}
	if c, _ := l.AnchorContract(ctx); c != other {
		t.Errorf("recorded contract changed: %+v", c)
	}
}

// A recorded contract without code on the node: an outside node is refused
// (ErrNoContract, never a new deployment); the embedded chain, which lost
// it, gets a new contract, the old one is kept as retired, the newest
// anchor is sent again and the others are lost; the audit passes, reading
// both contracts, and counts the lost anchors.
func TestAttachContractWithoutCode(t *testing.T) {
	ctx := context.Background()
	sim, key := simChain(t)
	l, vk := newLog(t)
	gone := ledger.AnchorContract{ChainID: 1337, Address: "0x00000000000000000000000000000000000000bb", DeployBlock: 1}
	if err := l.SetAnchorContract(ctx, gone); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{2, 4} { // anchors made on the lost contract
		appendN(t, l, 2)
		cp := l.Latest()
		if cp.Size != uint64(size) {
			t.Fatalf("size %d", cp.Size)
		}
		if err := l.PutAnchor(ctx, ledger.AnchorRecord{Size: cp.Size, Root: cp.Root, Status: ledger.AnchorFinal, TxHash: "0x01", Block: 3}); err != nil {
			t.Fatal(err)
		}
	}
	appendN(t, l, 1)

	if _, err := Attach(ctx, l, sim.Client(), key, Config{}); !errors.Is(err, ErrNoContract) {
		t.Fatalf("Attach to an outside node without the contract = %v", err)
	}
	if n := nonce(t, sim, key); n != 0 {
		t.Fatalf("deployed on an outside node: %d transactions", n)
	}

	stop := autoCommit(t, sim)
	a, err := Attach(ctx, l, sim.Client(), key, Config{Embedded: true, Entries: 1})
	if err != nil {
		t.Fatal(err)
	}
	next, _ := l.AnchorContract(ctx)
	retired, err := l.RetiredAnchorContracts(ctx)
	if err != nil || len(retired) != 1 || retired[0].AnchorContract != gone || retired[0].Lost != 1 || retired[0].LastSize != 4 || retired[0].Reason == "" {
		t.Fatalf("retired %+v %v", retired, err)
	}
	if next == gone || next.ChainID != 1337 {
		t.Fatalf("contract not replaced: %+v", next)
	}
	recs, _ := l.Anchors(ctx)
	if recs[0].Status != ledger.AnchorLost || recs[1].Status != ledger.AnchorPending || recs[1].TxHash != "" {
		t.Fatalf("records after the replacement: %+v", recs)
	}
	for !anchoredAt(ctx, l, 5) {
		if err := a.Step(ctx); err != nil {
			t.Logf("step: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if !anchoredAt(ctx, l, 4) {
		t.Errorf("the newest anchor of the lost contract was not sent again")
	}
	ac := NewAuditChain(sim.Client(), next, retired)
	rep, err := ledger.Audit(ctx, l.AuditSource(), vk, ac)
	if err != nil || !rep.OK() || rep.AnchorsLost != 1 || rep.AnchorsOnChain != 2 {
		t.Fatalf("audit after the replacement: %v %+v", err, rep)
	}
	// The current contract must be on chain: an audit against a node
	// without it fails.
	missing := next
	missing.Address = "0x00000000000000000000000000000000000000cc"
	rep, err = ledger.Audit(ctx, l.AuditSource(), vk, NewAuditChain(sim.Client(), missing, retired))
	if err != nil || rep.OK() || rep.Failed[ledger.AuditCheckAnchors] == 0 {
		t.Fatalf("audit with a current contract that has no code: %v %+v", err, rep)
	}
}

// A reorg drops the block holding an included anchor (a simulated fork
// whose new blocks leave the transaction out): the anchorer never marks it
// final, sends it again and follows it to its new block.
func TestAnchorSurvivesReorg(t *testing.T) {
	ctx := context.Background()
	sim, key := simChain(t)
	c := deploySim(t, sim, key)
	ct, err := NewContract(ctx, sim.Client(), c, key)
	if err != nil {
		t.Fatal(err)
	}
	l, vk := newLog(t)
	w := &warnings{}
	a, err := New(l, ct, c, Config{Entries: 1, Logger: slog.New(w)})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 2)
	if err := a.Step(ctx); err != nil { // send
		t.Fatal(err)
	}
	parent, err := sim.Client().HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	if err := a.Step(ctx); err != nil || !anchoredAt(ctx, l, 2) {
		t.Fatalf("not included: %v", err)
	}
	// Reorg: back to the parent, drop the transaction, mine past the epoch
	// boundary so that the anchor's old block number is finalized.
	if err := sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	sim.Rollback()
	for range 40 {
		sim.Commit()
	}
	if on, found, _ := ct.Find(ctx, 2); found {
		t.Fatalf("the anchor survived the reorg: %+v", on)
	}
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _ := l.Anchors(ctx)
	if recs[0].Status == ledger.AnchorFinal {
		t.Fatalf("dropped anchor marked final: %+v", recs[0])
	}
	if w.count("anchor left the chain") != 1 || recs[0].Status != ledger.AnchorPending || recs[0].TxHash == "" {
		t.Fatalf("dropped anchor not sent again: %+v, warnings %q", recs[0], w.msgs)
	}
	sim.Commit()
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		sim.Commit()
	}
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _ = l.Anchors(ctx)
	on, found, err := ct.Find(ctx, 2)
	if err != nil || !found || recs[0].Status != ledger.AnchorFinal || recs[0].Block != on.Block || recs[0].TxHash != on.TxHash {
		t.Fatalf("record %+v, on chain %+v %v %v", recs[0], on, found, err)
	}
	rep, err := ledger.Audit(ctx, l.AuditSource(), vk, ct)
	if err != nil || !rep.OK() || rep.AnchorsFinal != 1 {
		t.Fatalf("audit: %v %+v", err, rep)
	}
}

// A recorded deployment whose nonce another transaction took can never
// create the contract: the anchorer signs a new one (still one contract).
func TestAttachDeadDeployment(t *testing.T) {
	ctx := context.Background()
	sim, key := simChain(t)
	l, _ := newLog(t)
	d, err := signDeployment(ctx, sim.Client(), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetAnchorDeployment(ctx, &d); err != nil {
		t.Fatal(err)
	}
	// The key's nonce 0 goes to a transfer instead.
	chainID, _ := sim.Client().ChainID(ctx)
	tip, _ := sim.Client().SuggestGasTipCap(ctx)
	head, _ := sim.Client().HeaderByNumber(ctx, nil)
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{ChainID: chainID, Nonce: 0,
		To: &common.Address{1}, Value: big.NewInt(1), Gas: 21000, GasTipCap: tip, GasFeeCap: new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Client().SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	autoCommit(t, sim)
	w := &warnings{}
	if _, err := Attach(ctx, l, sim.Client(), key, Config{Logger: slog.New(w)}); err != nil {
		t.Fatal(err)
	}
	c, err := l.AnchorContract(ctx)
	if err != nil || c.Address == d.Address || c.Address != crypto.CreateAddress(crypto.PubkeyToAddress(key.PublicKey), 1).Hex() {
		t.Fatalf("contract %+v %v; the dead deployment was at %s; log: %q", c, err, d.Address, w.msgs)
	}
	if w.count("can never create the contract") != 1 {
		t.Errorf("warnings %q", w.msgs)
	}
}
