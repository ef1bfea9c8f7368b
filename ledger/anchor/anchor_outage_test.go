package anchor

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/anchor/devchain"
)

// The Ethereum node going away delays anchoring but loses no entry, and
// anchoring resumes when it returns (issue 8).

// outageConfig anchors every new checkpoint quickly and retries often.
func outageConfig(log *slog.Logger) Config {
	return Config{Interval: 200 * time.Millisecond, Entries: 1, Poll: 100 * time.Millisecond,
		ResendAfter: 3 * time.Second, MaxBackoff: time.Second, Logger: log}
}

// warnings records the anchorer's log.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *warnings) WithGroup(string) slog.Handler            { return w }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
	return nil
}

func (w *warnings) count(substr string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

// waitUntil polls cond every 100 ms until it holds or ctx ends.
func waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitAnchored waits until the checkpoint of size is anchored; on timeout
// it shows the anchor records and the anchorer's last warnings.
func waitAnchored(ctx context.Context, t *testing.T, l *ledger.Log, w *warnings, size uint64) {
	t.Helper()
	for !anchoredAt(ctx, l, size) {
		select {
		case <-ctx.Done():
			recs, _ := l.Anchors(context.Background())
			w.mu.Lock()
			last := w.msgs[max(0, len(w.msgs)-5):]
			w.mu.Unlock()
			t.Fatalf("timed out waiting until the checkpoint of size %d is anchored\nanchor records: %+v\nlast warnings:\n  %s",
				size, recs, strings.Join(last, "\n  "))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// anchoredAt reports whether the log's checkpoint of size is anchored
// (included or final) with the right root.
func anchoredAt(ctx context.Context, l *ledger.Log, size uint64) bool {
	recs, err := l.Anchors(ctx)
	if err != nil {
		return false
	}
	for _, r := range recs {
		if r.Size == size && (r.Status == ledger.AnchorIncluded || r.Status == ledger.AnchorFinal) {
			return true
		}
	}
	return false
}

// appendWhileDown appends n entries and checks each receipt: appends are
// acknowledged whether the chain is up or not.
func appendWhileDown(ctx context.Context, t *testing.T, l *ledger.Log, vk string, n int) []*ledger.Receipt {
	t.Helper()
	var out []*ledger.Receipt
	for i := range n {
		start := time.Now()
		r, err := l.Append(ctx, entry(1000+i))
		if err != nil {
			t.Fatalf("append while the node is down: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("append took %v while the node was down: appends must not wait for the chain", d)
		}
		if _, _, err := ledger.VerifyReceipt(r, vk); err != nil {
			t.Fatalf("receipt while the node is down: %v", err)
		}
		out = append(out, r)
	}
	return out
}

// auditWithChain audits the whole log against the chain and requires every
// acknowledged entry to be covered by an anchored checkpoint.
func auditWithChain(ctx context.Context, t *testing.T, l *ledger.Log, vk string, b Backend, acked []*ledger.Receipt) {
	t.Helper()
	c, err := l.AnchorContract(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := NewContract(ctx, b, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Audit(ctx, l.AuditSource(), vk, ct)
	if err != nil || !rep.OK() || rep.AnchorsOnChain < 2 || rep.AnchorsPending > 0 {
		t.Fatalf("audit with the chain: %v %+v", err, rep)
	}
	latest := l.Latest()
	for _, r := range acked {
		if r.Index >= latest.Size {
			t.Errorf("entry %d acknowledged while the node was down is not in the anchored checkpoint of size %d", r.Index, latest.Size)
		}
		e, err := l.Entry(ctx, r.Index)
		if err != nil || string(e) != string(r.Entry) {
			t.Errorf("entry %d acknowledged while the node was down: %v", r.Index, err)
		}
	}
	t.Logf("audit: %d entries, %d checkpoints, %d anchors on chain (%d final)", rep.Entries, rep.Checkpoints, rep.AnchorsOnChain, rep.AnchorsFinal)
}

// TestAnchoringSurvivesEmbeddedNodeOutage stops the embedded dev node while
// the anchorer runs, appends while it is down, restarts it on the same
// directory and waits until the latest checkpoint is anchored.
func TestAnchoringSurvivesEmbeddedNodeOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded Ethereum node twice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	key, _ := crypto.GenerateKey()
	cfg := devchain.Config{Dir: filepath.Join(t.TempDir(), "chain"), Funded: crypto.PubkeyToAddress(key.PublicKey), Period: time.Second}
	node, err := devchain.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sb := &switchBackend{c: node.Client()}
	l, vk := newLog(t)
	w := &warnings{}
	an, err := Attach(ctx, l, sb, key, outageConfig(slog.New(w)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- an.Run(runCtx) }()
	defer func() { stop(); <-done }()

	appendN(t, l, 3)
	waitAnchored(ctx, t, l, w, 3)

	if err := node.Close(); err != nil { // the node goes away
		t.Fatal(err)
	}
	acked := appendWhileDown(ctx, t, l, vk, 5)
	waitUntil(ctx, t, "the anchorer reports the unreachable node", func() bool { return w.count("anchoring step failed") >= 2 })
	if st, err := an.Status(ctx); err != nil || st.LastError == "" {
		t.Errorf("status while the node is down: %+v %v", st, err)
	}
	if anchoredAt(ctx, l, l.Latest().Size) {
		t.Fatal("anchored while the node was down")
	}

	node, err = devchain.Start(ctx, cfg) // the node comes back
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	sb.set(node.Client())
	size := l.Latest().Size
	waitAnchored(ctx, t, l, w, size)
	auditWithChain(ctx, t, l, vk, node.Client(), acked)
}

// TestAnchoringSurvivesGethRestart anchors on a real `geth --dev` reached
// over HTTP, stops geth (SIGINT), appends while it is down, starts it again
// on the same data directory and port, and waits until the latest checkpoint
// is anchored. Like TestRealGethDev it skips without geth unless
// ESPAI_REQUIRE_GETH=1.
func TestAnchoringSurvivesGethRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs geth twice")
	}
	bin, err := exec.LookPath("geth")
	if err != nil {
		if os.Getenv("ESPAI_REQUIRE_GETH") == "1" {
			t.Fatal("geth not on PATH and ESPAI_REQUIRE_GETH=1: run make geth")
		}
		t.Skip("geth not on PATH: install with `make geth` (go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	datadir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	rpcURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	g := startGeth(ctx, t, bin, datadir, port)
	client, err := ethclient.DialContext(ctx, rpcURL) // HTTP: every call is a new request
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	key := fundedKey(ctx, t, client)
	l, vk := newLog(t)
	w := &warnings{}
	an, err := Attach(ctx, l, client, key, outageConfig(slog.New(w)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- an.Run(runCtx) }()
	defer func() { stop(); <-done }()

	appendN(t, l, 3)
	waitAnchored(ctx, t, l, w, 3)

	g.stop(t) // geth goes away
	acked := appendWhileDown(ctx, t, l, vk, 5)
	waitUntil(ctx, t, "the anchorer reports the unreachable node", func() bool { return w.count("anchoring step failed") >= 2 })
	if anchoredAt(ctx, l, l.Latest().Size) {
		t.Fatal("anchored while geth was down")
	}

	g = startGeth(ctx, t, bin, datadir, port) // geth comes back
	defer g.stop(t)
	size := l.Latest().Size
	waitAnchored(ctx, t, l, w, size)
	auditWithChain(ctx, t, l, vk, client, acked)
}

// gethProc is a running `geth --dev`.
type gethProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startGeth starts geth --dev on datadir, serving HTTP JSON-RPC on port, and
// waits until it answers.
func startGeth(ctx context.Context, t *testing.T, bin, datadir string, port int) *gethProc {
	t.Helper()
	cmd := exec.Command(bin, "--dev", "--dev.period", "1", "--datadir", datadir,
		"--http", "--http.addr", "127.0.0.1", "--http.port", fmt.Sprint(port), "--http.api", "eth,net,web3",
		"--nodiscover", "--maxpeers", "0", "--port", "0", "--authrpc.port", "0", "--verbosity", "1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gethProc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(g.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-g.done })
	c, err := ethclient.DialContext(ctx, fmt.Sprintf("http://127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitUntil(ctx, t, "geth answers", func() bool {
		select {
		case <-g.done:
			t.Fatal("geth exited")
		default:
		}
		_, err := c.BlockNumber(ctx)
		return err == nil
	})
	return g
}

// stop stops geth cleanly (SIGINT: it writes its state and exits).
func (g *gethProc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-g.done:
		return
	default:
	}
	_ = g.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-g.done:
	case <-time.After(30 * time.Second):
		t.Error("geth did not stop within 30s of SIGINT")
		g.cmd.Process.Kill()
		<-g.done
	}
}

// fundedKey returns a new key funded from geth's unlocked dev account.
func fundedKey(ctx context.Context, t *testing.T, client *ethclient.Client) *ecdsa.PrivateKey {
	t.Helper()
	key, _ := crypto.GenerateKey()
	var accounts []string
	if err := client.Client().CallContext(ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
		t.Fatalf("dev account: %v %v", accounts, err)
	}
	var txh string
	if err := client.Client().CallContext(ctx, &txh, "eth_sendTransaction", map[string]any{
		"from": accounts[0], "to": crypto.PubkeyToAddress(key.PublicKey).Hex(),
		"value": hexutil.EncodeBig(new(big.Int).Lsh(big.NewInt(1), 64)),
	}); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "the funding arrives", func() bool {
		bal, err := client.BalanceAt(ctx, crypto.PubkeyToAddress(key.PublicKey), nil)
		return err == nil && bal.Sign() > 0
	})
	return key
}

// switchBackend is a Backend whose node can be replaced while the Contract
// built on it lives on: the embedded node has no RPC endpoint to reconnect
// to, so the test hands the anchorer the restarted node's client, as an
// outside node's URL stays the same across its restarts.
type switchBackend struct {
	mu sync.RWMutex
	c  *ethclient.Client
}

var _ Backend = (*switchBackend)(nil)

func (s *switchBackend) set(c *ethclient.Client) {
	s.mu.Lock()
	s.c = c
	s.mu.Unlock()
}

func (s *switchBackend) client() *ethclient.Client {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.c
}

func (s *switchBackend) ChainID(ctx context.Context) (*big.Int, error) {
	return s.client().ChainID(ctx)
}
func (s *switchBackend) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	return s.client().HeaderByNumber(ctx, n)
}
func (s *switchBackend) CodeAt(ctx context.Context, a common.Address, n *big.Int) ([]byte, error) {
	return s.client().CodeAt(ctx, a, n)
}
func (s *switchBackend) CallContract(ctx context.Context, m ethereum.CallMsg, n *big.Int) ([]byte, error) {
	return s.client().CallContract(ctx, m, n)
}
func (s *switchBackend) EstimateGas(ctx context.Context, m ethereum.CallMsg) (uint64, error) {
	return s.client().EstimateGas(ctx, m)
}
func (s *switchBackend) SuggestGasPrice(ctx context.Context) (*big.Int, error) {
	return s.client().SuggestGasPrice(ctx)
}
func (s *switchBackend) SuggestGasTipCap(ctx context.Context) (*big.Int, error) {
	return s.client().SuggestGasTipCap(ctx)
}
func (s *switchBackend) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	return s.client().SendTransaction(ctx, tx)
}
func (s *switchBackend) PendingCodeAt(ctx context.Context, a common.Address) ([]byte, error) {
	return s.client().PendingCodeAt(ctx, a)
}
func (s *switchBackend) PendingNonceAt(ctx context.Context, a common.Address) (uint64, error) {
	return s.client().PendingNonceAt(ctx, a)
}
func (s *switchBackend) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	return s.client().FilterLogs(ctx, q)
}
func (s *switchBackend) SubscribeFilterLogs(ctx context.Context, q ethereum.FilterQuery, ch chan<- types.Log) (ethereum.Subscription, error) {
	return s.client().SubscribeFilterLogs(ctx, q, ch)
}
func (s *switchBackend) TransactionReceipt(ctx context.Context, h common.Hash) (*types.Receipt, error) {
	return s.client().TransactionReceipt(ctx, h)
}
func (s *switchBackend) TransactionByHash(ctx context.Context, h common.Hash) (*types.Transaction, bool, error) {
	return s.client().TransactionByHash(ctx, h)
}

// memChain is an in-memory Chain whose anchors can be dropped, as a reorg
// or a node that lost its recent blocks drops them.
type memChain struct {
	mu       sync.Mutex
	anchors  map[uint64]ledger.ChainAnchor
	head     uint64
	finality uint64
	sends    int
}

func (m *memChain) Send(_ context.Context, root ledger.Hash, size uint64) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.head++
	m.sends++
	tx := fmt.Sprintf("0x%064x", m.sends)
	m.anchors[size] = ledger.ChainAnchor{Size: size, Root: root, Block: m.head, TxHash: tx}
	return tx, nil
}

func (m *memChain) Find(_ context.Context, size uint64) (ledger.ChainAnchor, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.anchors[size]
	return a, ok, nil
}

func (m *memChain) Finalized(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.finality, nil
}

// TestAnchorerNoticesDroppedAnchor: an anchor included in a block that then
// leaves the chain (a reorg, or a dev node that lost its unflushed blocks
// in a crash) must not be marked final when the chain's finalized height
// passes its block number; the anchorer must notice and anchor again.
func TestAnchorerNoticesDroppedAnchor(t *testing.T) {
	ctx := context.Background()
	l, _ := newLog(t)
	mc := &memChain{anchors: map[uint64]ledger.ChainAnchor{}}
	a, err := New(l, mc, ledger.AnchorContract{}, Config{Entries: 1})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 2)
	for range 2 { // send, then see it in a block
		if err := a.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !anchoredAt(ctx, l, 2) {
		recs, _ := l.Anchors(ctx)
		t.Fatalf("not included: %+v", recs)
	}
	mc.mu.Lock()
	delete(mc.anchors, 2) // the block is gone
	mc.head, mc.finality = 100, 100
	mc.mu.Unlock()
	for range 3 {
		if err := a.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := l.Anchors(ctx)
	mc.mu.Lock()
	on, onChain := mc.anchors[2]
	mc.mu.Unlock()
	if len(recs) != 1 || recs[0].Status == ledger.AnchorFinal && !onChain {
		t.Fatalf("size 2 marked final although the chain no longer holds it: %+v", recs)
	}
	if !onChain || !anchoredAt(ctx, l, 2) || recs[0].Block != on.Block || recs[0].TxHash != on.TxHash {
		t.Fatalf("size 2 not anchored again after its block was dropped: on chain %v %+v, records %+v", onChain, on, recs)
	}
	// The finalized height passes the new block: final now, as it is on chain.
	mc.mu.Lock()
	mc.finality = mc.head
	mc.mu.Unlock()
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if recs, _ := l.Anchors(ctx); recs[0].Status != ledger.AnchorFinal {
		t.Fatalf("not final once its block is: %+v", recs)
	}
}
