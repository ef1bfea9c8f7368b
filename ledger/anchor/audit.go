package anchor

import (
	"context"
	"errors"

	"github.com/espai/espai/ledger"
)

var _ ledger.ChainReader = (*Anchorer)(nil)

// AnchoredOnChain reads every anchor of the log's contract from the chain the
// anchorer sends to, so a server can audit its own log against that chain
// (ledger.Audit) without a second connection. It fails when the chain cannot
// be read or the anchorer's chain cannot list anchors; an audit then fails
// too, it never passes unchecked.
func (a *Anchorer) AnchoredOnChain(ctx context.Context) ([]ledger.ChainAnchor, error) {
	cr, ok := a.chain.(ledger.ChainReader)
	if !ok {
		return nil, errors.New("anchor: the anchorer's chain cannot list anchors")
	}
	return cr.AnchoredOnChain(ctx)
}
