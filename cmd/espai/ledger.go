package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/datadir"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/anchor"
	"github.com/espai/espai/ledger/anchor/devchain"
	"github.com/espai/espai/ledger/ledgerhttp"
)

func ledgerCommands() []command {
	return []command{
		{name: "checkpoint", summary: "print the latest signed checkpoint", run: runLedgerCheckpoint},
		{name: "key", summary: "print the ledger's checkpoint verifier key", run: runLedgerKey},
		{name: "entry", summary: "print entry N as JSON (--data DIR N)", run: runLedgerEntry},
		{name: "prove", summary: "inclusion proof of --index in --size (JSON)", run: runLedgerProve},
		{name: "consistency", summary: "consistency proof --old to --new (JSON)", run: runLedgerConsistency},
		{name: "anchors", summary: "anchor contract and per-checkpoint anchor status (JSON)", run: runLedgerAnchors},
		{name: "verify-receipt", summary: "verify a receipt file offline (--key VKEY FILE)", run: runLedgerVerifyReceipt},
	}
}

func auditCommands() []command {
	return []command{
		{name: "verify", summary: "audit the ledger (--data DIR or --url URL [--eth-rpc URL] [--key VKEY])", run: runAuditVerify},
	}
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// withLedger opens the data directory's ledger for one command.
func withLedger(ctx context.Context, e *env, name string, args []string, flags func(fs *flagSet), fn func(l *ledger.Log, fs *flagSet) error) error {
	fs := &flagSet{FlagSet: newFlags(e, "espai ledger "+name)}
	data := fs.String("data", "./espai-data", "data directory")
	if flags != nil {
		flags(fs)
	}
	if err := parseFlags(fs.FlagSet, args); err != nil {
		return err
	}
	layout := datadir.Layout{Root: *data}
	if _, err := layout.Load(); err != nil {
		return err
	}
	l, err := ledger.OpenDir(ctx, layout, ledger.Config{Logger: e.log})
	if err != nil {
		return err
	}
	defer l.Close()
	return fn(l, fs)
}

type flagSet struct{ *flag.FlagSet }

func runLedgerCheckpoint(ctx context.Context, e *env, args []string) error {
	return withLedger(ctx, e, "checkpoint", args, nil, func(l *ledger.Log, _ *flagSet) error {
		_, err := e.stdout.Write(l.Latest().Note)
		return err
	})
}

func runLedgerKey(ctx context.Context, e *env, args []string) error {
	return withLedger(ctx, e, "key", args, nil, func(l *ledger.Log, _ *flagSet) error {
		_, err := fmt.Fprintln(e.stdout, l.VerifierKey())
		return err
	})
}

func runLedgerEntry(ctx context.Context, e *env, args []string) error {
	return withLedger(ctx, e, "entry", args, nil, func(l *ledger.Log, fs *flagSet) error {
		if fs.NArg() != 1 {
			return usagef("espai ledger entry: want one index")
		}
		i, err := strconv.ParseUint(fs.Arg(0), 10, 64)
		if err != nil {
			return usagef("espai ledger entry: index %q", fs.Arg(0))
		}
		b, err := l.Entry(ctx, i)
		if err != nil {
			return err
		}
		en, err := ledger.ParseEntry(b)
		if err != nil {
			return err
		}
		return printJSON(e, map[string]any{"index": i, "entry": en, "encoded": b})
	})
}

func runLedgerProve(ctx context.Context, e *env, args []string) error {
	var index, size *uint64
	return withLedger(ctx, e, "prove", args, func(fs *flagSet) {
		index = fs.Uint64("index", 0, "entry index")
		size = fs.Uint64("size", 0, "tree size (default: latest)")
	}, func(l *ledger.Log, _ *flagSet) error {
		if *size == 0 {
			*size = l.Latest().Size
		}
		p, err := l.InclusionProof(ctx, *index, *size)
		if err != nil {
			return err
		}
		return printJSON(e, ledgerhttp.ProofJSON{Index: *index, Size: *size, Proof: p})
	})
}

func runLedgerConsistency(ctx context.Context, e *env, args []string) error {
	var old, nw *uint64
	return withLedger(ctx, e, "consistency", args, func(fs *flagSet) {
		old = fs.Uint64("old", 0, "old tree size")
		nw = fs.Uint64("new", 0, "new tree size (default: latest)")
	}, func(l *ledger.Log, _ *flagSet) error {
		if *nw == 0 {
			*nw = l.Latest().Size
		}
		p, err := l.ConsistencyProof(ctx, *old, *nw)
		if err != nil {
			return err
		}
		return printJSON(e, ledgerhttp.ProofJSON{Old: *old, New: *nw, Proof: p})
	})
}

func runLedgerAnchors(ctx context.Context, e *env, args []string) error {
	return withLedger(ctx, e, "anchors", args, nil, func(l *ledger.Log, _ *flagSet) error {
		recs, err := l.Anchors(ctx)
		if err != nil {
			return err
		}
		out := ledgerhttp.AnchorsJSON{Records: recs}
		if c, err := l.AnchorContract(ctx); err == nil {
			out.Contract = &c
		}
		if out.Retired, err = l.RetiredAnchorContracts(ctx); err != nil {
			return err
		}
		return printJSON(e, out)
	})
}

func runLedgerVerifyReceipt(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai ledger verify-receipt")
	key := fs.String("key", "", "the ledger's verifier key (espai ledger key)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *key == "" || fs.NArg() != 1 {
		return usagef("espai ledger verify-receipt: --key VKEY FILE")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return usagef("espai ledger verify-receipt: %v", err)
	}
	r, err := ledger.ParseReceipt(b)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	en, cp, err := ledger.VerifyReceipt(r, *key)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	return printJSON(e, map[string]any{"valid": true, "index": r.Index, "tree_size": cp.Size, "entry": en})
}

func runAuditVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai audit verify")
	data := fs.String("data", "", "data directory to audit (the server must be stopped)")
	url := fs.String("url", "", "ledger API root of a running server, e.g. http://127.0.0.1:8080/ledger/v1")
	ethRPC := fs.String("eth-rpc", "", "Ethereum JSON-RPC URL to check anchors on (default with --data: the embedded dev chain)")
	key := fs.String("key", "", "pinned verifier key (default: the one the log announces)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*data == "") == (*url == "") {
		return usagef("espai audit verify: give exactly one of --data or --url")
	}
	var (
		src      ledger.AuditSource
		vkey     = *key
		contract ledger.AnchorContract
		retired  []ledger.RetiredAnchorContract
		haveC    bool
		err      error
	)
	if *data != "" {
		layout := datadir.Layout{Root: *data}
		if _, err := layout.Load(); err != nil {
			return err
		}
		f, err := ledger.OpenFileSource(layout.LedgerDB())
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
		if vkey == "" {
			if vkey, err = f.VerifierKey(); err != nil {
				return err
			}
			fmt.Fprintln(e.stderr, "espai: no --key given: trusting the key recorded in the ledger file")
		}
		contract, err = f.AnchorContract()
		haveC = err == nil
		if retired, err = f.RetiredAnchorContracts(); err != nil {
			return err
		}
		if haveC && *ethRPC == "" {
			node, err := startDevchain(ctx, layout)
			if err != nil {
				return fmt.Errorf("start the embedded chain to check anchors: %w", err)
			}
			defer node.Close()
			return auditWith(ctx, e, src, vkey, node.Client(), contract, retired)
		}
	} else {
		c := &ledgerhttp.Client{Base: *url}
		src = c
		if vkey == "" {
			if vkey, err = c.VerifierKey(ctx); err != nil {
				return err
			}
			fmt.Fprintln(e.stderr, "espai: no --key given: trusting the key the server announces")
		}
		a, err := c.Anchors(ctx)
		if err != nil {
			return err
		}
		if a.Contract != nil {
			contract, haveC = *a.Contract, true
		}
		retired = a.Retired
	}
	if haveC && *ethRPC != "" {
		client, err := ethclient.DialContext(ctx, *ethRPC)
		if err != nil {
			return err
		}
		defer client.Close()
		return auditWith(ctx, e, src, vkey, client, contract, retired)
	}
	if haveC {
		fmt.Fprintln(e.stderr, "espai: anchors not checked against a chain (pass --eth-rpc)")
	}
	return auditWith(ctx, e, src, vkey, nil, contract, retired)
}

