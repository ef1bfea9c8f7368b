package staff

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
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

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "web.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// girona makes an administration with two admins (one with a login), a
// verifier with a login and a system, and another administration's admin.
func girona(t *testing.T, s *Store) (admin1, admin2, verifier, system, other *Account) {
	t.Helper()
	ctx := context.Background()
	add := func(a Account, login string) *Account {
		var tok string
		var err error
		if login != "" {
			tok, err = s.AddWithLogin(ctx, a, login, "una contrasenya llarga")
		} else {
			tok, err = s.Add(ctx, a)
		}
		if err != nil {
			t.Fatal(err)
		}
		acct, err := s.Authenticate(ctx, tok)
		if err != nil || acct.ID == "" || acct.TokenIssued.IsZero() {
			t.Fatalf("new account: %+v %v", acct, err)
		}
		return acct
	}
	admin1 = add(Account{Name: "Montse", Admin: "ajuntament-girona", Roles: []string{RoleAdmin}}, "montse")
	admin2 = add(Account{Name: "Jordi", Admin: "ajuntament-girona", Roles: []string{RoleAdmin, RoleIssuer}}, "jordi")
	verifier = add(Account{Name: "Pere", Admin: "ajuntament-girona", Roles: []string{RoleVerifier}}, "pere")
	system = add(Account{Name: "Seu", Admin: "ajuntament-girona", Roles: []string{RoleServices}}, "")
	other = add(Account{Name: "Carme", Admin: "atc", Roles: []string{RoleAdmin}}, "carme")
	return
}

