package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/espai/espai/ledger"
	"github.com/espai/espai/verifier"
)

// Receipts of QR scans.
//
// A citizen-initiated presentation (PresentQR) is scanned by an
// administration the wallet never talks to, so no wallet can send the
// verifier a pseudonym and a commitment as it does when answering a request.
// Instead, PresentQR registers the presentation as pending in owed.db (bucket
// "qr-pending"): keyed by the SHA-256 of its key-binding nonce, sealed under
// the deployment key ("qr-pending" label, the key as associated data), holding
// the citizen, the credential, the names of the claims shown and the
// SHA-256 of the presentation. The record lives as long as the QR code (plus
// qrPendingGrace) and is dropped by Sweep (settleOwed) afterwards.
//
// verifier.Service.Scan calls qrScanHook after verification and before its
// ledger append. When the scanned presentation is a pending one of this
// deployment's wallets (same nonce AND same presentation bytes: a refused
// presentation's nonce is unverified, and anyone who saw the QR knows it),
// the hook writes the receipt document (presentation-verified, the scanning
// administration, verifier.QRPurpose and QRLegalBasis, the credential, the
// claims the verifier accepted with their verified values, the outcome),
// commits to it and records the receipt as owed, in one transaction with the
// scan's count on the pending record. The entry is appended with that
// commitment; its receipt then goes to the citizen's inbox (a locked wallet
// files it on unlock) and the owed record is dropped. A crash or a failed
// delivery in between is settled like any owed receipt (owed.go).
//
// Every scan of a pending QR is reported, refused ones too (with the outcome
// and the failed check, without claims): a second scan of the same code is
// someone replaying it, which the citizen should know about. At most
// maxQRScanReceipts scans of one code are reported, so a scanner cannot flood
// a wallet; the ledger records every scan regardless.
//
// The entry's pseudonym stays one-time and random: the scanning
// administration could not have the citizen's, and the receipt is proven by
// the commitment (ReceiptBundle.Verify), not by the pseudonym. If anything in
// the hook fails, it logs the failure and the scan is recorded as without it
// (random commitment, no receipt).

var bucketQRPending = []byte("qr-pending")

const qrPendingLabel = "qr-pending"

// qrPendingGrace keeps a pending QR a little past its expiry, so a scan
// verified at the very end of the window still finds it.
const qrPendingGrace = time.Minute

// maxQRScanReceipts bounds the receipts one QR code yields.
const maxQRScanReceipts = 5

// qrPending is one QR presentation a wallet showed.
type qrPending struct {
	Citizen        string    `json:"citizen"`
	CredentialID   string    `json:"credential_id"`
	CredentialType string    `json:"credential_type"` // JSON-LD type name, as in ledger entries
	Claims         []string  `json:"claims"`          // names the citizen chose to show
	Presentation   []byte    `json:"presentation"`    // SHA-256 of the presentation
	Expires        time.Time `json:"expires"`         // the QR code's
	Scans          int       `json:"scans,omitempty"` // receipts prepared so far
}

func qrPendingKey(nonce string) []byte {
	k := sha256.Sum256([]byte(nonce))
	return k[:]
}

func (o *owedStore) sealQR(key []byte, p qrPending) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return o.sealer.Seal(qrPendingLabel, raw, key)
}

func (o *owedStore) openQR(key, sealed []byte) (qrPending, error) {
	var p qrPending
	pt, err := o.sealer.Open(qrPendingLabel, sealed, key)
	if err == nil {
		err = json.Unmarshal(pt, &p)
	}
	return p, err
}

// putQR registers a pending QR presentation under its nonce.
func (o *owedStore) putQR(nonce string, p qrPending) error {
	key := qrPendingKey(nonce)
	sealed, err := o.sealQR(key, p)
	if err != nil {
		return err
	}
	return o.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketQRPending).Put(key, sealed) })
}

