package issuer

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/espai/espai/internal/credential"
)

// The figures are the administration's own, counted exactly: issuing N of a
// type shows N, a revocation moves one to revoked, a re-issue counts as a
// new credential plus a revoked one, and another administration's
// issuances never enter them.
func TestStatsCountsOnlyTheAdministrationsOwn(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	h, _ := testHolder(t)
	issue := func(typ credential.Type, admin string) *Issued {
		t.Helper()
		is, err := s.Issue(ctx, Request{Type: typ, Format: credential.SDJWT, Citizen: laia, Admin: admin, Holder: h})
		if err != nil {
			t.Fatal(err)
		}
		return is
	}
	var census []*Issued
	for range 3 {
		census = append(census, issue(credential.Census, "ajuntament-girona"))
	}
	for range 2 {
		issue(credential.Tax, "atc")
	}
	check := func(admin string, want Stats) {
		t.Helper()
		got, err := s.Stats(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != want.Total || !reflect.DeepEqual(got.ByType, want.ByType) || !reflect.DeepEqual(got.ByStatus, want.ByStatus) ||
			got.Reissued != want.Reissued || !reflect.DeepEqual(got.ByMonth, want.ByMonth) {
			t.Errorf("%s: stats %+v, want %+v", admin, got, want)
		}
	}
	month := fixedNow.Format("2006-01")
	check("ajuntament-girona", Stats{Total: 3, ByType: map[credential.Type]int{credential.Census: 3},
		ByStatus: map[string]int{"valid": 3}, ByMonth: []MonthCount{{month, 3}}})
	check("atc", Stats{Total: 2, ByType: map[credential.Type]int{credential.Tax: 2},
		ByStatus: map[string]int{"valid": 2}, ByMonth: []MonthCount{{month, 2}}})

	// Revoke one, suspend one.
	if _, err := s.Revoke(ctx, census[0].ID, "prova"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Suspend(ctx, census[1].ID, "prova"); err != nil {
		t.Fatal(err)
	}
	check("ajuntament-girona", Stats{Total: 3, ByType: map[credential.Type]int{credential.Census: 3},
		ByStatus: map[string]int{"valid": 1, "revoked": 1, "suspended": 1}, ByMonth: []MonthCount{{month, 3}}})

	// Re-issue the suspended one: one more issued, the old one revoked.
	nw := issue(credential.Census, "ajuntament-girona")
	if _, err := s.Supersede(ctx, census[1].ID, nw.ID, SupersededReason); err != nil {
		t.Fatal(err)
	}
	check("ajuntament-girona", Stats{Total: 4, ByType: map[credential.Type]int{credential.Census: 4},
		ByStatus: map[string]int{"valid": 2, "revoked": 2}, Reissued: 1, ByMonth: []MonthCount{{month, 4}}})
	// The tax agency's figures did not move; an administration that issued
	// nothing has none.
	check("atc", Stats{Total: 2, ByType: map[credential.Type]int{credential.Tax: 2},
		ByStatus: map[string]int{"valid": 2}, ByMonth: []MonthCount{{month, 2}}})
	check("udg", Stats{ByType: map[credential.Type]int{}, ByStatus: map[string]int{}})
}

func TestSupersede(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	h, _ := testHolder(t)
	issue := func(typ credential.Type) *Issued {
		t.Helper()
		is, err := s.Issue(ctx, Request{Type: typ, Format: credential.SDJWT, Citizen: laia, Holder: h})
		if err != nil {
			t.Fatal(err)
		}
		return is
	}
	old, nw, tax := issue(credential.Census), issue(credential.Census), issue(credential.Tax)
	if _, err := s.CanSupersede(ctx, old.ID, "atc"); !errors.Is(err, ErrUnknownCredential) {
		t.Errorf("another administration's credential: %v", err)
	}
	// Bad pairs change nothing.
	for _, c := range []struct{ old, new, reason string }{
		{old.ID, tax.ID, SupersededReason}, // another type and administration
		{old.ID, old.ID, SupersededReason}, // itself
		{old.ID, nw.ID, ""},                // no reason
		{old.ID, "urn:uuid:nope", SupersededReason},
	} {
		if _, err := s.Supersede(ctx, c.old, c.new, c.reason); err == nil {
			t.Errorf("supersede %s by %s (%q) accepted", c.old, c.new, c.reason)
		}
	}
	if rec, _ := s.Issued(ctx, old.ID); rec.Status != "valid" || rec.ReplacedBy != "" {
		t.Fatalf("a refused supersede changed %+v", rec)
	}
	rec, err := s.Supersede(ctx, old.ID, nw.ID, SupersededReason+": canvi de domicili")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != "revoked" || rec.ReplacedBy != nw.ID || rec.Reason != "Substituïda per una nova emissió: canvi de domicili" {
		t.Fatalf("old record %+v", rec)
	}
	l, err := s.listSnapshot(rec.Admin, rec.List)
	if err != nil || l.get(rec.Index) != StatusRevoked {
		t.Fatalf("the status list does not say revoked: %v", err)
	}
	if got, _ := s.Issued(ctx, nw.ID); got.Replaces != old.ID || got.Status != "valid" {
		t.Fatalf("new record %+v", got)
	}
	// Replaced once, for good.
	if _, err := s.CanSupersede(ctx, old.ID, ""); !errors.Is(err, ErrStatusTransition) {
		t.Errorf("re-issue of a replaced credential: %v", err)
	}
	if _, err := s.Supersede(ctx, old.ID, tax.ID, SupersededReason); err == nil {
		t.Error("a replaced credential was replaced again")
	}
}

func TestIssuesForAndLocalTypes(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	for _, c := range []struct {
		admin, citizen string
		want           bool
	}{
		{"ajuntament-girona", laia, true}, // her municipality
		{"ajuntament-girona", "38765432J", false},
		{"udg", laia, true}, // her university
		{"udg", "38765432J", false},
		{"atc", laia, true}, // the tax register holds everyone with obligations
		{"aoc", laia, false},
		{"ajuntament-girona", "not an id", false},
	} {
		got, err := s.IssuesFor(ctx, c.admin, c.citizen)
		if err != nil || got != c.want {
			t.Errorf("IssuesFor(%s, %s) = %v, %v; want %v", c.admin, c.citizen, got, err, c.want)
		}
	}
	if ok, err := s.IssuesFor(ctx, "ajuntament-girona", laia, credential.Tax); ok || err != nil {
		t.Errorf("a town hall issues tax: %v %v", ok, err)
	}
	if _, err := s.IssuesFor(ctx, "nowhere", laia); !errors.Is(err, ErrUnknownAdministration) {
		t.Errorf("unknown administration: %v", err)
	}
	for admin, want := range map[string][]credential.Type{"ajuntament-girona": {credential.Census}, "udg": {credential.Degree}, "atc": nil, "tgss": nil} {
		a, err := s.Administration(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if got := LocalTypes(a); !reflect.DeepEqual(got, want) {
			t.Errorf("LocalTypes(%s) = %v, want %v", admin, got, want)
		}
	}
}
