package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/espai/espai/ledger"
	"github.com/espai/espai/wallet"
)

// ReceiptBundle is what a citizen's wallet keeps for one ledger entry about
// them (wallet.Receipt.Raw): the ledger receipt (entry, index, checkpoint,
// inclusion proof), the full receipt document the entry commits to, and the
// commitment's salt. With the ledger's verifier key the bundle proves, offline,
// that this document was logged at that position and never rewritten.
type ReceiptBundle struct {
	Version  int             `json:"v"`
	Receipt  *ledger.Receipt `json:"receipt"`
	Document json.RawMessage `json:"document"`
	Salt     []byte          `json:"salt"`
}

// Verify checks the bundle against the ledger's verifier key: the receipt
// (signed checkpoint, inclusion proof) and the commitment to the document.
func (b *ReceiptBundle) Verify(vkey string) (*ledger.Entry, ledger.Checkpoint, error) {
	if b.Receipt == nil {
		return nil, ledger.Checkpoint{}, fmt.Errorf("receipt bundle: no ledger receipt")
	}
	e, cp, err := ledger.VerifyReceipt(b.Receipt, vkey)
	if err != nil {
		return nil, cp, err
	}
	if err := ledger.VerifyCommitment(e.Commitment, b.Salt, b.Document); err != nil {
		return nil, cp, err
	}
	return e, cp, nil
}

// Document is the receipt document an entry commits to. It holds what the
// entry leaves out (which credential, what was disclosed) and stays in the
// citizen's wallet.
type Document struct {
	Version        int            `json:"v"`
	Kind           string         `json:"kind"`
	Time           time.Time      `json:"time"`
	Citizen        string         `json:"citizen"`
	Administration string         `json:"administration"`
	Source         string         `json:"source,omitempty"`
	Purpose        string         `json:"purpose,omitempty"`
	LegalBasis     string         `json:"legal_basis,omitempty"`
	CredentialID   string         `json:"credential_id,omitempty"`
	CredentialType string         `json:"credential_type,omitempty"`
	Reason         string         `json:"reason,omitempty"`
	Claims         map[string]any `json:"claims,omitempty"`
	Outcome        string         `json:"outcome,omitempty"`
}

