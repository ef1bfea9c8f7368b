package wallet

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/espai/espai/internal/atrest"
	bolt "go.etcd.io/bbolt"
)

// Environment of the child process of TestCrashDuringDeliveries.
const (
	crashChildEnv   = "ESPAI_WALLET_CRASH_CHILD"
	crashPathEnv    = "ESPAI_WALLET_CRASH_DB"
	crashMasterEnv  = "ESPAI_WALLET_CRASH_MASTER"
	crashCitizenEnv = "ESPAI_WALLET_CRASH_CITIZEN"
	crashAcks       = 300 // acknowledged deliveries before the kill
)

// TestCrashDuringDeliveries re-executes the test binary as a child that
// delivers from many goroutines and prints "ack <id>" after each Deliver
// returns. The parent SIGKILLs it mid-stream, reopens the file and checks
// that every acknowledged delivery is there and every stored one is whole.
func TestCrashDuringDeliveries(t *testing.T) {
	if os.Getenv(crashChildEnv) == "1" {
		crashChild()
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	master := make([]byte, 32)
	master[0] = 7
	sealer, _ := atrest.New(master)
	path := filepath.Join(t.TempDir(), "wallet.db")
	id := citizenID(t, 1000)
	w, err := Open(context.Background(), path, sealer, &fakeChecker{}, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Enrol(context.Background(), id, testPass); err != nil {
		t.Fatal(err)
	}
	w.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringDeliveries$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashPathEnv+"="+path,
		crashMasterEnv+"="+hex.EncodeToString(master), crashCitizenEnv+"="+id)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < crashAcks {
		if a, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked[a] = true
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < crashAcks {
		t.Fatalf("child acknowledged only %d deliveries", len(acked))
	}

	w, err = Open(context.Background(), path, sealer, &fakeChecker{}, testConfig())
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer w.Close()
	checkDB(t, w.db)
	ck := citizenKey(w.indexKey, id)
	pub, _ := w.PublicKeys(context.Background(), id)
	stored := map[string]bool{}
	w.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCitizens).Bucket(ck)
		if n := u64(b.Get(keyInboxCount)); n != uint64(b.Bucket(bucketInbox).Stats().KeyN) {
			t.Errorf("inbox count %d, items %d", n, b.Bucket(bucketInbox).Stats().KeyN)
		}
		return b.Bucket(bucketInbox).ForEach(func(k, v []byte) error {
			stored[fmt.Sprintf("%016x", u64(k))] = true
			if len(v) < 8 || checkDeliveryJWE(v[8:], pub.DeliveryKeyID(), DefaultMaxDeliverySize) != nil {
				t.Errorf("delivery %x is half-written", k)
			}
			return nil
		})
	})
	for a := range acked {
		if !stored[a] {
			t.Errorf("acknowledged delivery %s lost", a)
		}
	}
	t.Logf("%d acknowledged, %d stored", len(acked), len(stored))
	s, err := w.Unlock(context.Background(), id, testPass)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Lock()
	if rep := s.InboxReport(); len(rep.Credentials) != len(stored) || len(rep.Rejected) != 0 {
		t.Errorf("opening after crash: %d credentials, %d rejected, want %d", len(rep.Credentials), len(rep.Rejected), len(stored))
	}
}

func crashChild() {
	master, _ := hex.DecodeString(os.Getenv(crashMasterEnv))
	sealer, _ := atrest.New(master)
	ctx := context.Background()
	w, err := Open(ctx, os.Getenv(crashPathEnv), sealer, nil, testConfig())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	id := os.Getenv(crashCitizenEnv)
	pub, err := w.PublicKeys(ctx, id)
	if err != nil {
		os.Exit(4)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				j, _ := SealForDelivery(pub.Delivery, DeliveryCredential, []byte("valid:census"))
				d, err := w.Deliver(ctx, id, j)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child deliver:", err)
					os.Exit(5)
				}
				mu.Lock()
				os.Stdout.WriteString("ack " + d + "\n") // unbuffered: the ack leaves before the next delivery
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
