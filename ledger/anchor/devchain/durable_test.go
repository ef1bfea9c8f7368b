package devchain

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/anchor"
)

// childEnv makes the test binary run TestChildNode: the node that is killed.
const childEnv = "ESPAI_DEVCHAIN_CHILD_DIR"

// testKeyHex is the child's and the parent's anchoring key (test only).
const testKeyHex = "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"

func testKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.HexToECDSA(testKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestChildNode is the process TestSurvivesSIGKILL kills: it deploys the
// anchor contract, anchors a root, prints what the chain holds and waits.
func TestChildNode(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("run by TestSurvivesSIGKILL")
	}
	ctx := context.Background()
	key := testKey(t)
	n, err := Start(ctx, Config{Dir: dir, Funded: crypto.PubkeyToAddress(key.PublicKey), Period: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, err := anchor.Deploy(ctx, n.Client(), key)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := anchor.NewContract(ctx, n.Client(), c, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Send(ctx, ledger.Hash{1}, 1); err != nil {
		t.Fatal(err)
	}
	var block uint64
	for {
		on, found, err := ct.Find(ctx, 1)
		if err == nil && found {
			block = on.Block
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Block N is on disk once block N+2 is made (syncBlocks).
	for {
		if head, err := n.Client().BlockNumber(ctx); err == nil && head >= block+2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("READY %s %d\n", c.Address, block)
	time.Sleep(time.Hour) // until killed
}

// TestSurvivesSIGKILL kills a process running the embedded node right after
// an anchor was mined, with no clean shutdown, and restarts the node on its
// directory: the contract and the anchor are still there (geth's default
// storage lost every block since the node started, contract included).
func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded Ethereum node in two processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "chain")
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestChildNode$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var addr string
	var block uint64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "READY %s %d", &addr, &block); err == nil {
			break
		}
	}
	if addr == "" {
		t.Fatalf("the child never anchored: %v", sc.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	key := testKey(t)
	start := time.Now()
	n, err := Start(ctx, Config{Dir: dir, Funded: crypto.PubkeyToAddress(key.PublicKey), Period: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	t.Logf("restarted in %v", time.Since(start).Round(time.Millisecond))
	if !n.Durable() {
		t.Error("a new chain directory is not durable")
	}
	head, err := n.Client().BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, err := n.Client().CodeAt(ctx, common.HexToAddress(addr), nil)
	if err != nil || len(code) == 0 || head < block {
		t.Fatalf("after SIGKILL: head %d (anchor in block %d), contract code %d bytes, %v", head, block, len(code), err)
	}
	ct, err := anchor.NewContract(ctx, n.Client(), ledger.AnchorContract{ChainID: 1337, Address: addr}, key)
	if err != nil {
		t.Fatal(err)
	}
	if on, found, err := ct.Find(ctx, 1); err != nil || !found || on.Block != block {
		t.Fatalf("anchor after SIGKILL: %+v %v %v, want block %d", on, found, err, block)
	}
	// The node goes on: a new anchor is mined.
	if _, err := ct.Send(ctx, ledger.Hash{2}, 2); err != nil {
		t.Fatal(err)
	}
	for {
		if _, found, err := ct.Find(ctx, 2); err == nil && found {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("no block after the restart")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestLegacyDirectoryKeepsItsScheme: a chain directory created before
// durable storage (no marker) is opened as it is, and says so.
func TestLegacyDirectoryKeepsItsScheme(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, instance, "chaindata"), 0o700); err != nil {
		t.Fatal(err)
	}
	if d, err := durableStorage(dir); err != nil || d {
		t.Fatalf("legacy directory: durable %v, %v", d, err)
	}
	if _, err := os.Stat(filepath.Join(dir, storageFile)); !os.IsNotExist(err) {
		t.Fatalf("marker written in a legacy directory: %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "chain")
	for range 2 {
		if d, err := durableStorage(fresh); err != nil || !d {
			t.Fatalf("new directory: durable %v, %v", d, err)
		}
	}
}

// benchAnchors mines one block per anchor transaction (period 0: the node
// seals a block as soon as a transaction arrives) and reports the blocks per
// second and how much the chain directory grew per block (write-ahead log
// included: docs/ledger.md gives the compacted sizes).
func benchAnchors(b *testing.B, durable bool) {
	ctx := context.Background()
	key := testKey(b)
	dir := filepath.Join(b.TempDir(), "chain")
	n, err := start(ctx, Config{Dir: dir, Funded: crypto.PubkeyToAddress(key.PublicKey)}, durable, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	c, err := anchor.Deploy(ctx, n.Client(), key)
	if err != nil {
		b.Fatal(err)
	}
	ct, err := anchor.NewContract(ctx, n.Client(), c, key)
	if err != nil {
		b.Fatal(err)
	}
	before := dirSize(b, dir)
	b.ResetTimer()
	for i := range b.N {
		tx, err := ct.Send(ctx, ledger.Hash{byte(i), byte(i >> 8), 1}, uint64(i+1))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := n.Client().TransactionReceipt(ctx, common.HexToHash(tx)); err == nil {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.StopTimer()
	if _, found, err := ct.Find(ctx, uint64(b.N)); err != nil || !found {
		b.Fatalf("last anchor not mined: %v", err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
	b.ReportMetric(float64(dirSize(b, dir)-before)/float64(b.N), "disk-B/block")
}

func dirSize(b *testing.B, dir string) int64 {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			size += info.Size()
		}
		return err
	})
	if err != nil && !strings.Contains(err.Error(), "no such file") {
		b.Fatal(err)
	}
	return size
}

// benchEmpty seals empty blocks (as the node does every Period when there is
// nothing to anchor) and reports the blocks per second and how much the
// chain directory grew per block (the beacon-root and block-hash system
// contracts change state in every block; write-ahead log included).
func benchEmpty(b *testing.B, durable bool) {
	ctx := context.Background()
	key := testKey(b)
	dir := filepath.Join(b.TempDir(), "chain")
	n, err := start(ctx, Config{Dir: dir, Funded: crypto.PubkeyToAddress(key.PublicKey)}, durable, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	n.beacon.Commit()
	before := dirSize(b, dir)
	b.ResetTimer()
	for range b.N {
		n.beacon.Commit() // no transaction arrives: the on-demand sealer stays idle
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
	b.ReportMetric(float64(dirSize(b, dir)-before)/float64(b.N), "disk-B/block")
}

// BenchmarkEmptyBlockDurable seals empty blocks with durable storage.
func BenchmarkEmptyBlockDurable(b *testing.B) { benchEmpty(b, true) }

// BenchmarkEmptyBlockDefault is the baseline with geth's default storage.
func BenchmarkEmptyBlockDefault(b *testing.B) { benchEmpty(b, false) }

// BenchmarkAnchorBlockDurable mines anchor blocks with durable storage
// (hash scheme, archive: every block's state written with it).
func BenchmarkAnchorBlockDurable(b *testing.B) { benchAnchors(b, true) }

// BenchmarkAnchorBlockDefault is the baseline: geth's default storage (path
// scheme, state kept in memory until a clean shutdown).
func BenchmarkAnchorBlockDefault(b *testing.B) { benchAnchors(b, false) }
