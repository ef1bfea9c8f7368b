package ledger

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// testdataKey is the fixed test key (testdata/test-key.txt) used for golden
// checkpoints and receipts. It signs nothing outside tests.
func testdataKey(t testing.TB) (skey, vkey string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "test-key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[0], lines[1]
}

func TestAppendConcurrentReceipts(t *testing.T) {
	l, _ := newTestLog(t)
	ctx := context.Background()
	const writers, each = 64, 8
	receipts := make([]*Receipt, writers*each)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r, err := l.Append(ctx, sampleEntry(w*each+i))
				if err != nil {
					errs <- err
					return
				}
				receipts[w*each+i] = r
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := l.Latest().Size; got != writers*each {
		t.Fatalf("size %d, want %d", got, writers*each)
	}
	seen := map[uint64]bool{}
	for _, r := range receipts {
		if seen[r.Index] {
			t.Fatalf("index %d given twice", r.Index)
		}
		seen[r.Index] = true
		if _, cp, err := VerifyReceipt(r, l.VerifierKey()); err != nil {
			t.Fatalf("receipt %d: %v", r.Index, err)
		} else if err := proof.VerifyInclusion(rfc6962.DefaultHasher, r.Index, cp.Size, r.LeafHash[:], hashBytes(r.Proof), cp.Root[:]); err != nil {
			// Independent RFC 6962 implementation: standard tooling agrees.
			t.Fatalf("transparency-dev/merkle rejects receipt %d: %v", r.Index, err)
		}
		stored, err := l.Entry(ctx, r.Index)
		if err != nil || string(stored) != string(r.Entry) {
			t.Fatalf("stored entry %d differs: %v", r.Index, err)
		}
	}
	// Group commit: fewer checkpoints (transactions) than entries.
	var sizes []uint64
	if err := l.Checkpoints(ctx, 0, func(size uint64, _ []byte) (bool, error) {
		sizes = append(sizes, size)
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(sizes) >= writers*each {
		t.Errorf("%d checkpoints for %d entries: appends were not batched", len(sizes), writers*each)
	}
	// Every checkpoint is consistent with the next.
	for i := 1; i+1 < len(sizes); i++ {
		a, _ := l.Checkpoint(ctx, sizes[i])
		b, _ := l.Checkpoint(ctx, sizes[i+1])
		p, err := l.ConsistencyProof(ctx, a.Size, b.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(a.Size, b.Size, a.Root, b.Root, p); err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, a.Size, b.Size, hashBytes(p), a.Root[:], b.Root[:]); err != nil {
			t.Fatalf("transparency-dev/merkle rejects consistency %d->%d: %v", a.Size, b.Size, err)
		}
	}
}

func hashBytes(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

func TestAppendInvalidAppendsNothing(t *testing.T) {
	l, _ := newTestLog(t)
	ctx := context.Background()
	if _, err := l.Append(ctx, sampleEntry(0)); err != nil {
		t.Fatal(err)
	}
	bad := sampleEntry(1)
	bad.Source = ""
	if _, err := l.Append(ctx, bad); !errors.Is(err, ErrInvalidEntry) {
		t.Fatalf("Append(invalid) = %v, want ErrInvalidEntry", err)
	}
	if got := l.Latest().Size; got != 1 {
		t.Fatalf("size %d after a rejected append, want 1", got)
	}
}

func TestReopenAndWrongKey(t *testing.T) {
	sk, vk := testKey(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openTestLog(t, path, sk)
	ctx := context.Background()
	for i := range 5 {
		if _, err := l.Append(ctx, sampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	before := l.Latest()
	l.Close()
	if _, err := l.Append(ctx, sampleEntry(9)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	l = openTestLog(t, path, sk)
	if got := l.Latest(); got.Size != 5 || got.Root != before.Root {
		t.Fatalf("reopened at %d %x, want 5 %x", got.Size, got.Root, before.Root)
	}
	r, err := l.Append(ctx, sampleEntry(5))
	if err != nil || r.Index != 5 {
		t.Fatalf("append after reopen: %v %v", r, err)
	}
	if _, _, err := VerifyReceipt(r, vk); err != nil {
		t.Fatal(err)
	}
	l.Close()
	other, _ := testKey(t)
	if _, err := Open(ctx, Config{Path: path, SignerKey: other}); err == nil {
		t.Fatal("opened a log with another signing key")
	}
	checkBolt(t, path)
}

func TestVerifyReceiptRejectsTampering(t *testing.T) {
	l, _ := newTestLog(t)
	ctx := context.Background()
	var r *Receipt
	for i := range 7 {
		var err error
		if r, err = l.Append(ctx, sampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	_, otherVK := testKey(t)
	tests := []struct {
		name   string
		mutate func(r *Receipt)
		vkey   string
		check  string
	}{
		{"entry byte", func(r *Receipt) { r.Entry[20] ^= 1 }, "", "leaf_hash"},
		{"entry invalid", func(r *Receipt) { r.Entry = r.Entry[:10] }, "", "entry"},
		{"index", func(r *Receipt) { r.Index-- }, "", "inclusion"},
		{"proof hash", func(r *Receipt) { r.Proof[0][0] ^= 1 }, "", "inclusion"},
		{"proof dropped", func(r *Receipt) { r.Proof = r.Proof[1:] }, "", "inclusion"},
		{"checkpoint text", func(r *Receipt) { r.Checkpoint[len("espai.localhost/ledger\n")] = '9' }, "", "checkpoint_signature"},
		{"other key", func(*Receipt) {}, otherVK, "checkpoint_signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := *r
			c.Entry = append([]byte(nil), r.Entry...)
			c.Proof = append([]Hash(nil), r.Proof...)
			c.Checkpoint = append([]byte(nil), r.Checkpoint...)
			tc.mutate(&c)
			vk := tc.vkey
			if vk == "" {
				vk = l.VerifierKey()
			}
			_, _, err := VerifyReceipt(&c, vk)
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Check != tc.check || !errors.Is(err, ErrVerification) {
				t.Fatalf("VerifyReceipt = %v, want check %q", err, tc.check)
			}
		})
	}
}

func TestProofRanges(t *testing.T) {
	l, _ := newTestLog(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := l.Append(ctx, sampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	for name, f := range map[string]func() error{
		"inclusion index=size": func() error { _, err := l.InclusionProof(ctx, 3, 3); return err },
		"inclusion beyond":     func() error { _, err := l.InclusionProof(ctx, 0, 4); return err },
		"consistency old 0":    func() error { _, err := l.ConsistencyProof(ctx, 0, 3); return err },
		"consistency old>new":  func() error { _, err := l.ConsistencyProof(ctx, 3, 2); return err },
		"entries beyond":       func() error { _, err := l.Entries(ctx, 0, 4); return err },
	} {
		if err := f(); !errors.Is(err, ErrInvalidRange) {
			t.Errorf("%s: %v, want ErrInvalidRange", name, err)
		}
	}
	if _, err := l.Entry(ctx, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("Entry(3) = %v, want ErrNotFound", err)
	}
}

// TestKill9 appends from a child process, kills it with SIGKILL mid-stream
// and checks that every append it acknowledged is in the reopened log.
func TestKill9(t *testing.T) {
	if os.Getenv("ESPAI_LEDGER_CHILD") != "" {
		kill9Child()
		return
	}
	sk, vk := testKey(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), "ESPAI_LEDGER_CHILD="+path, "ESPAI_LEDGER_KEY="+sk)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, err := strconv.ParseUint(strings.TrimPrefix(sc.Text(), "acked "), 10, 64); err == nil {
			acked[n] = true
		}
		if len(acked) == 200 {
			cmd.Process.Kill() // SIGKILL
			break
		}
	}
	cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("child acknowledged only %d appends", len(acked))
	}
	l := openTestLog(t, path, sk)
	defer l.Close()
	size := l.Latest().Size
	for n := range acked {
		if n >= size {
			t.Fatalf("acknowledged entry %d lost (size %d after kill -9)", n, size)
		}
	}
	r, err := l.Append(context.Background(), sampleEntry(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyReceipt(r, vk); err != nil {
		t.Fatal(err)
	}
}

func kill9Child() {
	l, err := Open(context.Background(), Config{Path: os.Getenv("ESPAI_LEDGER_CHILD"), SignerKey: os.Getenv("ESPAI_LEDGER_KEY")})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				r, err := l.Append(context.Background(), sampleEntry(w*100000+i))
				if err != nil {
					return
				}
				mu.Lock()
				fmt.Printf("acked %d\n", r.Index)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
