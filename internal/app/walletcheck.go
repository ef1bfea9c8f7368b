package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
)

// walletChecker is the wallet's CredentialChecker: the verifier's Checker,
// with every check, applied to what arrives in an inbox.
type walletChecker struct{ c *verifier.Checker }

func (w walletChecker) CheckCredential(ctx context.Context, raw []byte) (*wallet.CheckedCredential, error) {
	v, got, err := w.c.Check(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", wallet.ErrRetryLater, err)
	}
	if !v.Valid {
		if verifier.StatusUnavailable(v) {
			return nil, fmt.Errorf("%w: the issuer's status list could not be checked", wallet.ErrRetryLater)
		}
		return nil, errors.New(refusal(v))
	}
	return &wallet.CheckedCredential{
		Format:    got.Format,
		Type:      got.Type,
		Issuer:    got.Issuer,
		IssuedAt:  got.IssuedAt,
		ExpiresAt: got.ExpiresAt,
		Claims:    got.Claims,
		Status:    &wallet.StatusRef{URI: got.StatusURI, Index: got.StatusIndex},
		Holder:    got.Holder,
	}, nil
}

// refusal is the reason a citizen reads for a refused credential: the first
// failed check in plain words.
func refusal(v *verdict.Verdict) string {
	f := v.FirstFailure()
	if f == nil {
		return "the credential could not be verified"
	}
	return fmt.Sprintf("the credential failed the %s check: %s", f.Name, f.Detail)
}
