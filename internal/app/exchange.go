package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/ledger"
)

// ExchangeQuery is a Via Oberta query: administration Requester asks, for a
// purpose registered in the trust list, for the claims that purpose covers
// about Citizen, from whichever administration holds the register.
type ExchangeQuery struct {
	Requester string
	Purpose   string
	Citizen   string
}

// Purposes are the verifier purposes the trust list registers for an
// administration; an administration the list does not name is
// trust.ErrNotRegistered.
func (a *App) Purposes(ctx context.Context, admin string) ([]trust.Purpose, error) {
	tl, err := a.Trust.TrustList(ctx)
	if err != nil {
		return nil, err
	}
	e, ok := tl.Entity(a.Issuer.DID(admin))
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a registered administration", trust.ErrNotRegistered, admin)
	}
	return e.Purposes, nil
}

// ExchangeAnswer is what the requester gets back, and where it was recorded.
type ExchangeAnswer struct {
	Source     string         `json:"source"`
	Purpose    trust.Purpose  `json:"purpose"`
	Claims     map[string]any `json:"claims"`
	LedgerIdx  uint64         `json:"ledgerIndex"`
	Requester  string         `json:"requester"`
	Citizen    string         `json:"citizen"`
	Credential string         `json:"type"`
}

// Exchange answers a Via Oberta query from the registers and records it on
// the ledger (kind data-exchange: requester, source, purpose, legal basis,
// claim names; no values), delivering the receipt to the citizen's wallet so
// it shows in "Who used my data". Only the claims the purpose covers are
// returned. The citizen needs an Espai (the ledger pseudonym is theirs).
func (a *App) Exchange(ctx context.Context, q ExchangeQuery) (*ExchangeAnswer, error) {
	purposes, err := a.Purposes(ctx, q.Requester)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(purposes, func(p trust.Purpose) bool { return p.ID == q.Purpose })
	if i < 0 {
		return nil, fmt.Errorf("%w: %s has no registered purpose %q", trust.ErrNotRegistered, q.Requester, q.Purpose)
	}
	p := purposes[i]
	typ, err := credential.ParseType(p.Type)
	if err != nil {
		return nil, err
	}
	if _, err := a.Wallet.PublicKeys(ctx, q.Citizen); err != nil {
		return nil, err
	}
	source, all, err := a.Issuer.Lookup(ctx, issuer.Request{Type: typ, Citizen: q.Citizen})
	if err != nil {
		return nil, err
	}
	claims := map[string]any{}
	for _, c := range p.Claims {
		if v, ok := all[c]; ok {
			claims[c] = v
		}
	}
	names := make([]string, 0, len(claims))
	for c := range claims {
		names = append(names, c)
	}
	slices.Sort(names)
	rcpt, err := a.record(ctx, q.Citizen, ledger.Entry{Kind: ledger.KindDataExchange, Administration: q.Requester, Source: source,
		Purpose: p.ID, LegalBasis: p.LegalBasis, Categories: names}, Document{CredentialType: p.Type, Claims: claims})
	if err != nil {
		return nil, err
	}
	return &ExchangeAnswer{Source: source, Purpose: p, Claims: claims, LedgerIdx: rcpt.Index, Requester: q.Requester, Citizen: q.Citizen, Credential: p.Type}, nil
}
