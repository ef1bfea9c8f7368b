package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/issuer"
)

func staffCommands() []command {
	return []command{
		{name: "add", summary: "create a staff account (--admin --name --roles [--login; password on stdin]), prints its API token once", run: runStaffAdd},
		{name: "list", summary: "list an administration's staff (--admin)", run: runStaffList},
		{name: "disable", summary: "disable an account: no console login, no API token (--admin, --login or --id)", run: runStaffDisable(true)},
		{name: "enable", summary: "re-enable a disabled account (--admin, --login or --id)", run: runStaffDisable(false)},
		{name: "roles", summary: "replace an account's roles (--admin, --login or --id, --roles)", run: runStaffRoles},
		{name: "reset-password", summary: "give an account a temporary console password, printed once (--admin, --login or --id)", run: runStaffResetPassword},
		{name: "token", summary: "give an account a new API token, printed once, or --revoke it (--admin, --login or --id)", run: runStaffToken},
		{name: "mfa-remove", summary: "remove an account's console second factor, a lost phone (--admin, --login or --id)", run: runStaffMFARemove},
	}
}

func runStaffAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai staff add")
	data := fs.String("data", "./espai-data", "data directory")
	admin := fs.String("admin", "", "administration id (see espai issuer admins)")
	name := fs.String("name", "", "full name and unit, as colleagues know them")
	roles := fs.String("roles", "", "comma-separated: "+strings.Join(staff.Roles, ", "))
	login := fs.String("login", "", "console login name; its password is read from stdin (or ESPAI_PASSPHRASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	acct := staff.Account{Admin: *admin, Name: *name}
	for _, r := range strings.Split(*roles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			acct.Roles = append(acct.Roles, r)
		}
	}
	if err := acct.Validate(); err != nil {
		return usageError{err.Error()}
	}
	var password string
	if *login != "" {
		pw, err := passphrases(e, 1)
		if err != nil {
			return err
		}
		password = pw[0]
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.Issuer.Administration(ctx, *admin); err != nil {
		return usagef("%v", err)
	}
	var tok string
	if *login != "" {
		tok, err = a.Staff.AddWithLogin(ctx, acct, *login, password)
	} else {
		tok, err = a.Staff.Add(ctx, acct)
	}
	if err != nil {
		return err
	}
	acct.Login = *login
	if err := logCLIAction(ctx, a, acct.Admin, "staff.add", &acct); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "API token (shown once): %s\n", tok)
	return nil
}

func runStaffList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai staff list")
	data := fs.String("data", "./espai-data", "data directory")
	admin := fs.String("admin", "", "administration id")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *admin == "" {
		return usagef("--admin is required")
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.Staff.List(ctx, *admin)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLOGIN\tROLES\tSTATUS\tSINCE\tID")
	for _, s := range list {
		status := "active"
		switch {
		case s.Disabled:
			status = "disabled"
		case s.MustChangePassword:
			status = "password-pending"
		}
		if s.TokenIssued.IsZero() {
			status += ",no-token"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Login, strings.Join(s.Roles, ","), status, s.Created.Format("2006-01-02"), s.ID)
	}
	return tw.Flush()
}

// staffTarget is the account a management subcommand acts on: its
// administration and its console login or id, as flags.
type staffTarget struct {
	data, admin, login, id *string
}

func staffTargetFlags(fs *flag.FlagSet) staffTarget {
	return staffTarget{
		data:  fs.String("data", "./espai-data", "data directory"),
		admin: fs.String("admin", "", "administration id"),
		login: fs.String("login", "", "the account's console login name"),
		id:    fs.String("id", "", "the account's id (see espai staff list), for accounts without a login"),
	}
}

// open checks the flags, opens the deployment and finds the account (only
// among the administration's own).
func (st staffTarget) open(ctx context.Context, e *env) (*app.App, *staff.Account, error) {
	if *st.admin == "" {
		return nil, nil, usagef("--admin is required")
	}
	if (*st.login == "") == (*st.id == "") {
		return nil, nil, usagef("give the account's --login or its --id")
	}
	a, err := openApp(ctx, e, *st.data)
	if err != nil {
		return nil, nil, err
	}
	var acct *staff.Account
	if *st.login != "" {
		acct, err = a.Staff.ByLogin(ctx, *st.admin, *st.login)
	} else {
		acct, err = a.Staff.Get(ctx, *st.admin, *st.id)
	}
	if errors.Is(err, staff.ErrNotFound) {
		a.Close()
		return nil, nil, usagef("%s has no such account", *st.admin)
	}
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, acct, nil
}

// staffCLIError turns the store's refusals into usage errors (exit 2).
func staffCLIError(err error) error {
	if errors.Is(err, staff.ErrInvalid) || errors.Is(err, staff.ErrLastAdmin) || errors.Is(err, staff.ErrNotFound) {
		return usagef("%v", err)
	}
	return err
}

// logCLIAction records an account change made from the command line in the
// administration's staff action log.
func logCLIAction(ctx context.Context, a *app.App, admin, kind string, target *staff.Account) error {
	return a.Staff.LogAction(ctx, staff.Action{Admin: admin, Via: "cli", Kind: kind, Target: target.Label()})
}

// staffOp changes one account; it says what to log (kind, target) and what
// to print.
type staffOp func(ctx context.Context, a *app.App, acct *staff.Account) (kind, target, out string, err error)

