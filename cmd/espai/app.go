package main

import (
	"net/http"

	"context"
	"fmt"
	"github.com/espai/espai/internal/web"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/datadir"
	"github.com/espai/espai/issuer"
)

// deployment is an opened data directory: its layout, settings and master key.
type deployment struct {
	layout   datadir.Layout
	settings datadir.Settings
	sealer   *atrest.Sealer
}

// prepare opens the data directory at root, initialising it on first use. With
// demo set, a new directory gets the demo registers and demo citizens; an
// existing directory keeps its data (running twice is safe).
func prepare(ctx context.Context, e *env, root, domain string, demo bool) (*deployment, error) {
	layout, settings, err := datadir.Create(root, datadir.Settings{DIDDomain: domain, Demo: demo})
	if err != nil {
		return nil, err
	}
	sealer, err := atrest.LoadOrCreate(layout.MasterKey())
	if err != nil {
		return nil, err
	}
	d := &deployment{layout: layout, settings: settings, sealer: sealer}
	iss, err := d.openIssuer()
	if err != nil {
		return nil, err
	}
	defer iss.Close()
	for _, a := range standardAdministrations() {
		if err := iss.Onboard(ctx, a); err != nil {
			return nil, fmt.Errorf("onboard %s: %w", a.ID, err)
		}
	}
	return d, nil
}

func (d *deployment) openIssuer() (*issuer.Service, error) {
	return issuer.Open(d.layout.IssuerDB(), issuer.Config{DIDDomain: d.settings.DIDDomain}, d.sealer, issuer.Registers{})
}

// standardAdministrations are the public bodies every Espai deployment in
// Catalonia knows: the trust scheme operator and the issuers of the
// region-wide registers.
func standardAdministrations() []issuer.Administration {
	return []issuer.Administration{
		{ID: "aoc", Name: "Consorci Administració Oberta de Catalunya", Operator: true},
		{ID: "atc", Name: "Agència Tributària de Catalunya", Types: []credential.Type{credential.Tax}},
		{ID: "tgss", Name: "Tresoreria General de la Seguretat Social", Types: []credential.Type{credential.WorkLife}},
	}
}

// newServer opens every component of d and returns the HTTP handler.
func newServer(ctx context.Context, e *env, d *deployment) (http.Handler, error) {
	iss, err := d.openIssuer()
	if err != nil {
		return nil, err
	}
	go func() { <-ctx.Done(); iss.Close() }()
	return web.New(web.Config{Issuer: iss, Log: e.log}), nil
}
