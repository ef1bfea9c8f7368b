package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/verifier"
)

func verifierCommands() []command {
	return []command{
		{name: "request", summary: "open a presentation request (--admin --purpose [--format dc+sd-jwt|ldp_vc] [--claims a,b] [--qr FILE.png])", run: runVerifierRequest},
		{name: "show", summary: "show a request's state and verdict (--request ID)", run: runVerifierShow},
		{name: "scan", summary: "verify a citizen's QR payload or one-time link (--admin; payload as argument or on stdin)", run: runVerifierScan},
		{name: "purposes", summary: "list the registered purposes of the administrations (what each may ask for)", run: runVerifierPurposes},
	}
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func runVerifierRequest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai verifier request")
	data := fs.String("data", "./espai-data", "data directory")
	admin := fs.String("admin", "", "the asking administration (e.g. ajuntament-girona)")
	purpose := fs.String("purpose", "", "its registered purpose (espai verifier purposes)")
	format := fs.String("format", verifier.FormatSDJWT, "credential format asked for: dc+sd-jwt or ldp_vc")
	claims := fs.String("claims", "", "comma-separated claims (default: all the purpose registers)")
	qr := fs.String("qr", "", "write the QR code to this PNG file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *admin == "" || *purpose == "" {
		return usagef("--admin and --purpose are required")
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.Verifier.CreateRequest(ctx, *admin, *purpose, *format, splitList(*claims))
	if err != nil {
		return err
	}
	uri := r.QR(a.PublicBase())
	if *qr != "" {
		code, err := qrpayload.Encode(uri)
		if err != nil {
			return err
		}
		img, err := code.PNG(6)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*qr, img, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "request %s (%s), expires %s\n%s\n", r.ID, r.Object.Purpose.Title,
		time.Unix(r.Object.Expires, 0).Format(time.TimeOnly), uri)
	return nil
}

func runVerifierShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai verifier show")
	data := fs.String("data", "./espai-data", "data directory")
	id := fs.String("request", "", "request id")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return usagef("--request is required")
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.Verifier.Request(ctx, *id)
	if err != nil {
		return err
	}
	r.Signed = ""
	return printJSON(e, r)
}

func runVerifierScan(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai verifier scan")
	data := fs.String("data", "./espai-data", "data directory")
	admin := fs.String("admin", "", "the scanning administration")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *admin == "" {
		return usagef("--admin is required")
	}
	payload := strings.Join(fs.Args(), " ")
	if payload == "" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, qrpayload.MaxPayload+1))
		if err != nil {
			return usagef("read payload: %v", err)
		}
		payload = string(b)
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.Verifier.Scan(ctx, *admin, payload)
	if v != nil {
		if perr := printJSON(e, v); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if !v.Valid {
		f := v.FirstFailure()
		return exitError{code: 1, msg: fmt.Sprintf("not valid: %s check failed: %s", f.Name, f.Detail)}
	}
	return nil
}

func runVerifierPurposes(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai verifier purposes")
	data := fs.String("data", "./espai-data", "data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	admins, err := a.Issuer.Administrations(ctx)
	if err != nil {
		return err
	}
	for _, ad := range admins {
		for _, p := range ad.Purposes {
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\n", ad.ID, p.ID, p.Type, strings.Join(p.Claims, ","), p.LegalBasis)
		}
	}
	return nil
}