// staffCommand is an `espai staff` command that changes one account. Each
// run gets the target's flags, then setup adds the command's own and returns
// the change and a check of those flags run after parsing (nil: none); the
// data directory is opened, the change made and written to the
// administration's action log, its output printed.
func staffCommand(name string, setup func(fs *flag.FlagSet) (staffOp, func() error)) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(e, name)
		st := staffTargetFlags(fs)
		op, check := setup(fs)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		a, acct, err := st.open(ctx, e)
		if err != nil {
			return err
		}
		defer a.Close()
		kind, target, out, err := op(ctx, a, acct)
		if err != nil {
			return err
		}
		if err := a.Staff.LogAction(ctx, staff.Action{Admin: acct.Admin, Via: "cli", Kind: kind, Target: target}); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, out)
		return nil
	}
}

// noFlags is the setup of a staff command with no flags of its own.
func noFlags(op staffOp) func(*flag.FlagSet) (staffOp, func() error) {
	return func(*flag.FlagSet) (staffOp, func() error) { return op, nil }
}

func runStaffDisable(disabled bool) func(context.Context, *env, []string) error {
	name, kind, done := "espai staff enable", "staff.enable", "enabled"
	if disabled {
		name, kind, done = "espai staff disable", "staff.disable", "disabled"
	}
	return staffCommand(name, noFlags(func(ctx context.Context, a *app.App, acct *staff.Account) (string, string, string, error) {
		if _, err := a.Staff.SetDisabled(ctx, acct.Admin, acct.ID, disabled); err != nil {
			return "", "", "", staffCLIError(err)
		}
		return kind, acct.Label(), acct.Label() + " " + done, nil
	}))
}

var runStaffRoles = staffCommand("espai staff roles", func(fs *flag.FlagSet) (staffOp, func() error) {
	roles := fs.String("roles", "", "comma-separated, replacing the current ones: "+strings.Join(staff.Roles, ", "))
	var list []string
	check := func() error {
		for _, r := range strings.Split(*roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				list = append(list, r)
			}
		}
		if len(list) == 0 {
			return usagef("--roles is required")
		}
		return nil
	}
	return func(ctx context.Context, a *app.App, acct *staff.Account) (string, string, string, error) {
		changed, err := a.Staff.SetRoles(ctx, acct.Admin, acct.ID, list)
		if err != nil {
			return "", "", "", staffCLIError(err)
		}
		label := acct.Label() + ": " + strings.Join(changed.Roles, ",")
		return "staff.roles", label, label, nil
	}, check
})

var runStaffResetPassword = staffCommand("espai staff reset-password", noFlags(
	func(ctx context.Context, a *app.App, acct *staff.Account) (string, string, string, error) {
		temp, err := a.Staff.ResetPassword(ctx, acct.Admin, acct.ID)
		if err != nil {
			return "", "", "", staffCLIError(err)
		}
		return "staff.password-reset", acct.Label(), fmt.Sprintf("Temporary password (shown once; expires in %s; a new one must be chosen at the next login): %s", staff.TemporaryPasswordTTL, temp), nil
	}))

// runStaffMFARemove removes an account's TOTP second factor (the operator's
// way back for an administration whose only admin lost their phone); the
// account signs in with its password until it turns a new one on.
var runStaffMFARemove = staffCommand("espai staff mfa-remove", noFlags(
	func(ctx context.Context, a *app.App, acct *staff.Account) (string, string, string, error) {
		f, err := a.MFA.Factors(ctx, staff.FactorKey(acct.ID))
		if err != nil {
			return "", "", "", err
		}
		if !f.TOTP {
			return "", "", "", usagef("%s has no second factor", acct.Label())
		}
		if err := a.MFA.Forget(ctx, staff.FactorKey(acct.ID)); err != nil {
			return "", "", "", err
		}
		return "staff.mfa-remove", acct.Label(), "Second factor removed: " + acct.Label() + " signs in with the password until they turn a new one on.", nil
	}))

var runStaffToken = staffCommand("espai staff token", func(fs *flag.FlagSet) (staffOp, func() error) {
	revoke := fs.Bool("revoke", false, "revoke the account's token instead of making a new one")
	return func(ctx context.Context, a *app.App, acct *staff.Account) (string, string, string, error) {
		if *revoke {
			if err := a.Staff.RevokeToken(ctx, acct.Admin, acct.ID); err != nil {
				return "", "", "", staffCLIError(err)
			}
			return "staff.token-revoke", acct.Label(), acct.Label() + ": API token revoked", nil
		}
		tok, err := a.Staff.RotateToken(ctx, acct.Admin, acct.ID)
		if err != nil {
			return "", "", "", staffCLIError(err)
		}
		return "staff.token-rotate", acct.Label(), "API token (shown once; the old one no longer works): " + tok, nil
	}, nil
})

// runOnboard registers a new administration from a JSON file (id, name,
// types it issues, purposes it verifies for), generating its signing keys;
// the next trust list names it.
func runOnboard(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai issuer onboard")
	data := fs.String("data", "./espai-data", "data directory")
	file := fs.String("file", "", "the administration as JSON (see docs/operations.md); - for stdin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("--file is required")
	}
	var r io.Reader = e.stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return usagef("%v", err)
		}
		defer f.Close()
		r = f
	}
	var adm issuer.Administration
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&adm); err != nil {
		return usagef("administration file: %v", err)
	}
	if adm.Operator || adm.KeyGeneration != 0 || !adm.Onboarded.IsZero() {
		return usagef("administration file: operator, key_generation and onboarded are set by Espai, not by the file")
	}
	if err := adm.Validate(); err != nil {
		return usagef("%v", err)
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Issuer.Onboard(ctx, adm); err != nil {
		return err
	}
	a.Trust.Invalidate()
	fmt.Fprintf(e.stdout, "%s onboarded as %s\n", adm.Name, a.Issuer.DID(adm.ID))
	return nil
}
