// Package app composes Espai's domain services (issuer, wallet, ledger,
// verifier) into the flows that span them: issue and deliver into a wallet,
// verify a presentation and record it on the ledger, answer a Via Oberta
// exchange. The CLI and the HTTP layer both call these flows, so a credential
// issued from the command line is recorded exactly like one issued over HTTP.
//
// An App owns one data directory (internal/datadir). Each domain service owns
// its own bbolt file; App only wires them together.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/datadir"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/issuer"
)

// Options say which data directory to open and how.
type Options struct {
	// Root is the data directory. Required.
	Root string
	// DIDDomain is used only when the directory is created. Empty: datadir.DefaultDIDDomain.
	DIDDomain string
	// Demo loads the demo registers and citizens when the directory is created.
	Demo bool
	// Create initialises the directory when it does not exist; otherwise a
	// missing directory is datadir.ErrNotInitialised.
	Create bool
	// Log is the structured logger; nil discards.
	Log *slog.Logger
}

// App is an opened data directory with its services.
type App struct {
	Layout   datadir.Layout
	Settings datadir.Settings
	Issuer   *issuer.Service
	Staff    *staff.Store

	log     *slog.Logger
	sealer  *atrest.Sealer
	closers []func() error
}

// Open opens (and with Create, initialises) a data directory.
func Open(ctx context.Context, o Options) (*App, error) {
	if o.Root == "" {
		return nil, errors.New("app: data directory is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	var (
		layout   datadir.Layout
		settings datadir.Settings
		err      error
	)
	if o.Create {
		layout, settings, err = datadir.Create(o.Root, datadir.Settings{DIDDomain: o.DIDDomain, Demo: o.Demo})
	} else {
		layout = datadir.Layout{Root: o.Root}
		settings, err = layout.Load()
	}
	if err != nil {
		return nil, err
	}
	sealer, err := atrest.LoadOrCreate(layout.MasterKey())
	if err != nil {
		return nil, err
	}
	a := &App{Layout: layout, Settings: settings, log: o.Log, sealer: sealer}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	a.Issuer, err = issuer.Open(layout.IssuerDB(), issuer.Config{DIDDomain: settings.DIDDomain}, sealer, issuer.Registers{})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Issuer.Close)
	a.Staff, err = staff.Open(layout.WebDB())
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Staff.Close)
	for _, adm := range StandardAdministrations() {
		if err := a.Issuer.Onboard(ctx, adm); err != nil {
			return nil, fmt.Errorf("onboard %s: %w", adm.ID, err)
		}
	}
	ok = true
	return a, nil
}

// Close closes every service, last opened first.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// StandardAdministrations are the public bodies every Espai deployment in
// Catalonia knows: the trust scheme operator and the issuers of the
// region-wide registers.
func StandardAdministrations() []issuer.Administration {
	return []issuer.Administration{
		{ID: "aoc", Name: "Consorci Administració Oberta de Catalunya", Operator: true},
		{ID: "atc", Name: "Agència Tributària de Catalunya", Types: []credential.Type{credential.Tax}},
		{ID: "tgss", Name: "Tresoreria General de la Seguretat Social", Types: []credential.Type{credential.WorkLife}},
	}
}
