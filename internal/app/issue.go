package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/wallet"
)

// Delivered is a credential put in a citizen's wallet inbox.
type Delivered struct {
	Issued *issuer.Issued
	// Delivery is the wallet's id of the inbox item.
	Delivery string
	// LedgerIndex is the index of the credential-issued ledger entry.
	LedgerIndex uint64
}

// holder returns the citizen's wallet holder key, which credentials are bound to.
func (a *App) holder(ctx context.Context, citizen string) (*issuer.Holder, error) {
	pub, err := a.Wallet.PublicKeys(ctx, citizen)
	if errors.Is(err, wallet.ErrNotEnrolled) {
		if a.Registers != nil {
			if _, cerr := a.Registers.Census(ctx, citizen); errors.Is(cerr, register.ErrNotFound) {
				return nil, fmt.Errorf("%w: no register record for this citizen", issuer.ErrNothingToIssue)
			}
		}
		return nil, fmt.Errorf("%w: credentials are bound to the citizen's wallet key; the citizen has no wallet yet (espai wallet enrol)", issuer.ErrNoHolder)
	}
	if err != nil {
		return nil, err
	}
	return &issuer.Holder{JWK: pub.HolderJWK, DID: pub.HolderDID}, nil
}

// Issue issues a credential bound to the citizen's wallet holder key and
// records it on the ledger, without delivering it (the caller hands it over
// some other way). Most callers want IssueAndDeliver.
func (a *App) Issue(ctx context.Context, req issuer.Request) (*issuer.Issued, error) {
	is, err := a.issueBound(ctx, req)
	if err != nil {
		return nil, err
	}
	if _, err := a.recordIssued(ctx, is); err != nil {
		return is, err
	}
	return is, nil
}

// IssueAndDeliver issues a credential bound to the citizen's wallet, records
// it on the ledger and puts it, encrypted to the wallet's delivery key, in
// the wallet inbox. The citizen need not be online.
func (a *App) IssueAndDeliver(ctx context.Context, req issuer.Request) (*Delivered, error) {
	is, err := a.issueBound(ctx, req)
	if err != nil {
		return nil, err
	}
	return a.deliverIssued(ctx, is)
}

// issueBound issues req bound to the citizen's wallet holder key.
func (a *App) issueBound(ctx context.Context, req issuer.Request) (*issuer.Issued, error) {
	h, err := a.holder(ctx, req.Citizen)
	if err != nil {
		return nil, err
	}
	req.Holder = h
	return a.Issuer.Issue(ctx, req)
}

