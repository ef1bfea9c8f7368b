package main

import (
	"context"
	"fmt"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/datadir"
)

func runInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai init")
	data := fs.String("data", "./espai-data", "data directory to prepare")
	demo := fs.Bool("demo", false, "load the demo registers and enrol the demo citizens")
	domain := fs.String("did-domain", datadir.DefaultDIDDomain, "did:web domain of this deployment's administrations")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := app.Open(ctx, app.Options{Root: *data, DIDDomain: *domain, Demo: *demo, Create: true, Log: e.log})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(e.stdout, "data directory %s ready (did:web domain %s, demo=%v)\n", a.Layout.Root, a.Settings.DIDDomain, a.Settings.Demo)
	return nil
}