// purgeQR drops the pending QR presentations past their time, and those that
// cannot be opened (they can yield no receipt).
func (o *owedStore) purgeQR() (int, error) {
	now := o.now()
	n := 0
	err := o.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketQRPending)
		var dead [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			p, err := o.openQR(k, v)
			if err != nil || now.After(p.Expires.Add(qrPendingGrace)) {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

// registerQR records a QR presentation the citizen is about to show (see the
// comment at the top of this file).
func (a *App) registerQR(citizen, credID, credType string, claims []string, nonce string, pres []byte, expires time.Time) error {
	sum := sha256.Sum256(bytes.TrimSpace(pres))
	err := a.owed.putQR(nonce, qrPending{Citizen: citizen, CredentialID: credID, CredentialType: credType,
		Claims: claims, Presentation: sum[:], Expires: expires.UTC()})
	if err != nil {
		return fmt.Errorf("the QR presentation could not be registered for its receipts: %w", err)
	}
	return nil
}

// qrScanHook is the verifier.ScanReceipts of an App.
type qrScanHook struct{ a *App }

// PrepareScan implements verifier.ScanReceipts.
func (h qrScanHook) PrepareScan(ctx context.Context, sc verifier.QRScan) *verifier.ScanReceipt {
	a := h.a
	r, err := a.prepareQRReceipt(sc)
	if err != nil {
		a.log.Error("QR scan: receipt not prepared, the scan is recorded without one", "admin", sc.Admin, "err", err.Error())
		return nil
	}
	if r == nil {
		return nil
	}
	return &verifier.ScanReceipt{Time: r.Time, Commitment: r.Commitment,
		Appended: func(ctx context.Context, rcpt *ledger.Receipt, err error) { a.qrAppended(ctx, *r, rcpt, err) }}
}

// prepareQRReceipt returns the owed receipt of a scan of a pending QR, or nil
// when the scan is of no pending QR of this deployment (or one past its
// receipts).
func (a *App) prepareQRReceipt(sc verifier.QRScan) (*owedReceipt, error) {
	if sc.Verdict == nil {
		return nil, nil
	}
	key := qrPendingKey(sc.Nonce)
	now := a.now().UTC().Truncate(time.Millisecond)
	var out *owedReceipt
	err := a.owed.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketQRPending)
		sealed := b.Get(key)
		if sealed == nil {
			return nil // not a QR of this deployment's wallets, or gone
		}
		p, err := a.owed.openQR(key, sealed)
		if err != nil {
			return fmt.Errorf("pending QR: %w", err)
		}
		switch {
		case now.After(p.Expires.Add(qrPendingGrace)):
			return nil // past its time; the sweep drops it
		case !bytes.Equal(p.Presentation, sc.Presentation[:]):
			// Another presentation reusing this QR's (public) nonce: it is
			// not the citizen's to be told about.
			a.log.Warn("QR scan: a presentation reuses a pending QR's nonce", "admin", sc.Admin)
			return nil
		case p.Scans >= maxQRScanReceipts:
			a.log.Warn("QR scan: this QR already yielded its receipts", "admin", sc.Admin, "scans", p.Scans)
			return nil
		}
		doc := Document{Version: 1, Kind: ledger.KindPresentationVerified.String(), Time: now, Citizen: p.Citizen,
			Administration: sc.Admin, Purpose: verifier.QRPurpose, LegalBasis: verifier.QRLegalBasis,
			CredentialID: p.CredentialID, CredentialType: p.CredentialType, Outcome: ledger.OutcomeRefused.String()}
		if sc.Verdict.Valid {
			// The claims the verifier accepted, with the values it verified:
			// what the administration now holds.
			doc.Outcome, doc.Claims = ledger.OutcomeAccepted.String(), map[string]any{}
			for _, n := range p.Claims {
				if v, ok := sc.Verdict.Claims[n]; ok {
					doc.Claims[n] = v
				}
			}
		} else if f := sc.Verdict.FirstFailure(); f != nil {
			doc.Reason = truncateString(f.Name+": "+f.Detail, 256)
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		c, salt, err := ledger.Commit(raw)
		if err != nil {
			return err
		}
		r := owedReceipt{Citizen: p.Citizen, Commitment: c, Admin: sc.Admin, Purpose: verifier.QRPurpose,
			Kind: doc.Kind, Time: now, Document: raw, Salt: salt, SizeBefore: a.Ledger.Latest().Size}
		if err := a.owed.putTx(tx, r); err != nil {
			return err
		}
		p.Scans++
		if sealed, err = a.owed.sealQR(key, p); err != nil {
			return err
		}
		if err := b.Put(key, sealed); err != nil {
			return err
		}
		out = &r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// qrAppended finishes a scan's receipt once its entry's append is decided:
// the receipt goes to the citizen's inbox and stops being owed.
func (a *App) qrAppended(ctx context.Context, r owedReceipt, rcpt *ledger.Receipt, err error) {
	if err != nil {
		// Not appended: nothing is owed.
		if derr := a.owed.done(r.Commitment); derr != nil {
			a.log.Warn("owed receipt of a failed append left for the sweep", "err", derr.Error())
		}
		return
	}
	// The entry is durable: deliver its receipt even if the scanner goes away.
	if err := a.deliverReceipt(context.WithoutCancel(ctx), r, rcpt); err != nil {
		a.log.Warn("QR scan receipt not delivered yet: owed, the sweep delivers it", "index", rcpt.Index, "err", err.Error())
		return
	}
	if err := a.owed.done(r.Commitment); err != nil {
		a.log.Warn("delivered receipt still marked owed", "index", rcpt.Index, "err", err.Error())
	}
}
