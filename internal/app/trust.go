package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/issuer"
)

// trustRefresh is how long a verified trust list is reused before it is
// fetched and verified again (administrations onboarded meanwhile show up
// within this time).
const trustRefresh = time.Minute

// TrustSource is the verifier.TrustSource of a deployment: the trust list
// signed by the scheme operator, verified against the operator's keys (the
// trust anchors) exactly as an outside verifier would, and cached.
type TrustSource struct {
	iss *issuer.Service
	now func() time.Time

	mu      sync.Mutex
	list    *trust.List
	fetched time.Time
}

// NewTrustSource returns a TrustSource over the deployment's issuer.
func NewTrustSource(iss *issuer.Service, now func() time.Time) *TrustSource {
	return &TrustSource{iss: iss, now: now}
}

// TrustList implements verifier.TrustSource.
func (t *TrustSource) TrustList(ctx context.Context) (*trust.List, error) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.list != nil && now.Sub(t.fetched) < trustRefresh && now.Unix() < t.list.Expires {
		return t.list, nil
	}
	tok, err := t.iss.TrustList(ctx)
	if err != nil {
		return nil, err
	}
	anchors, err := t.iss.TrustAnchors(ctx)
	if err != nil {
		return nil, err
	}
	l, err := trust.Verify([]byte(tok), anchors, now)
	if err != nil {
		return nil, err
	}
	t.list, t.fetched = l, now
	return l, nil
}

// Invalidate drops the cached list (after onboarding an administration).
func (t *TrustSource) Invalidate() {
	t.mu.Lock()
	t.list = nil
	t.mu.Unlock()
}

// localStatus fetches this deployment's own status lists from the issuer
// without a network round trip: the bytes are exactly what
// GET /status/{admin}/{n}[/ld] serves and are verified the same way.
type localStatus struct{ iss *issuer.Service }

func (l localStatus) FetchStatusList(ctx context.Context, uri string) ([]byte, error) {
	base := l.iss.PublicBase() + "/status/"
	rest, ok := strings.CutPrefix(uri, base)
	if !ok {
		return nil, fmt.Errorf("status list %s is not published by this deployment", uri)
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || len(parts) > 3 || (len(parts) == 3 && parts[2] != "ld") {
		return nil, fmt.Errorf("status list uri %s is not a status list of this deployment", uri)
	}
	no, err := strconv.Atoi(parts[1])
	if err != nil || no < 1 {
		return nil, fmt.Errorf("status list uri %s has no list number", uri)
	}
	if len(parts) == 3 {
		return l.iss.BitstringStatusCredential(ctx, parts[0], no)
	}
	tok, err := l.iss.StatusListToken(ctx, parts[0], no)
	return []byte(tok), err
}
