package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/espai/espai/ledger"
)

// crashAfterAppend leaves the state a SIGKILL between the ledger append and
// the wallet delivery leaves: the receipt recorded as owed, the entry on the
// ledger, nothing in the wallet. With appended false the kill came before
// the append.
func crashAfterAppend(t *testing.T, a *App, citizen, purpose string, appended bool) ledger.Commitment {
	t.Helper()
	ctx := context.Background()
	secret, err := a.Wallet.PseudonymSecret(ctx, citizen)
	if err != nil {
		t.Fatal(err)
	}
	e := ledger.Entry{Kind: ledger.KindDataExchange, Administration: "aoc", Source: "ine", Purpose: purpose,
		LegalBasis: "Llei 39/2015, art. 28", Categories: []string{"municipality"}, Time: a.now().UTC().Truncate(1e6)}
	doc, _ := json.Marshal(Document{Version: 1, Kind: e.Kind.String(), Time: e.Time, Citizen: citizen, Administration: "aoc",
		Purpose: purpose, Claims: map[string]any{"municipality": "Girona"}})
	e.Pseudonym = ledger.Pseudonym(secret, e.Administration)
	var salt []byte
	if e.Commitment, salt, err = ledger.Commit(doc); err != nil {
		t.Fatal(err)
	}
	if err := a.owed.put(owedReceipt{Citizen: citizen, Commitment: e.Commitment, Admin: "aoc", Purpose: purpose,
		Kind: e.Kind.String(), Time: e.Time, Document: doc, Salt: salt, SizeBefore: a.Ledger.Latest().Size}); err != nil {
		t.Fatal(err)
	}
	if appended {
		if _, err := a.Ledger.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return e.Commitment
}

func TestOwedReceiptsAreDeliveredAfterACrash(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t)
	a, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := unlock(t, a, laia, "laia-demo-2026")
	before, _, err := s.Receipts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Lock()
	want := crashAfterAppend(t, a, laia, "school-admission", true)
	crashAfterAppend(t, a, laia, "never-appended", false)
	// This process's records wait for their appends: a sweep leaves them.
	if n, d, err := a.settleOwed(ctx); err != nil || n != 0 || d != 0 {
		t.Fatalf("sweep of records in flight: delivered %d dropped %d, %v", n, d, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// The restart delivers the owed receipt and drops the one never appended.
	opts.Create = false
	a, err = Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if recs, bad, err := a.owed.list(); err != nil || len(recs)+len(bad) != 0 {
		t.Fatalf("still owed after the restart: %d records, %d unreadable, %v", len(recs), len(bad), err)
	}
	s = unlock(t, a, laia, "laia-demo-2026")
	after, _, err := s.Receipts(ctx)
	if err != nil || len(after) != len(before)+1 {
		t.Fatalf("receipts %d -> %d, %v", len(before), len(after), err)
	}
	var got *ReceiptBundle
	for _, r := range after {
		var b ReceiptBundle
		if err := json.Unmarshal(r.Raw, &b); err != nil {
			t.Fatal(err)
		}
		e, _, err := b.Verify(a.Ledger.VerifierKey())
		if err != nil {
			t.Fatalf("receipt %d: %v", r.Index, err)
		}
		if e.Commitment == want {
			got = &b
			if r.Purpose != "school-admission" || r.Administration != "aoc" {
				t.Fatalf("owed receipt filed as %+v", r)
			}
		}
	}
	if got == nil {
		t.Fatal("the owed receipt is not in the wallet")
	}

	// Delivered twice (a crash after the delivery, before the record was
	// dropped): the wallet keeps one.
	s.Lock()
	r := owedReceipt{Citizen: laia, Admin: "aoc", Purpose: "school-admission", Kind: "data-exchange", Document: got.Document, Salt: got.Salt}
	for range 2 {
		if err := a.deliverReceipt(ctx, r, got.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	s = unlock(t, a, laia, "laia-demo-2026")
	again, _, err := s.Receipts(ctx)
	if err != nil || len(again) != len(after) {
		t.Fatalf("receipts after a duplicate delivery: %d, want %d (%v)", len(again), len(after), err)
	}
}

func TestRecordRefusesWhenTheReceiptCannotBeOwed(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	size := a.Ledger.Latest().Size
	if err := a.owed.close(); err != nil { // the owed store's file cannot be written
		t.Fatal(err)
	}
	_, err := a.Exchange(ctx, ExchangeQuery{Requester: "ahc", Citizen: laia, Purpose: "ajut-lloguer-residencia"})
	if err == nil || !strings.Contains(err.Error(), "nothing was appended") {
		t.Fatalf("exchange with the owed store unwritable: %v", err)
	}
	if got := a.Ledger.Latest().Size; got != size {
		t.Fatalf("ledger grew from %d to %d although the exchange was refused", size, got)
	}
}
