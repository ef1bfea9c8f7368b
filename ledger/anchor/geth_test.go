package anchor

import (
	"context"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/espai/espai/ledger"
)

// TestRealGethDev anchors against a real `geth --dev` process on 127.0.0.1.
// Without geth on PATH it skips, unless ESPAI_REQUIRE_GETH=1 (CI, make test).
func TestRealGethDev(t *testing.T) {
	bin, err := exec.LookPath("geth")
	if err != nil {
		if os.Getenv("ESPAI_REQUIRE_GETH") == "1" {
			t.Fatal("geth not on PATH and ESPAI_REQUIRE_GETH=1: run make geth")
		}
		t.Skip("geth not on PATH: install with `make geth` (go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--dev", "--dev.period", "1", "--datadir", t.TempDir(),
		"--http", "--http.addr", "127.0.0.1", "--http.port", fmt.Sprint(port), "--http.api", "eth,net,web3",
		"--nodiscover", "--maxpeers", "0", "--port", "0", "--authrpc.port", "0", "--verbosity", "1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var client *ethclient.Client
	for {
		if client, err = ethclient.DialContext(ctx, fmt.Sprintf("http://127.0.0.1:%d", port)); err == nil {
			if _, err = client.ChainID(ctx); err == nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("geth did not start: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	defer client.Close()
	// Fund our anchoring key from geth's unlocked dev account.
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
	for {
		bal, err := client.BalanceAt(ctx, crypto.PubkeyToAddress(key.PublicKey), nil)
		if err == nil && bal.Sign() > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("funding never arrived")
		case <-time.After(200 * time.Millisecond):
		}
	}
	c, err := Deploy(ctx, client, key)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := NewContract(ctx, client, c, key)
	if err != nil {
		t.Fatal(err)
	}
	l, vk := newLog(t)
	a, err := New(l, ct, c, Config{Entries: 3})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3)
	for {
		if err := a.Step(ctx); err != nil {
			t.Logf("step: %v", err) // e.g. "transaction indexing is in progress": retried
		}
		recs, _ := l.Anchors(ctx)
		if len(recs) == 1 && recs[0].Status != ledger.AnchorPending {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("never included: %+v", recs)
		case <-time.After(500 * time.Millisecond):
		}
	}
	onChain, err := ct.AnchoredOnChain(ctx)
	if err != nil || len(onChain) != 1 || onChain[0].Size != 3 || onChain[0].Root != l.Latest().Root {
		t.Fatalf("on chain: %+v %v", onChain, err)
	}
	_ = vk
}
