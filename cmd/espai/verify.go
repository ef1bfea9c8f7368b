package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/verifier"
)

// maxVerifyInput bounds what espai verify reads.
const maxVerifyInput = 1 << 20

func runVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai verify")
	data := fs.String("data", "./espai-data", "data directory (its trust list, DID documents and status lists are used)")
	nonce := fs.String("nonce", "", "verify a presentation made for this nonce (single use)")
	aud := fs.String("aud", "", "verify a presentation made for this audience")
	typ := fs.String("type", "", "with a presentation: the credential type requested")
	claims := fs.String("claims", "", "with a presentation: comma-separated claims requested (all must be disclosed, nothing else)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("verify takes one FILE (or - for standard input)")
	}
	if (*nonce == "") != (*aud == "") {
		return usagef("--nonce and --aud go together: they make it a presentation check")
	}
	var in io.Reader = e.stdin
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return usagef("%v", err)
		}
		defer f.Close()
		in = f
	}
	raw, err := io.ReadAll(io.LimitReader(in, maxVerifyInput+1))
	if err != nil {
		return usagef("read input: %v", err)
	}
	if len(raw) > maxVerifyInput {
		return usagef("input larger than %d bytes: not a credential or presentation", maxVerifyInput)
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	var v *verdict.Verdict
	if *nonce != "" {
		req := verifier.PresentationRequest{Audience: *aud, Nonce: *nonce}
		if *typ != "" {
			t, err := credential.ParseType(*typ)
			if err != nil {
				return usageError{err.Error()}
			}
			req.Type = t
		}
		for _, c := range strings.Split(*claims, ",") {
			if c = strings.TrimSpace(c); c != "" {
				req.Claims = append(req.Claims, c)
			}
		}
		v, err = a.Verifier.VerifyPresentation(ctx, raw, req)
	} else {
		v, err = a.Checker.VerifyCredential(ctx, raw)
	}
	if err != nil {
		return err
	}
	if err := printJSON(e, v); err != nil {
		return err
	}
	if !v.Valid {
		f := v.FirstFailure()
		return exitError{code: 1, msg: fmt.Sprintf("not valid: %s check failed: %s", f.Name, f.Detail)}
	}
	return nil
}
