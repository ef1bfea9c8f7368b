package app

import (
	"context"

	"github.com/espai/espai/issuer"
)

// Delivered is a credential put in a citizen's wallet inbox.
type Delivered struct {
	Issued   *issuer.Issued
	Delivery string
}

// Issue issues a credential bound to the citizen's wallet holder key when the
// citizen has a wallet, unbound otherwise.
func (a *App) Issue(ctx context.Context, req issuer.Request) (*issuer.Issued, error) {
	return a.Issuer.Issue(ctx, req)
}

// IssueAndDeliver issues a credential bound to the citizen's wallet and puts
// it, encrypted to the wallet's delivery key, in the wallet inbox.
func (a *App) IssueAndDeliver(ctx context.Context, req issuer.Request) (*Delivered, error) {
	return nil, errNoWallet
}

// ChangeStatus revokes, suspends or reinstates a credential.
func (a *App) ChangeStatus(ctx context.Context, id string, to byte, reason string) (*issuer.Record, error) {
	switch to {
	case issuer.StatusRevoked:
		return a.Issuer.Revoke(ctx, id, reason)
	case issuer.StatusSuspended:
		return a.Issuer.Suspend(ctx, id, reason)
	default:
		return a.Issuer.Reinstate(ctx, id, reason)
	}
}
