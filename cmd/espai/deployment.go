package main

import (
	"context"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/web"
	"net/http"
)

// openApp opens an initialised data directory for a one-shot command.
func openApp(ctx context.Context, e *env, root string) (*app.App, error) {
	return app.Open(ctx, app.Options{Root: root, Log: e.log})
}

// newServer returns the HTTP handler over an opened App.
func newServer(a *app.App, e *env) http.Handler {
	return web.New(web.Config{App: a, Staff: a.Staff, Log: e.log})
}