// auditWith audits src and, when b is not nil, the anchors of the log's
// contracts (current and retired) on the chain behind b.
func auditWith(ctx context.Context, e *env, src ledger.AuditSource, vkey string, b anchor.Backend, c ledger.AnchorContract, retired []ledger.RetiredAnchorContract) error {
	var chain ledger.ChainReader
	if b != nil {
		if _, err := anchor.NewContract(ctx, b, c, nil); err != nil {
			return err // another chain, or unreachable: nothing to audit the anchors against
		}
		chain = anchor.NewAuditChain(b, c, retired)
	}
	for _, r := range retired {
		fmt.Fprintf(e.stderr, "espai: the log retired anchor contract %s on chain %d at %s: %s (%d anchors lost, last size %d)\n",
			r.Address, r.ChainID, r.Retired.Format(time.RFC3339), r.Reason, r.Lost, r.LastSize)
	}
	rep, err := ledger.Audit(ctx, src, vkey, chain)
	if rep != nil {
		if perr := printJSON(e, rep); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		return exitError{code: 1, msg: "audit failed: " + rep.FirstProblem}
	}
	return nil
}

// startDevchain starts the embedded chain of a data directory.
func startDevchain(ctx context.Context, layout datadir.Layout) (*devchain.Node, error) {
	sealer, err := atrest.LoadOrCreate(layout.MasterKey())
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(anchor.KeyFile(layout)); err != nil {
		return nil, errors.New("no anchoring key in the data directory")
	}
	k, err := anchor.LoadOrCreateKey(sealer, anchor.KeyFile(layout))
	if err != nil {
		return nil, err
	}
	return devchain.Start(ctx, devchain.Config{Dir: layout.ChainDir(), Funded: crypto.PubkeyToAddress(k.PublicKey)})
}
