package ledger

import (
	"context"
	"crypto/rand"
	"flag"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func testKey(t testing.TB) (skey, vkey string) {
	t.Helper()
	sk, vk, err := note.GenerateKey(rand.Reader, DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return sk, vk
}

func openTestLog(t testing.TB, path, skey string) *Log {
	t.Helper()
	l, err := Open(context.Background(), Config{Path: path, SignerKey: skey})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// newTestLog opens a log in a fresh directory; it is closed and its bbolt
// file consistency-checked (Tx.Check) at cleanup.
func newTestLog(t testing.TB) (*Log, string) {
	t.Helper()
	sk, _ := testKey(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openTestLog(t, path, sk)
	t.Cleanup(func() {
		l.Close()
		checkBolt(t, path)
	})
	return l, path
}

func checkBolt(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
}

func sampleEntry(i int) Entry {
	kinds := []Entry{
		{Kind: KindConsentGiven, Administration: "ajuntament-girona", Purpose: "ajut-lloguer", LegalBasis: "Llei 39/2015, art. 28", Categories: []string{"birthDate", "address"}},
		{Kind: KindDataExchange, Administration: "agencia-habitatge", Source: "aeat", Purpose: "ajut-lloguer", LegalBasis: "Llei 39/2015, art. 28.2", Categories: []string{"tax-compliance"}},
		{Kind: KindPresentationVerified, Administration: "ajuntament-girona", Purpose: "padro", CredentialType: "CensusCredential", Categories: []string{"municipality"}, Outcome: OutcomeAccepted},
		{Kind: KindCredentialIssued, Administration: "ajuntament-girona", CredentialType: "CensusCredential"},
	}
	e := kinds[i%len(kinds)]
	e.Time = time.UnixMilli(1_760_000_000_000 + int64(i)).UTC()
	e.Pseudonym = Pseudonym([]byte("citizen-secret-0123456789abcdef!"), e.Administration)
	e.Commitment = commitWith(make([]byte, SaltSize), []byte{byte(i), byte(i >> 8), byte(i >> 16)})
	return e
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }
