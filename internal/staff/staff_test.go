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

func TestConsoleLogin(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "web.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := Account{Name: "Núria Roca", Admin: "ajuntament-girona", Roles: []string{RoleIssuer}}
	if err := s.AddWithToken(ctx, a, "token-of-nuria-roca"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddWithToken(ctx, Account{Name: "Pere Vila", Admin: "ajuntament-girona", Roles: []string{RoleVerifier}}, "token-of-pere-vila"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ tok, login, pw string }{
		{"token-of-nuria-roca", "Nuria", "a long enough password"},      // upper case
		{"token-of-nuria-roca", "nuria.roca", "short"},                  // too short
		{"no-such-token-here", "nuria.roca", "a long enough password"},  // no account
		{"token-of-nuria-roca", "n", "a long enough password"},          // too short a login
		{"token-of-nuria-roca", "nuria roca", "a long enough password"}, // space
	} {
		if err := s.SetLogin(ctx, bad.tok, bad.login, bad.pw); !errors.Is(err, ErrInvalid) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	if err := s.SetLogin(ctx, "token-of-nuria-roca", "nuria.roca", "padró de Girona 2026"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLogin(ctx, "token-of-pere-vila", "nuria.roca", "another password here"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a login taken from another account: %v", err)
	}
	got, err := s.Login(ctx, "nuria.roca", "padró de Girona 2026")
	if err != nil || got.Name != a.Name || got.Login != "nuria.roca" || !got.Has(RoleIssuer) {
		t.Fatalf("login: %+v %v", got, err)
	}
	for _, c := range [][2]string{{"nuria.roca", "padró de girona 2026"}, {"nuria.roca", ""}, {"pere.vila", "padró de Girona 2026"}, {"", ""}} {
		if _, err := s.Login(ctx, c[0], c[1]); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("%q: %v", c, err)
		}
	}
	// The token still works for the API and names the same account.
	if acct, err := s.Authenticate(ctx, "token-of-nuria-roca"); err != nil || acct.Login != "nuria.roca" {
		t.Fatalf("token after SetLogin: %+v %v", acct, err)
	}
}
