package main

import (
	"context"

	"github.com/espai/espai/internal/app"
)

// openApp opens an initialised data directory for a one-shot command.
func openApp(ctx context.Context, e *env, root string) (*app.App, error) {
	return app.Open(ctx, app.Options{Root: root, Log: e.log})
}
