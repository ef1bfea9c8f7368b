package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
)

// testClock is a clock the services share and a test moves.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// qrReceipt is one QR-scan receipt of a wallet, opened and verified.
type qrReceipt struct {
	wallet.Receipt
	Entry *ledger.Entry
	Doc   Document
}

// qrReceipts returns the wallet's receipts of QR scans, each verified against
// the ledger key (a receipt that does not verify fails the test).
func qrReceipts(t *testing.T, a *App, s *wallet.Session) []qrReceipt {
	t.Helper()
	ctx := context.Background()
	if _, err := s.OpenInbox(ctx); err != nil {
		t.Fatal(err)
	}
	entries, err := a.ReceiptEntries(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	var out []qrReceipt
	for _, r := range entries {
		if r.Purpose != verifier.QRPurpose {
			continue
		}
		if r.Entry == nil {
			t.Fatalf("QR receipt %d does not verify", r.Index)
		}
		var b ReceiptBundle
		if err := json.Unmarshal(r.Raw, &b); err != nil {
			t.Fatal(err)
		}
		q := qrReceipt{Receipt: r.Receipt, Entry: r.Entry}
		if err := json.Unmarshal(b.Document, &q.Doc); err != nil {
			t.Fatal(err)
		}
		out = append(out, q)
	}
	return out
}

func credentialOf(t *testing.T, s *wallet.Session, typ credential.Type) string {
	t.Helper()
	creds, _, err := s.Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range creds {
		if c.Type == typ && c.Format == credential.SDJWT {
			return c.ID
		}
	}
	t.Fatalf("no %s credential", typ)
	return ""
}

// qrPresentation reads back what a QR code holds: the presentation and its
// key-binding nonce.
func qrPresentation(t *testing.T, a *App, qr *QRPresentation) ([]byte, string) {
	t.Helper()
	var pres []byte
	var err error
	if qr.Handoff {
		t.Fatal("a one-time link: not readable without spending it")
	}
	if pres, err = qrpayload.Unpack(qr.Code.Content); err != nil {
		t.Fatal(err)
	}
	kb := string(pres[strings.LastIndexByte(string(pres), '~')+1:])
	_, claims, err := sdjwt.ParseJWT(kb)
	if err != nil {
		t.Fatal(err)
	}
	return pres, claims["nonce"].(string)
}

func countQRPending(t *testing.T, a *App) int {
	t.Helper()
	n := 0
	if err := a.owed.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketQRPending).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func owedCount(t *testing.T, a *App) int {
	t.Helper()
	recs, bad, err := a.owed.list()
	if err != nil {
		t.Fatal(err)
	}
	return len(recs) + len(bad)
}

func TestQRScanReceiptReachesTheWallet(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	s := unlock(t, a, laia, "laia-demo-2026")
	if got := qrReceipts(t, a, s); len(got) != 0 {
		t.Fatalf("%d QR receipts before any QR was shown", len(got))
	}
	census := credentialOf(t, s, credential.Census)
	qr, err := a.PresentQR(ctx, s, census, []string{"givenName", "familyName", "municipality"})
	if err != nil {
		t.Fatal(err)
	}
	if n := countQRPending(t, a); n != 1 {
		t.Fatalf("%d pending QR presentations, want 1", n)
	}
	// The citizen closes their space; the administration scans the code.
	s.Lock()
	v, err := a.Verifier.Scan(ctx, "ahc", qr.Code.Content)
	if err != nil || !v.Valid {
		t.Fatalf("scan: %v %+v", err, v)
	}
	if n := owedCount(t, a); n != 0 {
		t.Fatalf("%d receipts still owed after the scan", n)
	}

	s = unlock(t, a, laia, "laia-demo-2026")
	got := qrReceipts(t, a, s)
	if len(got) != 1 {
		t.Fatalf("%d QR receipts, want 1", len(got))
	}
	r := got[0]
	e, d := r.Entry, r.Doc
	if r.Administration != "ahc" || r.Kind != ledger.KindPresentationVerified.String() ||
		e.Kind != ledger.KindPresentationVerified || e.Administration != "ahc" || e.Outcome != ledger.OutcomeAccepted ||
		e.Purpose != verifier.QRPurpose || e.LegalBasis != verifier.QRLegalBasis || e.CredentialType != "CensusCredential" {
		t.Fatalf("receipt %+v, entry %+v", r.Receipt, e)
	}
	if d.Citizen != laia || d.Administration != "ahc" || d.Purpose != verifier.QRPurpose || d.LegalBasis != verifier.QRLegalBasis ||
		d.CredentialID != census || d.CredentialType != "CensusCredential" || d.Outcome != "accepted" || !d.Time.Equal(e.Time) {
		t.Fatalf("document %+v", d)
	}
	if !slices.Equal(e.Categories, []string{"familyName", "givenName", "municipality"}) {
		t.Fatalf("entry categories %v", e.Categories)
	}
	if len(d.Claims) != 3 || d.Claims["municipality"] != "Girona" || d.Claims["givenName"] != v.Claims["givenName"] || d.Claims["familyName"] == nil {
		t.Fatalf("document claims %v", d.Claims)
	}
	// One-time pseudonym: not the citizen's pseudonym towards the scanner.
	secret, err := a.Wallet.PseudonymSecret(ctx, laia)
	if err != nil {
		t.Fatal(err)
	}
	if e.Pseudonym == ledger.Pseudonym(secret, "ahc") {
		t.Fatal("the QR scan's entry carries the citizen's pseudonym towards the scanner")
	}

	// A second scan (a photo of the code) is refused, and the citizen hears of it.
	s.Lock()
	v, err = a.Verifier.Scan(ctx, "ajuntament-girona", qr.Code.Content)
	if err != nil || v.Valid || v.FirstFailure().Name != verdict.Nonce {
		t.Fatalf("second scan: %v %+v", err, v)
	}
	s = unlock(t, a, laia, "laia-demo-2026")
	got = qrReceipts(t, a, s)
	if len(got) != 2 {
		t.Fatalf("%d QR receipts after the replay, want 2", len(got))
	}
	r = got[1]
	if r.Administration != "ajuntament-girona" || r.Entry.Outcome != ledger.OutcomeRefused || r.Doc.Outcome != "refused" ||
		!strings.HasPrefix(r.Doc.Reason, verdict.Nonce+":") || len(r.Doc.Claims) != 0 || r.Doc.CredentialID != census {
		t.Fatalf("refused scan's receipt %+v, document %+v", r.Entry, r.Doc)
	}

	// Only this presentation is the citizen's: another one reusing its
	// (public) nonce yields nothing; and one code yields a bounded number
	// of receipts.
	pres, nonce := qrPresentation(t, a, qr)
	refused := &verdict.Verdict{}
	refused.Failf(verdict.Nonce, "nonce already used")
	other := sha256.Sum256(append(pres, 'x'))
	if r, err := a.prepareQRReceipt(verifier.QRScan{Admin: "ahc", Nonce: nonce, Presentation: other, Verdict: refused}); err != nil || r != nil {
		t.Fatalf("another presentation with the same nonce: %+v, %v", r, err)
	}
	sum := sha256.Sum256(pres)
	for i := 2; i < maxQRScanReceipts; i++ {
		r, err := a.prepareQRReceipt(verifier.QRScan{Admin: "ahc", Nonce: nonce, Presentation: sum, Verdict: refused})
		if err != nil || r == nil {
			t.Fatalf("scan %d: %+v, %v", i+1, r, err)
		}
		if err := a.owed.done(r.Commitment); err != nil { // never appended
			t.Fatal(err)
		}
	}
	if r, err := a.prepareQRReceipt(verifier.QRScan{Admin: "ahc", Nonce: nonce, Presentation: sum, Verdict: refused}); err != nil || r != nil {
		t.Fatalf("scan beyond %d: %+v, %v", maxQRScanReceipts, r, err)
	}
	// A code of no wallet of ours: recorded as before, nothing owed.
	if r, err := a.prepareQRReceipt(verifier.QRScan{Admin: "ahc", Nonce: "unknown", Presentation: sum, Verdict: refused}); err != nil || r != nil {
		t.Fatalf("unknown nonce: %+v, %v", r, err)
	}
	if n := owedCount(t, a); n != 0 {
		t.Fatalf("%d receipts owed", n)
	}

	// A presentation too large for a code goes by one-time link: same receipt.
	tax, err := a.PresentQR(ctx, s, credentialOf(t, s, credential.Tax), []string{"upToDate"})
	if err != nil {
		t.Fatal(err)
	}
	pres, _ = qrPresentation(t, a, tax)
	link, err := a.Verifier.Handoff(ctx, pres)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := a.Verifier.Scan(ctx, "soc", link); err != nil || !v.Valid {
		t.Fatalf("scan: %v %+v", err, v)
	}
	got = qrReceipts(t, a, s)
	if len(got) != 3 || got[2].Administration != "soc" || got[2].Doc.Outcome != "accepted" || len(got[2].Doc.Claims) != 1 ||
		got[2].Doc.Claims["upToDate"] != true || got[2].Doc.CredentialType != credential.Tax.LDType() {
		t.Fatalf("receipt of a one-time link's scan: %d receipts, %+v", len(got), got[len(got)-1].Doc)
	}
}

func TestQRScanPendingPurgedBySweep(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	o := testOptions(t)
	o.Now = clk.Now
	a, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	s := unlock(t, a, laia, "laia-demo-2026")
	qr, err := a.PresentQR(ctx, s, credentialOf(t, s, credential.Tax), []string{"upToDate", "validUntil"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countQRPending(t, a); n != 1 {
		t.Fatalf("a live QR was purged: %d pending", n)
	}
	clk.Advance(verifier.QRMaxAge + qrPendingGrace + time.Second)
	if err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countQRPending(t, a); n != 0 {
		t.Fatalf("%d pending QR presentations after their expiry and a sweep", n)
	}
	// A late scan is refused and recorded; nothing is owed to the wallet.
	v, err := a.Verifier.Scan(ctx, "ahc", qr.Code.Content)
	if err != nil || v.Valid || v.FirstFailure().Name != verdict.Freshness {
		t.Fatalf("late scan: %v %+v", err, v)
	}
	if n := owedCount(t, a); n != 0 {
		t.Fatalf("%d receipts owed for a scan of a purged QR", n)
	}
	if got := qrReceipts(t, a, s); len(got) != 0 {
		t.Fatalf("%d QR receipts for a scan of a purged QR", len(got))
	}
}

func TestQRScanReceiptOwedUntilDelivered(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	o := testOptions(t)
	o.Now = clk.Now
	o.Wallet.MaxInboxItems = 200
	a, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	s := unlock(t, a, laia, "laia-demo-2026")
	census := credentialOf(t, s, credential.Census)

	// 1. The delivery fails (the citizen's inbox is full): the scan is
	// verified and recorded all the same, the receipt stays owed and a
	// sweep delivers it once the inbox has room.
	qr, err := a.PresentQR(ctx, s, census, []string{"municipality"})
	if err != nil {
		t.Fatal(err)
	}
	filled := 0
	for ; filled <= o.Wallet.MaxInboxItems; filled++ {
		err := a.notify(ctx, laia, "aoc", wallet.Event{Kind: wallet.EventLogin, Actor: "aoc", Fields: map[string]string{"service": "test"}})
		if errors.Is(err, wallet.ErrInboxFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if filled > o.Wallet.MaxInboxItems {
		t.Fatal("the inbox never filled up")
	}
	size := a.Ledger.Latest().Size
	v, err := a.Verifier.Scan(ctx, "ahc", qr.Code.Content)
	if err != nil || !v.Valid {
		t.Fatalf("scan with the wallet's inbox full: %v %+v", err, v)
	}
	if a.Ledger.Latest().Size != size+1 {
		t.Fatal("the scan was not recorded on the ledger")
	}
	if n := owedCount(t, a); n != 1 {
		t.Fatalf("%d receipts owed after a failed delivery, want 1", n)
	}
	if got := qrReceipts(t, a, s); len(got) != 0 { // opens the inbox: room again
		t.Fatalf("%d QR receipts before the sweep", len(got))
	}
	clk.Advance(owedGrace + time.Second)
	if err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := owedCount(t, a); n != 0 {
		t.Fatalf("%d receipts owed after the sweep", n)
	}
	got := qrReceipts(t, a, s)
	if len(got) != 1 || got[0].Doc.Claims["municipality"] != "Girona" || len(got[0].Doc.Claims) != 1 || got[0].Entry.Outcome != ledger.OutcomeAccepted {
		t.Fatalf("QR receipts after the sweep: %+v", got)
	}

	// 2. A crash after the append, before the delivery: the restart
	// delivers the receipt.
	qr, err = a.PresentQR(ctx, s, census, []string{"givenName", "municipality"})
	if err != nil {
		t.Fatal(err)
	}
	pres, nonce := qrPresentation(t, a, qr)
	req := verifier.PresentationRequest{Audience: verifier.QRAudience(a.Settings.DIDDomain), Nonce: nonce, MaxAge: verifier.QRMaxAge}
	if v, err = a.Verifier.VerifyPresentation(ctx, pres, req); err != nil || !v.Valid {
		t.Fatalf("verify: %v %+v", err, v)
	}
	rc := qrScanHook{a}.PrepareScan(ctx, verifier.QRScan{Admin: "atc", Nonce: nonce, Presentation: sha256.Sum256(pres), Verdict: v})
	if rc == nil {
		t.Fatal("no receipt prepared for a pending QR")
	}
	e := ledger.Entry{Kind: ledger.KindPresentationVerified, Time: rc.Time, Commitment: rc.Commitment, Administration: "atc",
		Purpose: verifier.QRPurpose, LegalBasis: verifier.QRLegalBasis, CredentialType: "CensusCredential",
		Categories: []string{"givenName", "municipality"}, Outcome: ledger.OutcomeAccepted}
	if _, err := rand.Read(e.Pseudonym[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ledger.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
	// (killed here: rc.Appended never runs)
	s.Lock()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	o.Create = false
	if a, err = Open(ctx, o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if n := owedCount(t, a); n != 0 {
		t.Fatalf("%d receipts owed after the restart", n)
	}
	s = unlock(t, a, laia, "laia-demo-2026")
	got = qrReceipts(t, a, s)
	if len(got) != 2 {
		t.Fatalf("%d QR receipts after the restart, want 2", len(got))
	}
	last := got[1]
	if last.Entry.Commitment != rc.Commitment || last.Administration != "atc" || len(last.Doc.Claims) != 2 || last.Doc.Claims["municipality"] != "Girona" {
		t.Fatalf("receipt delivered after the crash: %+v %+v", last.Entry, last.Doc)
	}
}
