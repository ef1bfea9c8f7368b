package anchor

import (
	"context"
	"testing"

	"github.com/espai/espai/ledger"
)

// A running server audits its live log against the chain its anchorer uses.
func TestAnchorerAuditsItsOwnLog(t *testing.T) {
	ctx := context.Background()
	sim, key := simChain(t)
	c := deploySim(t, sim, key)
	ct, err := NewContract(ctx, sim.Client(), c, key)
	if err != nil {
		t.Fatal(err)
	}
	l, vk := newLog(t)
	a, err := New(l, ct, c, Config{Entries: 1})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3)
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	if err := a.Step(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Audit(ctx, l.AuditSource(), vk, a)
	if err != nil || !rep.OK() || rep.Entries != 3 || rep.AnchorsOnChain != 1 {
		t.Fatalf("audit: %v %+v", err, rep)
	}
	// A chain that cannot list anchors fails the audit rather than passing it.
	b, _ := New(l, &flakyChain{}, c, Config{})
	if rep, err := ledger.Audit(ctx, l.AuditSource(), vk, b); err != nil || rep.OK() || rep.Failed[ledger.AuditCheckAnchors] == 0 {
		t.Fatalf("audit through a chain without events: %v %+v", err, rep)
	}
}
