package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// TestServeSurvivesNodeOutage runs `espai serve --eth-rpc` against a real
// `geth --dev`, stops geth while the server keeps answering (appends are
// acknowledged, the anchorer logs its failures), restarts the server while
// geth is down, brings geth back and requires the latest checkpoint to be
// anchored and `espai audit verify --data DIR --eth-rpc URL` to pass with
// the anchors checked. Like ledger/anchor's TestRealGethDev it skips without
// geth unless ESPAI_REQUIRE_GETH=1.
func TestServeSurvivesNodeOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs geth and espai serve")
	}
	bin, err := exec.LookPath("geth")
	if err != nil {
		if os.Getenv("ESPAI_REQUIRE_GETH") == "1" {
			t.Fatal("geth not on PATH and ESPAI_REQUIRE_GETH=1: run make geth")
		}
		t.Skip("geth not on PATH: install with `make geth` (go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := initDemo(t)
	k := newAcks()
	k.budget(t, dir, 1)

	gethDir, rpc := t.TempDir(), "http://"+freeAddr(t)
	g := startGeth(ctx, t, bin, gethDir, rpc)
	keyFile := filepath.Join(t.TempDir(), "anchor.key")
	fundKey(ctx, t, rpc, keyFile)
	args := []string{"--eth-rpc", rpc, "--eth-key", keyFile, "--anchor-interval", "1s", "--anchor-entries", "1"}
	rng := rand.New(rand.NewPCG(3, 4))
	exchanges := func(a *api, round, n int) {
		t.Helper()
		l := &loader{api: a, acks: k, round: round}
		for range n {
			if err := l.exchange(ctx, rng); err != nil {
				t.Fatal(err)
			}
		}
	}

	srv := startServer(t, dir, launcher{}, args...)
	a := newAPI(srv.base)
	vkey, err := a.verifierKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exchanges(a, 1, 3)
	waitAnchoredHTTP(ctx, t, srv, a, vkey)

	g.stop(t) // the node goes away; the server keeps answering
	exchanges(a, 2, 5)
	for !strings.Contains(srv.stderr.String(), "anchoring step failed") {
		if ctx.Err() != nil {
			t.Fatalf("the anchorer never reported the unreachable node:\n%s", srv.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	lv := ledgerView{vkey: vkey}
	if err := verifyAcks(ctx, a, &lv, k); err != nil {
		t.Error(err)
	}
	srv.kill()
	srv.checkLogs(t)

	// A restart during the outage: the service comes up, says the anchorer
	// is connecting, and takes requests; anchoring waits for the node.
	srv = startServer(t, dir, launcher{}, args...)
	a = newAPI(srv.base)
	var st struct {
		Status struct {
			State     string `json:"state"`
			LastError string `json:"last_error"`
		} `json:"status"`
	}
	if err := a.get(ctx, "/ledger/anchors", "", &st); err != nil {
		t.Fatal(err)
	}
	if st.Status.State != "connecting" || st.Status.LastError == "" {
		t.Errorf("anchor status while the node is down: %+v", st.Status)
	}
	if !strings.Contains(srv.stderr.String(), "Ethereum node unreachable") {
		t.Errorf("no warning about the unreachable node:\n%s", srv.stderr.String())
	}
	exchanges(a, 3, 2)

	g = startGeth(ctx, t, bin, gethDir, rpc) // the node comes back
	defer g.stop(t)
	a = newAPI(srv.base)
	if err := verifyAcks(ctx, a, &lv, k); err != nil {
		t.Error(err)
	}
	waitAnchoredHTTP(ctx, t, srv, a, vkey)
	srv.kill()
	srv.checkLogs(t)
	checkBoltFiles(t, dir)
	if rep := auditVerify(t, dir, "--eth-rpc", rpc); rep.AnchorsOnChain < 2 {
		t.Errorf("audit checked %d anchors on chain, want at least 2", rep.AnchorsOnChain)
	}
}

// waitAnchoredHTTP waits until the server's latest checkpoint is anchored
// (included or final), as GET /ledger/anchors reports.
func waitAnchoredHTTP(ctx context.Context, t *testing.T, srv *server, a *api, vkey string) {
	t.Helper()
	cp, err := a.checkpoint(ctx, vkey)
	if err != nil {
		t.Fatal(err)
	}
	for {
		var out struct {
			Records []struct {
				Size   uint64 `json:"size"`
				Status string `json:"status"`
			} `json:"records"`
		}
		if err := a.get(ctx, "/ledger/anchors", "", &out); err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Records {
			if r.Size == cp.Size && (r.Status == "included" || r.Status == "final") {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("checkpoint %d never anchored: %+v\n%s", cp.Size, out.Records, srv.stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// gethNode is a running `geth --dev`.
type gethNode struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startGeth starts geth --dev on datadir serving JSON-RPC at rpc
// (http://127.0.0.1:PORT) and waits until it answers.
func startGeth(ctx context.Context, t *testing.T, bin, datadir, rpc string) *gethNode {
	t.Helper()
	port := rpc[strings.LastIndex(rpc, ":")+1:]
	cmd := exec.Command(bin, "--dev", "--dev.period", "1", "--datadir", datadir,
		"--http", "--http.addr", "127.0.0.1", "--http.port", port, "--http.api", "eth,net,web3",
		"--nodiscover", "--maxpeers", "0", "--port", "0", "--authrpc.port", "0", "--verbosity", "1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gethNode{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(g.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-g.done })
	c, err := ethclient.DialContext(ctx, rpc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		if _, err := c.BlockNumber(ctx); err == nil {
			return g
		}
		select {
		case <-g.done:
			t.Fatal("geth exited")
		case <-ctx.Done():
			t.Fatal("geth did not start")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop stops geth cleanly (SIGINT).
func (g *gethNode) stop(t *testing.T) {
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

// fundKey writes a new anchoring key to file (hex, 0600) and funds it from
// geth's unlocked dev account.
func fundKey(ctx context.Context, t *testing.T, rpc, file string) {
	t.Helper()
	key, _ := crypto.GenerateKey()
	if err := os.WriteFile(file, []byte(hex.EncodeToString(crypto.FromECDSA(key))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ethclient.DialContext(ctx, rpc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var accounts []string
	if err := c.Client().CallContext(ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
		t.Fatalf("dev account: %v %v", accounts, err)
	}
	to := crypto.PubkeyToAddress(key.PublicKey)
	var txh string
	if err := c.Client().CallContext(ctx, &txh, "eth_sendTransaction", map[string]any{
		"from": accounts[0], "to": to.Hex(), "value": hexutil.EncodeBig(new(big.Int).Lsh(big.NewInt(1), 64)),
	}); err != nil {
		t.Fatal(err)
	}
	for {
		if bal, err := c.BalanceAt(ctx, to, nil); err == nil && bal.Sign() > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal(fmt.Errorf("funding never arrived"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}
