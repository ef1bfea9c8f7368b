package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the espai command in-process: scripts in
// testdata/script call `espai ...` exactly as a user would.
func TestMain(m *testing.M) {
	testscript.Main(cleanupM{m}, map[string]func(){
		"espai": func() {
			e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
				log: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
			os.Exit(run(context.Background(), e, os.Args[1:]))
		},
	})
}

// cleanupM removes what the tests shared (the demo data directory) once
// they have run.
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	if demo.root != "" {
		os.RemoveAll(demo.root)
	}
	return code
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script", Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// capture NAME REGEXP sets $NAME to the first submatch of REGEXP in
		// the previous command's stdout (ids the script needs later).
		"capture": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: capture NAME REGEXP")
			}
			m := regexp.MustCompile(args[1]).FindStringSubmatch(ts.ReadFile("stdout"))
			if len(m) < 2 {
				ts.Fatalf("capture: no match for %q in stdout", args[1])
			}
			ts.Setenv(args[0], m[1])
		},
	}})
}

// TestVerifyRefusesOversizedInput: more than 1 MiB is not a credential; the
// command says so with exit status 2 before opening anything.
func TestVerifyRefusesOversizedInput(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdin: bytes.NewReader(bytes.Repeat([]byte("A"), maxVerifyInput+1)), stdout: &out, stderr: &errb,
		log: slog.New(slog.DiscardHandler)}
	code := run(context.Background(), e, []string{"verify", "--data", t.TempDir(), "-"})
	if code != 2 || !strings.Contains(errb.String(), "larger than") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
