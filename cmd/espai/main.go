// Command espai is the single Espai binary: the server and every administrative
// and citizen-side tool, as subcommands. Run `espai help` for the list.
//
// Flags and environment are read only here; packages take plain Config structs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand, or a group of them when sub is set.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
	sub     []command
}

// env is what every command gets: where to write, and the logger.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// commands is the whole command tree. Each group lives in its own file.
func commands() []command {
	return []command{
		{name: "serve", summary: "start the HTTP server (citizen space, issuer, verifier, ledger APIs)", run: runServe},
		{name: "init", summary: "prepare a data directory (with --demo: demo registers and citizens)", run: runInit},
		{name: "issue", summary: "issue a credential from the registers (--type --citizen --format [--deliver])", run: runIssue},
		{name: "verify", summary: "verify a credential, or a presentation with --nonce and --aud (JSON verdict; exit 1 when invalid)", run: runVerify},
		{name: "wallet", summary: "citizen wallet: enrol, list, show, present, receipts, activity, passwd, recover, export, import, erase", sub: walletCommands()},
		{name: "verifier", summary: "presentation requests and QR scans: request, show, scan, purposes", sub: verifierCommands()},
		{name: "register", summary: "Via Oberta registers: search citizens, list quarantined records", sub: registerCommands()},
		{name: "ledger", summary: "transparency ledger: checkpoint, key, entry, prove, consistency, anchors, verify-receipt", sub: ledgerCommands()},
		{name: "audit", summary: "audit verify: recompute the ledger, check checkpoints and chain anchors", sub: auditCommands()},
		{name: "issuer", summary: "issuer administration: list, revoke, suspend, reinstate, rotate-key, admins, onboard", sub: issuerCommands()},
		{name: "staff", summary: "staff accounts: add, list, disable, enable, roles, reset-password, token", sub: staffCommands()},
	}
}

// usageError makes the process exit 2: bad flags, unknown subcommand, unreadable input.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// exitError carries a specific exit status with an optional message for stderr.
type exitError struct {
	code int
	msg  string
}

func (x exitError) Error() string { return x.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		log:    slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Args[1:])})),
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// logLevel is ESPAI_LOG_LEVEL when set; otherwise info for the server and
// warn for one-shot commands, whose output is their stdout.
func logLevel(args []string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("ESPAI_LOG_LEVEL"))); err == nil {
		return l
	}
	if len(args) > 0 && args[0] == "serve" {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}

// run dispatches args to a command and maps its error to an exit status:
// 0 success, 1 failure (including an invalid verdict), 2 bad usage.
func run(ctx context.Context, e *env, args []string) int {
	err := dispatch(ctx, e, commands(), "espai", args)
	if err == nil {
		return 0
	}
	var ue usageError
	var xe exitError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "espai: %s\n", ue.msg)
		return 2
	case errors.As(err, &xe):
		if xe.msg != "" {
			fmt.Fprintf(e.stderr, "espai: %s\n", xe.msg)
		}
		return xe.code
	default:
		fmt.Fprintf(e.stderr, "espai: %s\n", oneLine(err.Error()))
		return 1
	}
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

func dispatch(ctx context.Context, e *env, cmds []command, path string, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(e.stdout, path, cmds)
		if len(args) == 0 {
			return usagef("%s: missing subcommand", path)
		}
		return nil
	}
	for _, c := range cmds {
		if c.name != args[0] {
			continue
		}
		if c.sub != nil {
			return dispatch(ctx, e, c.sub, path+" "+c.name, args[1:])
		}
		return c.run(ctx, e, args[1:])
	}
	return usagef("%s: unknown subcommand %q (try %s help)", path, args[0], path)
}

func printHelp(w io.Writer, path string, cmds []command) {
	fmt.Fprintf(w, "usage: %s <command> [flags]\n\ncommands:\n", path)
	sorted := append([]command(nil), cmds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	width := 0
	for _, c := range sorted {
		width = max(width, len(c.name))
	}
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}