func TestManageAccounts(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	admin1, admin2, verifier, system, other := girona(t, s)
	const g = "ajuntament-girona"

	// Another administration's accounts are not found, whatever the method.
	if _, err := s.Get(ctx, g, other.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of another administration's account: %v", err)
	}
	if _, err := s.ByLogin(ctx, g, "carme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ByLogin of another administration's account: %v", err)
	}
	if _, err := s.SetDisabled(ctx, g, other.ID, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("disable: %v", err)
	}
	if _, err := s.SetRoles(ctx, g, other.ID, []string{RoleIssuer}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("roles: %v", err)
	}
	if _, err := s.ResetPassword(ctx, g, other.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("reset: %v", err)
	}
	if _, err := s.RotateToken(ctx, g, other.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rotate: %v", err)
	}
	if err := s.RevokeToken(ctx, g, other.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke: %v", err)
	}
	if err := s.ChangePassword(ctx, g, other.ID, "una contrasenya llarga", "una altra contrasenya"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("change password: %v", err)
	}
	if got, err := s.Get(ctx, "atc", other.ID); err != nil || got.Disabled || got.Name != "Carme" {
		t.Fatalf("the other administration's account changed: %+v %v", got, err)
	}
	list, _ := s.List(ctx, g)
	if len(list) != 4 {
		t.Fatalf("list: %d accounts", len(list))
	}

	// Disabling: no login, no token; re-enabling restores both.
	if _, err := s.SetDisabled(ctx, g, verifier.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "pere", "una contrasenya llarga"); !errors.Is(err, ErrDisabled) || !errors.Is(err, ErrBadLogin) {
		t.Fatalf("disabled login: %v", err)
	}
	if _, err := s.Login(ctx, "pere", "wrong password here"); !errors.Is(err, ErrBadLogin) || errors.Is(err, ErrDisabled) {
		t.Fatalf("a wrong password of a disabled account must not tell it is disabled: %v", err)
	}
	if _, err := s.SetDisabled(ctx, g, system.ID, true); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Get(ctx, g, system.ID); err != nil || !a.Disabled {
		t.Fatalf("disabled flag: %+v %v", a, err)
	}
	if err := Authorize(&Account{Name: "x", Roles: []string{RoleIssuer}, Disabled: true}, RoleIssuer, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("Authorize of a disabled account: %v", err)
	}
	if _, err := s.SetDisabled(ctx, g, verifier.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "pere", "una contrasenya llarga"); err != nil {
		t.Fatalf("re-enabled login: %v", err)
	}

	// Roles: validated, normalised; nothing changes on bad input.
	for _, bad := range [][]string{nil, {}, {"root"}, {RoleIssuer, "root"}} {
		if _, err := s.SetRoles(ctx, g, verifier.ID, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("roles %q: %v", bad, err)
		}
	}
	if a, _ := s.Get(ctx, g, verifier.ID); !slices.Equal(a.Roles, []string{RoleVerifier}) {
		t.Fatalf("refused roles changed the account: %v", a.Roles)
	}
	if a, err := s.SetRoles(ctx, g, verifier.ID, []string{RoleVerifier, RoleIssuer, RoleIssuer}); err != nil || !slices.Equal(a.Roles, []string{RoleIssuer, RoleVerifier}) {
		t.Fatalf("set roles: %+v %v", a, err)
	}

	// The last active admin stays: disabling one admin is fine, then the
	// other can be neither disabled nor lose the role; a disabled admin
	// does not count.
	if _, err := s.SetDisabled(ctx, g, admin2.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetDisabled(ctx, g, admin1.ID, true); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disabling the last admin: %v", err)
	}
	if _, err := s.SetRoles(ctx, g, admin1.ID, []string{RoleIssuer}); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("taking the role of the last admin: %v", err)
	}
	if a, _ := s.Get(ctx, g, admin1.ID); a.Disabled || !a.Has(RoleAdmin) {
		t.Fatalf("refused change applied: %+v", a)
	}
	// Changing a disabled admin's roles is no loss; a third admin frees the first.
	if _, err := s.SetRoles(ctx, g, admin2.ID, []string{RoleIssuer}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRoles(ctx, g, verifier.ID, []string{RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRoles(ctx, g, admin1.ID, []string{RoleAuditor}); err != nil {
		t.Fatalf("with another admin: %v", err)
	}
	// Another administration's only admin is unaffected by Girona's count.
	if _, err := s.SetDisabled(ctx, "atc", other.ID, true); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("ATC's only admin: %v", err)
	}
	if _, err := s.Get(ctx, g, "no-such-id"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	const g = "ajuntament-girona"
	tok, err := s.Add(ctx, Account{Name: "Seu", Admin: g, Roles: []string{RoleServices}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Authenticate(ctx, tok)
	tok2, err := s.RotateToken(ctx, g, a.ID)
	if err != nil || tok2 == tok || len(tok2) != 43 {
		t.Fatalf("rotate: %q %v", tok2, err)
	}
	if _, err := s.Authenticate(ctx, tok); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("the old token still works: %v", err)
	}
	if b, err := s.Authenticate(ctx, tok2); err != nil || b.ID != a.ID {
		t.Fatalf("new token: %+v %v", b, err)
	}
	if err := s.RevokeToken(ctx, g, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok2); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("a revoked token works: %v", err)
	}
	if b, _ := s.Get(ctx, g, a.ID); !b.TokenIssued.IsZero() {
		t.Fatal("a revoked account still shows a token")
	}
	if err := s.RevokeToken(ctx, g, a.ID); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	tok3, err := s.RotateToken(ctx, g, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := s.Authenticate(ctx, tok3); err != nil || b.ID != a.ID || b.TokenIssued.IsZero() {
		t.Fatalf("token after revoke: %+v %v", b, err)
	}
}

func TestPasswords(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	const g = "ajuntament-girona"
	tok, temp, err := s.AddWithTemporaryLogin(ctx, Account{Name: "Anna", Admin: g, Roles: []string{RoleVerifier}}, "anna")
	if err != nil || len(temp) != 19 || tok == "" {
		t.Fatalf("add: %q %v", temp, err)
	}
	a, err := s.Login(ctx, "anna", temp)
	if err != nil || !a.MustChangePassword {
		t.Fatalf("temporary login: %+v %v", a, err)
	}
	// Bad changes change nothing.
	for _, c := range []struct {
		cur, next string
		want      error
	}{
		{"wrong password!!", "la meva contrasenya", ErrBadLogin},
		{temp, "curta", ErrInvalid},
		{temp, temp, ErrInvalid},
	} {
		if err := s.ChangePassword(ctx, g, a.ID, c.cur, c.next); !errors.Is(err, c.want) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	if err := s.ChangePassword(ctx, g, a.ID, temp, "la meva contrasenya"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "anna", temp); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("the temporary password still opens: %v", err)
	}
	if a, err = s.Login(ctx, "anna", "la meva contrasenya"); err != nil || a.MustChangePassword {
		t.Fatalf("own password: %+v %v", a, err)
	}
	// A reset: the old password stops at once, the temporary one expires.
	temp2, err := s.ResetPassword(ctx, g, a.ID)
	if err != nil || temp2 == temp {
		t.Fatalf("reset: %v", err)
	}
	if _, err := s.Login(ctx, "anna", "la meva contrasenya"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("the old password after a reset: %v", err)
	}
	if a, err = s.Login(ctx, "anna", temp2); err != nil || !a.MustChangePassword {
		t.Fatalf("reset login: %+v %v", a, err)
	}
	now = now.Add(TemporaryPasswordTTL)
	if _, err := s.Login(ctx, "anna", temp2); !errors.Is(err, ErrPasswordExpired) {
		t.Fatalf("expired temporary password: %v", err)
	}
	// A system has no login to reset.
	sysTok, _ := s.Add(ctx, Account{Name: "Seu", Admin: g, Roles: []string{RoleServices}})
	sys, _ := s.Authenticate(ctx, sysTok)
	if _, err := s.ResetPassword(ctx, g, sys.ID); !errors.Is(err, ErrInvalid) {
		t.Fatalf("reset without a login: %v", err)
	}
	// SetLogin (demo seeding, the command line) sets a permanent password.
	if err := s.SetLogin(ctx, sysTok, "seu", "una contrasenya llarga"); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Login(ctx, "seu", "una contrasenya llarga"); err != nil || a.MustChangePassword {
		t.Fatalf("SetLogin: %+v %v", a, err)
	}
	if _, _, err := s.AddWithTemporaryLogin(ctx, Account{Name: "Anna 2", Admin: g, Roles: []string{RoleVerifier}}, "anna"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a taken login: %v", err)
	}
}

func TestActionLog(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	for i := range 25 {
		if err := s.LogAction(ctx, Action{Admin: "ajuntament-girona", Via: "console", ActorName: "Núria", ActorLogin: "nuria.roca",
			Kind: "credential.issue", Target: fmt.Sprintf("12345678Z census %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LogAction(ctx, Action{Admin: "atc", Via: "api", ActorName: "Carme", Kind: "credential.revoke", Target: "urn:uuid:x"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Action{
		{Admin: "ATC!", Via: "api", Kind: "x"},
		{Admin: "atc", Via: "api", Kind: ""},
		{Admin: "atc", Via: "api", Kind: "Credential Issue"},
		{Admin: "atc", Via: "mail", Kind: "x"},
	} {
		if err := s.LogAction(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	var seen []string
	before := uint64(0)
	for page := 0; ; page++ {
		acts, more, err := s.Actions(ctx, "ajuntament-girona", before, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range acts {
			if a.Admin != "ajuntament-girona" || a.Time.IsZero() || a.ActorLogin != "nuria.roca" {
				t.Fatalf("action %+v", a)
			}
			seen = append(seen, a.Target)
			before = a.Seq
		}
		if !more {
			if page != 2 || len(acts) != 5 {
				t.Fatalf("last page %d with %d", page, len(acts))
			}
			break
		}
	}
	if len(seen) != 25 || seen[0] != "12345678Z census 24" || seen[24] != "12345678Z census 0" {
		t.Fatalf("newest first, every one once: %q", seen)
	}
	acts, _, _ := s.Actions(ctx, "atc", 0, 10)
	if len(acts) != 1 || acts[0].Target != "urn:uuid:x" || acts[0].Seq != 1 {
		t.Fatalf("atc's log: %+v", acts)
	}
	if acts, _, _ := s.Actions(ctx, "udg", 0, 10); len(acts) != 0 {
		t.Fatalf("an empty log: %+v", acts)
	}
	long := strings.Repeat("x", 2*MaxTarget)
	if err := s.LogAction(ctx, Action{Admin: "atc", Via: "cli", Kind: "staff.disable", Target: long}); err != nil {
		t.Fatal(err)
	}
	if acts, _, _ := s.Actions(ctx, "atc", 0, 1); len(acts[0].Target) != MaxTarget {
		t.Fatalf("long target kept %d", len(acts[0].Target))
	}
}

// TestMigrateSchema1 opens a database written by the first layout (accounts
// keyed by token hash) and finds every account, token and login.
func TestMigrateSchema1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "web.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2025, 11, 4, 8, 0, 0, 0, time.UTC)
	err = db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket(bucketMeta)
		m.Put(keySchema, binary.BigEndian.AppendUint64(nil, 1))
		accts, _ := tx.CreateBucket(bucketAccounts)
		logins, _ := tx.CreateBucket(bucketLogins)
		for _, a := range []struct{ tok, name, login string }{{"token-of-nuria-roca", "Núria", "nuria.roca"}, {"token-of-the-system", "Seu", ""}} {
			raw, _ := json.Marshal(map[string]any{"name": a.name, "admin": "ajuntament-girona", "roles": []string{RoleIssuer}, "created": created, "login": a.login})
			accts.Put(hashToken(a.tok), raw)
			if a.login != "" {
				salt := make([]byte, 16)
				lr, _ := json.Marshal(map[string]any{"account": hashToken(a.tok), "salt": salt, "hash": passwordHash("padró de Girona 2026", salt, pwTime, pwMemory), "t": pwTime, "m": pwMemory})
				logins.Put([]byte(a.login), lr)
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for range 2 { // migrating is done once; opening again changes nothing
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Login(ctx, "nuria.roca", "padró de Girona 2026")
		if err != nil || a.ID == "" || a.Name != "Núria" || !a.Created.Equal(created) {
			t.Fatalf("login after migration: %+v %v", a, err)
		}
		b, err := s.Authenticate(ctx, "token-of-nuria-roca")
		if err != nil || b.ID != a.ID || b.TokenIssued.IsZero() {
			t.Fatalf("token after migration: %+v %v", b, err)
		}
		sys, err := s.Authenticate(ctx, "token-of-the-system")
		if err != nil || sys.ID == "" || sys.ID == a.ID {
			t.Fatalf("system after migration: %+v %v", sys, err)
		}
		if list, _ := s.List(ctx, "ajuntament-girona"); len(list) != 2 {
			t.Fatalf("list after migration: %+v", list)
		}
		ids[a.ID], ids[sys.ID] = true, true
		s.Close()
	}
	if len(ids) != 2 {
		t.Fatalf("ids changed on the second opening: %v", ids)
	}
}
