package anchor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/espai/espai/ledger"
)

var (
	_ ledger.ChainReader = (*Anchorer)(nil)
	_ ledger.ChainReader = (*AuditChain)(nil)
)

// AnchoredOnChain reads every anchor of the log's contracts from the chain
// the anchorer sends to (see AuditChain), so a server can audit its own log
// against that chain (ledger.Audit) without a second connection. It fails
// while the anchorer is not attached, when the chain cannot be read or when
// the anchorer's chain cannot list anchors; an audit then fails too, it never
// passes unchecked.
func (a *Anchorer) AnchoredOnChain(ctx context.Context) ([]ledger.ChainAnchor, error) {
	a.mu.Lock()
	chain, contract := a.chain, a.contract
	a.mu.Unlock()
	if a.conn != nil {
		b := a.conn.dialed()
		if chain == nil || b == nil {
			return nil, fmt.Errorf("%w: the anchorer is not attached to the chain yet", ErrChainUnavailable)
		}
		retired, err := a.log.RetiredAnchorContracts(ctx)
		if err != nil {
			return nil, err
		}
		return NewAuditChain(b, contract, retired).AnchoredOnChain(ctx)
	}
	cr, ok := chain.(ledger.ChainReader)
	if !ok {
		return nil, errors.New("anchor: the anchorer's chain cannot list anchors")
	}
	return cr.AnchoredOnChain(ctx)
}

// AuditChain is the ledger.ChainReader an auditor checks a log against: the
// anchors of the log's contract and of its retired contracts.
//
// The current contract must be on the chain (ErrNoContract otherwise). A
// retired contract (only the embedded dev chain retires one, when it lost
// it) that is still on the chain is read like the current one, so a log
// cannot disown anchors by calling them lost; one that is gone contributes
// nothing, and its records say lost (ledger.Audit checks that a later anchor
// covers each). Every contract must be on the node's chain (ErrWrongChain).
type AuditChain struct {
	b       Backend
	current ledger.AnchorContract
	retired []ledger.RetiredAnchorContract
}

// NewAuditChain returns the reader of the contracts a log records (current,
// as ledger.Log.AnchorContract returns it, and retired) on the node behind b.
func NewAuditChain(b Backend, current ledger.AnchorContract, retired []ledger.RetiredAnchorContract) *AuditChain {
	return &AuditChain{b: b, current: current, retired: retired}
}

// AnchoredOnChain implements ledger.ChainReader. Each anchor names its contract.
func (ac *AuditChain) AnchoredOnChain(ctx context.Context) ([]ledger.ChainAnchor, error) {
	ct, err := NewContract(ctx, ac.b, ac.current, nil)
	if err != nil {
		return nil, err
	}
	if ok, err := ct.HasCode(ctx); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: %s on chain %d", ErrNoContract, ac.current.Address, ac.current.ChainID)
	}
	out, err := ct.AnchoredOnChain(ctx)
	if err != nil {
		return nil, err
	}
	read := map[string]bool{strings.ToLower(ac.current.Address): true}
	for _, r := range ac.retired {
		if read[strings.ToLower(r.Address)] {
			continue // redeployed at the same address (same sender nonce): already read
		}
		read[strings.ToLower(r.Address)] = true
		rc, err := NewContract(ctx, ac.b, r.AnchorContract, nil)
		if err != nil {
			return nil, fmt.Errorf("retired contract %s: %w", r.Address, err)
		}
		ok, err := rc.HasCode(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // lost with the chain
		}
		more, err := rc.AnchoredOnChain(ctx)
		if err != nil {
			return nil, fmt.Errorf("retired contract %s: %w", r.Address, err)
		}
		out = append(out, more...)
	}
	return out, nil
}
