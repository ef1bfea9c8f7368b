package main

import (
	"context"
	"errors"
	"net/http"
	"time"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai serve")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	data := fs.String("data", "./espai-data", "data directory (created on first run)")
	demo := fs.Bool("demo", false, "load the demo registers and enrol the demo citizens on first run")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := prepare(ctx, e, *data, "", *demo)
	if err != nil {
		return err
	}
	h, err := newServer(ctx, e, d)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	e.log.Info("espai listening", "addr", *addr, "data", d.layout.Root)
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
