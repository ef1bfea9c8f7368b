package anchor

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"golang.org/x/mod/sumdb/note"

	"github.com/espai/espai/ledger"
)

func newLog(t testing.TB) (*ledger.Log, string) {
	t.Helper()
	sk, vk, err := note.GenerateKey(rand.Reader, ledger.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(context.Background(), ledger.Config{Path: filepath.Join(t.TempDir(), "ledger.db"), SignerKey: sk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, vk
}

func entry(i int) ledger.Entry {
	return ledger.Entry{
		Kind: ledger.KindDataExchange, Administration: "agencia-habitatge", Source: "aeat",
		Purpose: "ajut-lloguer", LegalBasis: "Llei 39/2015, art. 28.2", Categories: []string{"tax-compliance"},
		Pseudonym:  ledger.Pseudonym([]byte("secret-secret-secret-secret-1234"), "agencia-habitatge"),
		Commitment: ledger.Commitment{byte(i), byte(i >> 8), 1},
	}
}

func appendN(t testing.TB, l *ledger.Log, n int) {
	t.Helper()
	for i := range n {
		if _, err := l.Append(context.Background(), entry(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func simChain(t testing.TB) (*simulated.Backend, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := crypto.GenerateKey()
	addr := crypto.PubkeyToAddress(key.PublicKey)
	sim := simulated.NewBackend(types.GenesisAlloc{addr: {Balance: new(big.Int).Lsh(big.NewInt(1), 80)}})
	t.Cleanup(func() { sim.Close() })
	return sim, key
}

// deploySim deploys the contract on the simulated chain (Commit mines it) and
// then mines empty blocks up to the first one after an epoch boundary: the
// simulated chain finalizes every 32nd block at once, so tests that count on
// an anchor being "included" before "final" start from a known place (the
// next 30 blocks are not final) however many blocks the deployment took.
func deploySim(t testing.TB, sim *simulated.Backend, key *ecdsa.PrivateKey) ledger.AnchorContract {
	t.Helper()
	c := deployOnly(t, sim, key)
	for {
		n, err := sim.Client().BlockNumber(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n%32 == 1 {
			return c
		}
		sim.Commit()
	}
}

func deployOnly(t testing.TB, sim *simulated.Backend, key *ecdsa.PrivateKey) ledger.AnchorContract {
	t.Helper()
	done := make(chan struct{})
	var c ledger.AnchorContract
	var err error
	go func() {
		defer close(done)
		c, err = Deploy(context.Background(), sim.Client(), key)
	}()
	for {
		select {
		case <-done:
			if err != nil {
				t.Fatal(err)
			}
			return c
		case <-time.After(10 * time.Millisecond):
			sim.Commit()
		}
	}
}

func TestAnchorLifecycleSimulated(t *testing.T) {
	ctx := context.Background()
	sim, key := simChain(t)
	c := deploySim(t, sim, key)
	ct, err := NewContract(ctx, sim.Client(), c, key)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := newLog(t)
	now := time.Unix(1_760_000_000, 0)
	a, err := New(l, ct, c, Config{Entries: 5, Interval: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 4)
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if recs, _ := l.Anchors(ctx); len(recs) != 0 {
		t.Fatalf("anchored before Entries or Interval: %+v", recs)
	}
	appendN(t, l, 1)
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	status := func() ledger.AnchorRecord {
		recs, err := l.Anchors(ctx)
		if err != nil || len(recs) != 1 {
			t.Fatalf("anchors %+v %v", recs, err)
		}
		return recs[0]
	}
	if r := status(); r.Status != ledger.AnchorPending || r.TxHash == "" || r.Size != 5 {
		t.Fatalf("after send: %+v", r)
	}
	sim.Commit()
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if r := status(); r.Status != ledger.AnchorIncluded || r.Block == 0 {
		t.Fatalf("after mining: %+v", r)
	}
	for range 40 { // simulated finality: every 32-block epoch
		sim.Commit()
	}
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if r := status(); r.Status != ledger.AnchorFinal {
		t.Fatalf("after 40 blocks: %+v", r)
	}
	// Interval: one more entry, an hour later, is anchored too.
	appendN(t, l, 1)
	now = now.Add(time.Hour)
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := a.Status(ctx)
	if err != nil || st.Final != 1 || st.Included != 1 || st.Pending != 0 || st.Latest.Size != 6 {
		t.Fatalf("status %+v %v", st, err)
	}
	// The audit reads the anchors back from the chain.
	onChain, err := ct.AnchoredOnChain(ctx)
	if err != nil || len(onChain) != 2 || !onChain[0].Final || onChain[1].Final {
		t.Fatalf("on chain: %+v %v", onChain, err)
	}
}

// flakyChain fails while down is true, then delegates.
type flakyChain struct {
	Chain
	down bool
}

func (f *flakyChain) Send(ctx context.Context, root ledger.Hash, size uint64) (string, error) {
	if f.down {
		return "", ErrChainUnavailable
	}
	return f.Chain.Send(ctx, root, size)
}

func (f *flakyChain) Find(ctx context.Context, size uint64) (ledger.ChainAnchor, bool, error) {
	if f.down {
		return ledger.ChainAnchor{}, false, ErrChainUnavailable
	}
	return f.Chain.Find(ctx, size)
}

func TestAnchorSurvivesUnreachableChain(t *testing.T) {
	ctx := context.Background()
	sim, key := simChain(t)
	c := deploySim(t, sim, key)
	ct, err := NewContract(ctx, sim.Client(), c, key)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := newLog(t)
	fc := &flakyChain{Chain: ct, down: true}
	a, err := New(l, fc, c, Config{Entries: 1})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3)
	for range 3 {
		if err := a.Step(ctx); !errors.Is(err, ErrChainUnavailable) {
			t.Fatalf("Step with chain down = %v", err)
		}
	}
	recs, _ := l.Anchors(ctx)
	if len(recs) != 1 || recs[0].Status != ledger.AnchorPending || recs[0].Attempts < 1 || recs[0].LastError == "" {
		t.Fatalf("pending record not kept: %+v", recs)
	}
	// Appends go on while the chain is down.
	appendN(t, l, 2)
	fc.down = false
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _ = l.Anchors(ctx)
	if recs[0].Status != ledger.AnchorIncluded {
		t.Fatalf("after recovery: %+v", recs[0])
	}
}

func TestWrongChain(t *testing.T) {
	sim, key := simChain(t)
	c := deploySim(t, sim, key)
	c.ChainID++
	if _, err := NewContract(context.Background(), sim.Client(), c, key); !errors.Is(err, ErrWrongChain) {
		t.Fatalf("NewContract on another chain = %v", err)
	}
}