// record appends e about citizen to the ledger: pseudonym towards
// e.Administration, salted commitment to doc. It then delivers the receipt
// bundle to the citizen's wallet inbox (the wallet may be locked). The ledger
// append is acknowledged (durable) before this returns. The receipt is first
// recorded as owed (owedStore): if that fails nothing is appended and the
// error says so; if the delivery after the append fails, the receipt stays
// owed and the next Sweep (or start) delivers it, so the caller may answer
// success.
func (a *App) record(ctx context.Context, citizen string, e ledger.Entry, doc Document) (*ledger.Receipt, error) {
	secret, err := a.Wallet.PseudonymSecret(ctx, citizen)
	if err != nil {
		return nil, fmt.Errorf("ledger pseudonym: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = a.now().UTC().Truncate(time.Millisecond)
	}
	doc.Version, doc.Kind, doc.Time, doc.Citizen, doc.Administration = 1, e.Kind.String(), e.Time, citizen, e.Administration
	doc.Source, doc.Purpose, doc.LegalBasis = e.Source, e.Purpose, e.LegalBasis
	if e.CredentialType != "" {
		doc.CredentialType = e.CredentialType
	}
	docRaw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	e.Pseudonym = ledger.Pseudonym(secret, e.Administration)
	var salt []byte
	if e.Commitment, salt, err = ledger.Commit(docRaw); err != nil {
		return nil, err
	}
	owed := owedReceipt{Citizen: citizen, Commitment: e.Commitment, Admin: e.Administration, Purpose: e.Purpose,
		Kind: e.Kind.String(), Time: e.Time, Document: docRaw, Salt: salt, SizeBefore: a.Ledger.Latest().Size}
	if err := a.owed.put(owed); err != nil {
		return nil, err
	}
	rcpt, err := a.Ledger.Append(ctx, e)
	if err != nil {
		// Not appended (Append answers only after the outcome): nothing is owed.
		if derr := a.owed.done(e.Commitment); derr != nil {
			a.log.Warn("owed receipt of a failed append left for the sweep", "err", derr.Error())
		}
		return nil, err
	}
	// The entry is durable: deliver its receipt even if the caller goes away.
	if err := a.deliverReceipt(context.WithoutCancel(ctx), owed, rcpt); err != nil {
		a.log.Warn("receipt not delivered yet: owed, the sweep delivers it", "index", rcpt.Index, "err", err.Error())
		return rcpt, nil
	}
	if err := a.owed.done(e.Commitment); err != nil {
		// Delivered; the sweep delivers it once more and the wallet keeps one.
		a.log.Warn("delivered receipt still marked owed", "index", rcpt.Index, "err", err.Error())
	}
	return rcpt, nil
}

// deliverReceipt puts the receipt bundle of r (receipt, document, salt) in
// the citizen's wallet inbox.
func (a *App) deliverReceipt(ctx context.Context, r owedReceipt, rcpt *ledger.Receipt) error {
	bundle, err := json.Marshal(ReceiptBundle{Version: 1, Receipt: rcpt, Document: r.Document, Salt: r.Salt})
	if err != nil {
		return err
	}
	payload, err := json.Marshal(wallet.Receipt{
		Index: rcpt.Index, Administration: r.Admin, Purpose: r.Purpose,
		Kind: r.Kind, Time: r.Time, Raw: bundle,
	})
	if err != nil {
		return err
	}
	return a.deliver(ctx, r.Citizen, wallet.DeliveryReceipt, r.Admin, payload)
}

// deliver seals payload to the citizen's delivery key and puts it in the inbox.
func (a *App) deliver(ctx context.Context, citizen, kind, from string, payload []byte) error {
	pub, err := a.Wallet.PublicKeys(ctx, citizen)
	if err != nil {
		return err
	}
	jwe, err := wallet.SealDelivery(pub.Delivery, wallet.Delivery{Kind: kind, From: from, Payload: payload})
	if err != nil {
		return err
	}
	_, err = a.Wallet.Deliver(ctx, citizen, jwe)
	return err
}

// notify puts an activity event in the citizen's inbox (shown on next unlock).
func (a *App) notify(ctx context.Context, citizen, from string, e wallet.Event) error {
	payload, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return a.deliver(ctx, citizen, wallet.DeliveryEvent, from, payload)
}

// ReceiptEntry is one receipt of the citizen's wallet with its ledger entry,
// verified against this deployment's ledger key; Entry is nil when the
// receipt does not verify (shown to the citizen as such, never trusted).
type ReceiptEntry struct {
	wallet.Receipt
	Entry *ledger.Entry
}

// ReceiptEntries returns the citizen's receipts in ledger order, each
// verified (signed checkpoint, inclusion proof, commitment to its document).
func (a *App) ReceiptEntries(ctx context.Context, s *wallet.Session) ([]ReceiptEntry, error) {
	rs, _, err := s.Receipts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ReceiptEntry, 0, len(rs))
	for _, r := range rs {
		out = append(out, ReceiptEntry{Receipt: r, Entry: a.verifiedEntry(r.Raw)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// verifiedEntry verifies a receipt bundle against this deployment's ledger
// key and returns its entry, or nil. Pages show receipts on every view and a
// bundle never changes, so successes are remembered by the SHA-256 of the
// exact bytes verified (bounded: the memory is dropped when full).
func (a *App) verifiedEntry(raw []byte) *ledger.Entry {
	sum := sha256.Sum256(raw)
	a.receiptsMu.Lock()
	e, ok := a.receiptsOK[sum]
	a.receiptsMu.Unlock()
	if ok {
		return e
	}
	var b ReceiptBundle
	if json.Unmarshal(raw, &b) != nil {
		return nil
	}
	e, _, err := b.Verify(a.Ledger.VerifierKey())
	if err != nil {
		return nil
	}
	a.receiptsMu.Lock()
	if a.receiptsOK == nil || len(a.receiptsOK) >= maxVerifiedReceipts {
		a.receiptsOK = make(map[[32]byte]*ledger.Entry)
	}
	a.receiptsOK[sum] = e
	a.receiptsMu.Unlock()
	return e
}

// maxVerifiedReceipts bounds verifiedEntry's memory (about 300 bytes each).
const maxVerifiedReceipts = 50_000

// Consent is a consent the citizen gave and has not withdrawn.
type Consent struct {
	Administration, Purpose string
	Time                    time.Time
}

// ActiveConsents folds verified receipts (in ledger order) into the consents
// still in force.
func ActiveConsents(entries []ReceiptEntry) map[string]Consent {
	active := map[string]Consent{}
	for _, r := range entries {
		e := r.Entry
		if e == nil {
			continue
		}
		key := e.Administration + "/" + e.Purpose
		switch e.Kind {
		case ledger.KindConsentGiven:
			active[key] = Consent{Administration: e.Administration, Purpose: e.Purpose, Time: e.Time}
		case ledger.KindConsentWithdrawn:
			delete(active, key)
		}
	}
	return active
}
