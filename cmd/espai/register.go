package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/espai/espai/internal/register"
)

func registerCommands() []command {
	return []command{
		{name: "search", summary: "find citizens in the census by name or id prefix (--data DIR QUERY)", run: runRegisterSearch},
		{name: "problems", summary: "list quarantined register records (--data DIR)", run: runRegisterProblems},
	}
}

func runRegisterSearch(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai register search")
	data := fs.String("data", "./espai-data", "data directory")
	limit := fs.Int("limit", register.DefaultSearchLimit, "most results to show")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	q := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if q == "" {
		return usagef("a query is required (a name or the start of a DNI/NIE)")
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.Registers == nil {
		return errors.New("this data directory has no registers")
	}
	ms, err := a.Registers.Search(ctx, q, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tMUNICIPALITY\tWALLET")
	for _, m := range ms {
		enrolled, err := a.Wallet.Enrolled(ctx, m.ID)
		if err != nil {
			return err
		}
		w := "-"
		if enrolled {
			w = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.ID, m.Name, m.Municipality, w)
	}
	return tw.Flush()
}

func runRegisterProblems(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai register problems")
	data := fs.String("data", "./espai-data", "data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.Registers == nil {
		return errors.New("this data directory has no registers")
	}
	ps := a.Registers.Problems()
	for _, p := range ps {
		fmt.Fprintln(e.stdout, p.Error())
	}
	if len(ps) > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d quarantined record(s)", len(ps))}
	}
	fmt.Fprintln(e.stdout, "every register record is valid")
	return nil
}
