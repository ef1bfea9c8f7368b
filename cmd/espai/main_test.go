package main

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the espai command in-process: scripts in
// testdata/script call `espai ...` exactly as a user would.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"espai": func() {
			e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
				log: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
			os.Exit(run(context.Background(), e, os.Args[1:]))
		},
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
