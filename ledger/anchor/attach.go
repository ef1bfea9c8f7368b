package anchor

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/espai/espai/ledger"
)

// Attach returns an Anchorer for log l on the chain behind b, sending with
// key. The first time (no contract recorded in the log) it deploys the anchor
// contract and records it; afterwards it checks that the recorded contract is
// on this chain (ErrWrongChain otherwise), so a log never silently switches
// chains. Call Run on the result.
func Attach(ctx context.Context, l *ledger.Log, b Backend, key *ecdsa.PrivateKey, cfg Config) (*Anchorer, error) {
	if key == nil {
		return nil, errors.New("anchor: a sending key is required")
	}
	c, err := l.AnchorContract(ctx)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		if c, err = Deploy(ctx, b, key); err != nil {
			return nil, fmt.Errorf("deploy anchor contract: %w", err)
		}
		if err := l.SetAnchorContract(ctx, c); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	ct, err := NewContract(ctx, b, c, key)
	if err != nil {
		return nil, err
	}
	return New(l, ct, c, cfg)
}
