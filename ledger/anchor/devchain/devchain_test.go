package devchain_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/anchor"
	"github.com/espai/espai/ledger/anchor/devchain"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestEmbeddedNodeAnchorsAndPersists runs the embedded dev node the way
// `espai serve` does: deploy on first use, anchor a checkpoint until it is in a block,
// stop, restart on the same directory, and find the same contract and anchor.
func TestEmbeddedNodeAnchorsAndPersists(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	sealer, err := atrest.LoadOrCreate(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := ledger.LoadOrCreateKey(sealer, filepath.Join(dir, "ledger.key"), ledger.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	log, err := ledger.Open(ctx, ledger.Config{Path: filepath.Join(dir, "ledger.db"), SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	for i := range 5 {
		if _, err := log.Append(ctx, ledger.Entry{Kind: ledger.KindDataExchange, Administration: "ajuntament-girona", Source: "atc",
			Purpose: "ajut-lloguer", LegalBasis: "Llei 18/2007", Categories: []string{"upToDate"}, Pseudonym: ledger.PseudonymID{1, byte(i)}, Commitment: ledger.Commitment{2, byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	key, err := anchor.LoadOrCreateKey(sealer, filepath.Join(dir, "anchor.key"))
	if err != nil {
		t.Fatal(err)
	}
	chainDir := filepath.Join(dir, "chain")
	cfg := devchain.Config{Dir: chainDir, Funded: crypto.PubkeyToAddress(key.PublicKey), Period: time.Second}
	node, err := devchain.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	an, err := anchor.Attach(ctx, log, node.Client(), key, anchor.Config{Interval: time.Millisecond, Entries: 1})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, an, func(s anchor.Status) bool { return s.Included+s.Final >= 1 })
	contract, err := log.AnchorContract(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart: the chain persisted, so Attach finds the recorded contract on
	// it (a fresh chain would be refused) and the anchor is still there.
	node, err = devchain.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	if _, err := anchor.Attach(ctx, log, node.Client(), key, anchor.Config{Interval: time.Millisecond, Entries: 1}); err != nil {
		t.Fatalf("attach after restart: %v", err)
	}
	if c2, _ := log.AnchorContract(ctx); c2 != contract {
		t.Fatalf("contract changed across restart: %+v -> %+v", contract, c2)
	}
	ct, err := anchor.NewContract(ctx, node.Client(), contract, nil)
	if err != nil {
		t.Fatal(err)
	}
	vkey := log.VerifierKey()
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := ledger.OpenFileSource(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := ledger.Audit(ctx, src, vkey, ct)
	if err != nil || !rep.OK() || rep.AnchorsOnChain < 1 {
		t.Fatalf("audit after restart: %v %+v", err, rep)
	}
}

func waitFor(ctx context.Context, t *testing.T, an *anchor.Anchorer, done func(anchor.Status) bool) {
	t.Helper()
	for {
		if err := an.Step(ctx); err != nil {
			t.Logf("step: %v", err)
		}
		s, err := an.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if done(s) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out; status %+v", s)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
