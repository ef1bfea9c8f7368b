package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/issuer"
)

func staffCommands() []command {
	return []command{
		{name: "add", summary: "create a staff account (--admin --name --roles [--login; password on stdin]), prints its API token once", run: runStaffAdd},
		{name: "list", summary: "list an administration's staff (--admin)", run: runStaffList},
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
	fmt.Fprintln(tw, "NAME\tLOGIN\tROLES\tSINCE")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Login, strings.Join(s.Roles, ","), s.Created.Format("2006-01-02"))
	}
	return tw.Flush()
}

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
