package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/mail"
	"github.com/espai/espai/internal/web"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/ledger/anchor"
	"github.com/espai/espai/ledger/anchor/devchain"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "espai serve")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	data := fs.String("data", "./espai-data", "data directory (created on first run)")
	demo := fs.Bool("demo", false, "load the demo registers and enrol the demo citizens on first run")
	publicBase := fs.String("public-url", "", "URL wallets and browsers reach this server at (default http://ADDR)")
	ethRPC := fs.String("eth-rpc", "", "Ethereum JSON-RPC URL to anchor on (default: the embedded dev node in DATA/chain)")
	ethKey := fs.String("eth-key", "", "hex private key file of the anchoring account (required with --eth-rpc)")
	interval := fs.Duration("anchor-interval", anchor.DefaultInterval, "anchor the latest checkpoint at least this often when there are new entries")
	entries := fs.Uint64("anchor-entries", anchor.DefaultEntries, "anchor as soon as this many entries are unanchored")
	proxies := fs.String("trusted-proxy", "", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (default: none; the peer is the client)")
	requestHosts := fs.String("request-host", "", "comma-separated host[:port]s besides verifiers' own did:web hosts where wallets may fetch request objects (a federation's verifier gateway)")
	noAnchor := fs.Bool("no-anchor", false, "do not anchor the ledger on Ethereum (entries are still logged and checkpointed)")
	var smtp mail.Config
	fs.StringVar(&smtp.Addr, "smtp-addr", "", "SMTP relay host:port for alert e-mails (default: alerts are shown in the citizen's space only)")
	fs.StringVar(&smtp.From, "smtp-from", "", "sender address of alert e-mails (required with --smtp-addr)")
	fs.StringVar(&smtp.Username, "smtp-user", "", "SMTP user (password from ESPAI_SMTP_PASSWORD); requires TLS")
	fs.StringVar(&smtp.TLS, "smtp-tls", mail.TLSStartTLS, "starttls, tls (implicit, port 465) or none (loopback relays only)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	smtp.Password = os.Getenv("ESPAI_SMTP_PASSWORD")
	if (*ethRPC == "") != (*ethKey == "") {
		return usagef("--eth-rpc and --eth-key go together")
	}
	if *publicBase == "" {
		*publicBase = "http://" + *addr
	}
	var trusted []string
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			trusted = append(trusted, p)
		}
	}
	if err := web.ValidateTrustedProxies(trusted); err != nil {
		return usagef("--trusted-proxy: %v", err)
	}
	var gateways []string
	for _, h := range strings.Split(*requestHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			if strings.ContainsAny(h, "/ ") {
				return usagef("--request-host %q: a host[:port], not a URL", h)
			}
			gateways = append(gateways, h)
		}
	}
	a, err := app.Open(ctx, app.Options{Root: *data, Demo: *demo, Create: true, PublicBase: *publicBase, Log: e.log})
	if err != nil {
		return err
	}
	defer a.Close()
	for _, h := range gateways {
		a.AllowRequestHost(h)
	}
	if smtp.Addr != "" {
		if err := a.AttachMail(smtp); err != nil {
			return usagef("alert e-mail: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var anchors *anchorStatus
	if !*noAnchor {
		an, stop, err := startAnchoring(ctx, e, a, *ethRPC, *ethKey, anchor.Config{Interval: *interval, Entries: *entries, Logger: e.log})
		if err != nil {
			return fmt.Errorf("ledger anchoring: %w", err)
		}
		defer stop()
		anchors = &anchorStatus{an}
		go func() {
			// Run returns an error only when the node serves another chain or
			// lacks the contract; the ledger goes on, /ledger/anchors says "stopped".
			if err := an.Run(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("anchorer stopped", "err", err)
			}
		}()
	}
	cfg := web.Config{App: a, Staff: a.Staff, Log: e.log, TrustedProxies: trusted}
	if anchors != nil {
		cfg.Anchors = anchors
	}
	handler := web.New(cfg)
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				handler.Sweep()
				if err := a.Sweep(ctx); err != nil {
					e.log.Error("periodic work failed", "err", err)
				}
			}
		}
	}()
	srv := &http.Server{Addr: *addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	e.log.Info("espai listening", "addr", *addr, "public_url", *publicBase, "data", a.Layout.Root)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancelShutdown := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("espai stopped")
	return nil
}

// startAnchoring connects the ledger's anchorer to the embedded dev node
// (persisted in DATA/chain, funded for the data directory's anchoring key) or
// to an outside node. An outside node that cannot be reached does not stop
// the server: the anchorer attaches as soon as it answers. One that answers
// with another chain, or without the recorded contract, does.
func startAnchoring(ctx context.Context, e *env, a *app.App, rpc, keyFile string, cfg anchor.Config) (*anchor.Anchorer, func(), error) {
	if rpc == "" {
		key, err := anchor.LoadOrCreateKey(a.Sealer(), anchor.KeyFile(a.Layout))
		if err != nil {
			return nil, nil, err
		}
		node, err := devchain.Start(ctx, devchain.Config{Dir: a.Layout.ChainDir(), Funded: crypto.PubkeyToAddress(key.PublicKey)})
		if err != nil {
			return nil, nil, err
		}
		e.log.Info("embedded Ethereum dev node started", "dir", a.Layout.ChainDir(), "durable", node.Durable())
		if !node.Durable() {
			e.log.Warn("the embedded chain predates durable storage: a crash (SIGKILL, power loss) can lose its recent blocks; "+
				"the anchorer then deploys a new contract and anchors again", "dir", a.Layout.ChainDir())
		}
		cfg.Embedded = true
		an, err := anchor.Attach(ctx, a.Ledger, node.Client(), key, cfg)
		if err != nil {
			node.Close()
			return nil, nil, err
		}
		return an, func() { node.Close() }, nil
	}
	key, err := anchor.ReadHexKeyFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	var (
		mu     sync.Mutex
		client *ethclient.Client
	)
	dial := func(ctx context.Context) (anchor.Backend, error) {
		c, err := ethclient.DialContext(ctx, rpc) // HTTP dials lazily; a websocket reconnects by itself once dialed
		if err != nil {
			return nil, err
		}
		mu.Lock()
		client = c
		mu.Unlock()
		return c, nil
	}
	stop := func() {
		mu.Lock()
		defer mu.Unlock()
		if client != nil {
			client.Close()
		}
	}
	an, err := anchor.AttachDial(ctx, a.Ledger, dial, key, cfg)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return an, stop, nil
}

// anchorStatus adapts the anchorer to ledgerhttp.AnchorStatus.
type anchorStatus struct{ a *anchor.Anchorer }

func (s *anchorStatus) Status(ctx context.Context) (any, error) { return s.a.Status(ctx) }

// AnchoredOnChain lets the auditor console's "verify now" read the anchors
// back from the chain.
func (s *anchorStatus) AnchoredOnChain(ctx context.Context) ([]ledger.ChainAnchor, error) {
	return s.a.AnchoredOnChain(ctx)
}
