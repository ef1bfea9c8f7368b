package staff

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestAccounts(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "web.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tok, err := s.Add(ctx, Account{Name: "Núria Vidal", Admin: "atc", Roles: []string{RoleIssuer}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Authenticate(ctx, tok)
	if err != nil || a.Admin != "atc" || !a.Has(RoleIssuer) {
		t.Fatalf("Authenticate = %+v, %v", a, err)
	}
	if err := Authorize(a, RoleIssuer, "atc"); err != nil {
		t.Errorf("own administration refused: %v", err)
	}
	if err := Authorize(a, RoleIssuer, "udg"); !errors.Is(err, ErrForbidden) {
		t.Errorf("other administration: %v", err)
	}
	if err := Authorize(a, RoleAuditor, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("missing role: %v", err)
	}
	for _, bad := range []string{"", tok + "x", tok[:len(tok)-1]} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) err = %v", bad, err)
		}
	}
	for _, bad := range []Account{{Name: "", Admin: "atc", Roles: []string{RoleIssuer}}, {Name: "x", Admin: "ATC!", Roles: []string{RoleIssuer}}, {Name: "x", Admin: "atc", Roles: []string{"root"}}, {Name: "x", Admin: "atc"}} {
		if _, err := s.Add(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Add(%+v) err = %v", bad, err)
		}
	}
	if err := s.AddWithToken(ctx, Account{Name: "Demo", Admin: "atc", Roles: []string{RoleIssuer}}, "demo-atc-issuer"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddWithToken(ctx, Account{Name: "Demo", Admin: "atc", Roles: []string{RoleIssuer}}, "demo-atc-issuer"); err != nil {
		t.Errorf("re-adding the same demo account: %v", err)
	}
	if err := s.AddWithToken(ctx, Account{Name: "Other", Admin: "udg", Roles: []string{RoleIssuer}}, "demo-atc-issuer"); !errors.Is(err, ErrInvalid) {
		t.Errorf("token reuse for another account: %v", err)
	}
}
