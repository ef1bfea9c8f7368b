package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/espai/espai/internal/app"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai serve")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	data := fs.String("data", "./espai-data", "data directory (created on first run)")
	demo := fs.Bool("demo", false, "load the demo registers and enrol the demo citizens on first run")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := app.Open(ctx, app.Options{Root: *data, Demo: *demo, Create: true, Log: e.log})
	if err != nil {
		return err
	}
	defer a.Close()
	srv := &http.Server{Addr: *addr, Handler: newServer(a, e), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	e.log.Info("espai listening", "addr", *addr, "data", a.Layout.Root)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("espai stopped")
	return nil
}