// IssueBatchAndDeliver issues many credentials (see issuer.IssueBatch: one bad
// register record issues nothing) and delivers each. Citizens without a
// wallet make the whole batch fail before anything is issued.
func (a *App) IssueBatchAndDeliver(ctx context.Context, reqs []issuer.Request) ([]*Delivered, error) {
	for i := range reqs {
		h, err := a.holder(ctx, reqs[i].Citizen)
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", i+1, err)
		}
		reqs[i].Holder = h
	}
	issued, err := a.Issuer.IssueBatch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]*Delivered, 0, len(issued))
	for _, is := range issued {
		d, err := a.deliverIssued(ctx, is)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (a *App) deliverIssued(ctx context.Context, is *issuer.Issued) (*Delivered, error) {
	pub, err := a.Wallet.PublicKeys(ctx, is.Citizen)
	if err != nil {
		return nil, err
	}
	jwe, err := wallet.SealDelivery(pub.Delivery, wallet.Delivery{Kind: wallet.DeliveryCredential, From: a.Issuer.DID(is.Admin), Payload: []byte(is.Credential)})
	if err != nil {
		return nil, err
	}
	id, err := a.Wallet.Deliver(ctx, is.Citizen, jwe)
	if err != nil {
		return nil, fmt.Errorf("credential %s issued but not delivered: %w", is.ID, err)
	}
	d := &Delivered{Issued: is, Delivery: id}
	rcpt, err := a.recordIssued(ctx, is)
	if rcpt != nil {
		d.LedgerIndex = rcpt.Index
	}
	return d, err
}

func (a *App) recordIssued(ctx context.Context, is *issuer.Issued) (*ledger.Receipt, error) {
	return a.record(ctx, is.Citizen, ledger.Entry{
		Kind:           ledger.KindCredentialIssued,
		Administration: is.Admin,
		CredentialType: is.Type.LDType(),
	}, Document{CredentialID: is.ID})
}

// ChangeStatus revokes, suspends or reinstates a credential, records the
// change on the ledger and tells the citizen's wallet why.
func (a *App) ChangeStatus(ctx context.Context, id string, to byte, reason string) (*issuer.Record, error) {
	var (
		rec  *issuer.Record
		err  error
		kind ledger.Kind
	)
	switch to {
	case issuer.StatusRevoked:
		rec, err = a.Issuer.Revoke(ctx, id, reason)
		kind = ledger.KindCredentialRevoked
	case issuer.StatusSuspended:
		rec, err = a.Issuer.Suspend(ctx, id, reason)
		kind = ledger.KindCredentialSuspended
	case issuer.StatusValid:
		rec, err = a.Issuer.Reinstate(ctx, id, reason)
		kind = ledger.KindCredentialReinstated
	default:
		return nil, fmt.Errorf("%w: unknown status %d", issuer.ErrStatusTransition, to)
	}
	if err != nil {
		return nil, err
	}
	return rec, a.statusChanged(ctx, rec, kind, reason)
}

// statusChanged follows a status change of rec: the deployment's verifier
// drops its cached list, the ledger records the change (kind) with its
// reason, and a revoked or suspended credential's holder is told why.
func (a *App) statusChanged(ctx context.Context, rec *issuer.Record, kind ledger.Kind, reason string) error {
	a.Checker.Status.Invalidate(a.Issuer.StatusURI(rec))
	if _, err := a.record(ctx, rec.Citizen, ledger.Entry{Kind: kind, Administration: rec.Admin, CredentialType: rec.Type.LDType()},
		Document{CredentialID: rec.ID, Reason: reason}); err != nil {
		return err
	}
	if kind == ledger.KindCredentialRevoked || kind == ledger.KindCredentialSuspended {
		defer a.mailAlert(ctx, rec.Citizen, AlertCredentialRevoked, "credential-status/"+rec.ID+"/"+kind.String(), a.adminName(ctx, rec.Admin))
		return a.notify(ctx, rec.Citizen, rec.Admin, wallet.Event{
			Kind:  wallet.EventCredentialRevoked,
			Actor: rec.Admin,
			Fields: map[string]string{
				"type": string(rec.Type), "status": rec.Status, "reason": reason,
				"status_uri": a.Issuer.StatusURI(rec), "status_index": strconv.Itoa(rec.Index),
			},
		})
	}
	return nil
}

// Reissued is the outcome of a re-issue: the new credential, delivered, and
// the record of the one it replaced, now revoked.
type Reissued struct {
	*Delivered
	Old *issuer.Record
}

// Reissue replaces credential oldID: it issues a new credential of the same
// type to the same citizen (in format, or the old one's format when empty),
// delivers it into the citizen's wallet, then revokes oldID with the reason
// issuer.SupersededReason (followed by note, when given) and links the two
// records (issuer.Supersede). The revocation is recorded on the ledger and
// the citizen told, like any revocation. admin, when set, is the
// administration the caller acts for: another's credential is not found.
//
// Nothing is issued when oldID cannot be replaced (unknown, revoked, already
// replaced), and nothing is revoked when the issuance fails (as
// IssueAndDeliver). If the revocation fails after the new credential was delivered,
// the error says so and both credentials stay valid: a retry of the
// revocation (ChangeStatus) completes it.
func (a *App) Reissue(ctx context.Context, oldID, admin string, format credential.Format, note string) (*Reissued, error) {
	old, err := a.Issuer.CanSupersede(ctx, oldID, admin)
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = old.Format
	}
	d, err := a.IssueAndDeliver(ctx, issuer.Request{Type: old.Type, Format: format, Citizen: old.Citizen, Admin: old.Admin})
	if err != nil {
		return nil, err // as IssueAndDeliver fails; nothing is revoked
	}
	reason := issuer.SupersededReason
	if note != "" {
		reason += ": " + note
	}
	rec, err := a.Issuer.Supersede(ctx, old.ID, d.Issued.ID, reason)
	if err != nil {
		return &Reissued{Delivered: d, Old: old}, fmt.Errorf("credential %s re-issued as %s, but not revoked: %w", old.ID, d.Issued.ID, err)
	}
	d.Issued.Replaces = rec.ID
	return &Reissued{Delivered: d, Old: rec}, a.statusChanged(ctx, rec, ledger.KindCredentialRevoked, reason)
}
