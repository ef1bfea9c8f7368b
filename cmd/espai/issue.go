package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/issuer"
)

func issuerCommands() []command {
	return []command{
		{name: "list", summary: "list the credentials issued to a citizen (--citizen DNI)", run: runIssuerList},
		{name: "revoke", summary: "revoke a credential for good (--credential ID --reason TEXT)", run: runStatusChange(issuer.StatusRevoked)},
		{name: "suspend", summary: "suspend a credential (--credential ID --reason TEXT)", run: runStatusChange(issuer.StatusSuspended)},
		{name: "reinstate", summary: "lift a suspension (--credential ID --reason TEXT)", run: runStatusChange(issuer.StatusValid)},
		{name: "rotate-key", summary: "rotate an administration's signing keys (--admin ID)", run: runRotateKey},
		{name: "admins", summary: "list the onboarded administrations", run: runAdmins},
		{name: "onboard", summary: "onboard an administration from a JSON file (--file)", run: runOnboard},
	}
}

func runIssue(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai issue")
	data := fs.String("data", "./espai-data", "data directory")
	typ := fs.String("type", "", "credential type: census, tax, degree or worklife")
	citizen := fs.String("citizen", "", "the citizen's DNI or NIE")
	format := fs.String("format", "sd-jwt", "credential format: sd-jwt or jsonld")
	degree := fs.Int("degree", 0, "which degree when the citizen has several (0 = most recent)")
	deliver := fs.Bool("deliver", false, "deliver the credential into the citizen's wallet inbox (encrypted to the wallet key) instead of printing it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t, err := credential.ParseType(*typ)
	if err != nil {
		return usageError{err.Error()}
	}
	f, err := credential.ParseFormat(*format)
	if err != nil {
		return usageError{err.Error()}
	}
	if *citizen == "" {
		return usagef("--citizen is required")
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	req := issuer.Request{Type: t, Format: f, Citizen: strings.ToUpper(strings.TrimSpace(*citizen)), Degree: *degree}
	if *deliver {
		out, err := a.IssueAndDeliver(ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "delivered %s %s credential %s to the wallet inbox (delivery %s)\n", out.Issued.Type, out.Issued.Format, out.Issued.ID, out.Delivery)
		return nil
	}
	issued, err := a.Issue(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, issued.Credential)
	return nil
}

func runIssuerList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai issuer list")
	data := fs.String("data", "./espai-data", "data directory")
	citizen := fs.String("citizen", "", "the citizen's DNI or NIE")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *citizen == "" {
		return usagef("--citizen is required")
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	iss := a.Issuer
	recs, err := iss.IssuedTo(ctx, strings.ToUpper(*citizen))
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(recs)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tFORMAT\tISSUER\tISSUED\tEXPIRES\tSTATUS")
	for _, r := range recs {
		exp := "-"
		if !r.ExpiresAt.IsZero() {
			exp = r.ExpiresAt.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Type, r.Format, r.Admin, r.IssuedAt.Format("2006-01-02 15:04"), exp, r.Status)
	}
	return tw.Flush()
}

func runStatusChange(to byte) func(ctx context.Context, e *env, args []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(e, "espai issuer "+issuer.StatusName(to))
		data := fs.String("data", "./espai-data", "data directory")
		id := fs.String("credential", "", "credential id (urn:uuid:...)")
		reason := fs.String("reason", "", "why (recorded and shown to the citizen)")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if *id == "" || *reason == "" {
			return usagef("--credential and --reason are required")
		}
		a, err := openApp(ctx, e, *data)
		if err != nil {
			return err
		}
		defer a.Close()
		rec, err := a.ChangeStatus(ctx, *id, to, *reason)
		if err != nil {
			if errors.Is(err, issuer.ErrUnknownCredential) {
				return exitError{code: 1, msg: err.Error()}
			}
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s (%s, %s): %s\n", rec.ID, rec.Status, rec.Type, rec.Admin, rec.Reason)
		return nil
	}
}

func runRotateKey(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai issuer rotate-key")
	data := fs.String("data", "./espai-data", "data directory")
	admin := fs.String("admin", "", "administration id (see espai issuer admins)")
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
	iss := a.Issuer
	gen, err := iss.RotateKeys(ctx, *admin)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s now signs with key generation %d; earlier keys stay in its DID document\n", *admin, gen)
	return nil
}

func runAdmins(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai issuer admins")
	data := fs.String("data", "./espai-data", "data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	iss := a.Issuer
	admins, err := iss.Administrations(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tISSUES\tVERIFIES\tDID")
	for _, a := range admins {
		var types, purposes []string
		for _, t := range a.Types {
			types = append(types, string(t))
		}
		for _, p := range a.Purposes {
			purposes = append(purposes, p.ID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Name, strings.Join(types, ","), strings.Join(purposes, ","), iss.DID(a.ID))
	}
	return tw.Flush()
}
