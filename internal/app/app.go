// Package app composes Espai's domain services (issuer, wallet, ledger,
// verifier) into the flows that span them: issue and deliver into a wallet,
// verify a presentation and record it on the ledger, answer a Via Oberta
// exchange. The CLI and the HTTP layer both call these flows, so a credential
// issued from the command line is recorded exactly like one issued over HTTP.
//
// An App owns one data directory (internal/datadir). Each domain service owns
// its own bbolt file; App only wires them together.
//
// # Security properties
//
//   - Credentials are delivered encrypted to the citizen's wallet key (JWE);
//     App never stores a plaintext credential outside the wallet.
//   - Every issuance and status change is appended to the ledger under the
//     citizen's per-administration pseudonym, with a salted commitment to the
//     receipt document; the document and salt go to the citizen's wallet only.
//   - Credentials taken out of a wallet inbox are verified with the same
//     Checker a verifier uses (signature, DID key, trust list, validity,
//     status, holder binding).
//
// # Caveats
//
//   - A crash between issuing and delivering leaves an issued, undelivered
//     credential (its status index is allocated); issuing again is safe.
//   - The demo seed (Options.Demo) enrols the demo citizens with passphrases
//     that are public: never use it for a real deployment.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/datadir"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/mail"
	"github.com/espai/espai/internal/mfa"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
)

// DefaultPublicBase is where a default `espai serve` is reachable.
const DefaultPublicBase = "http://127.0.0.1:8080"

// Options say which data directory to open and how.
type Options struct {
	// Root is the data directory. Required.
	Root string
	// DIDDomain is used only when the directory is created. Empty: datadir.DefaultDIDDomain.
	DIDDomain string
	// Demo loads the demo registers, enrols the demo citizens and issues
	// them their credentials, once, when the directory has no registers yet.
	Demo bool
	// Create initialises the directory when it does not exist; otherwise a
	// missing directory is datadir.ErrNotInitialised.
	Create bool
	// PublicBase is the URL wallets and browsers reach this deployment at
	// (request_uri, response_uri). Empty: DefaultPublicBase.
	PublicBase string
	// Wallet tunes the wallet (tests use cheap Argon2id parameters). Zero:
	// production defaults.
	Wallet wallet.Config
	// Now is the clock of every service. Nil: time.Now.
	Now func() time.Time
	// Log is the structured logger; nil discards.
	Log *slog.Logger
}

// App is an opened data directory with its services.
type App struct {
	// requestHosts are hosts besides verifiers' own where request objects
	// may be fetched (AllowRequestHost).
	requestHostsMu sync.Mutex
	requestHosts   map[string]bool

	Layout   datadir.Layout
	Settings datadir.Settings
	// Registers are the Via Oberta registers; nil when the directory has none
	// (then nothing can be issued).
	Registers *register.Files
	Issuer    *issuer.Service
	Wallet    *wallet.Wallet
	Ledger    *ledger.Log
	Verifier  *verifier.Service
	Checker   *verifier.Checker
	Trust     *TrustSource
	Staff     *staff.Store
	// Tracking keeps the state of procedures and notifications.
	Tracking *tracking.Store
	// MFA keeps citizens' optional second factors.
	MFA *mfa.Store
	// Mail queues alert e-mails; nil when SMTP is not configured.
	Mail Mailer
	// Resolver resolves this deployment's did:web administrations and did:key holders.
	Resolver did.Resolver

	log    *slog.Logger
	outbox *mail.Outbox
	owed   *owedStore
	// receiptsOK remembers receipt bundles already verified (verifiedEntry).
	receiptsMu sync.Mutex
	receiptsOK map[[32]byte]*ledger.Entry
	now        func() time.Time
	publicBase string
	sealer     *atrest.Sealer
	closers    []func() error
}

// Open opens (and with Create, initialises) a data directory.
func Open(ctx context.Context, o Options) (*App, error) {
	if o.Root == "" {
		return nil, errors.New("app: data directory is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PublicBase == "" {
		o.PublicBase = DefaultPublicBase
	}
	o.PublicBase = strings.TrimRight(o.PublicBase, "/")
	var (
		layout   datadir.Layout
		settings datadir.Settings
		err      error
	)
	if o.Create {
		layout, settings, err = datadir.Create(o.Root, datadir.Settings{DIDDomain: o.DIDDomain, Demo: o.Demo})
	} else {
		layout = datadir.Layout{Root: o.Root}
		settings, err = layout.Load()
	}
	if err != nil {
		return nil, err
	}
	sealer, err := atrest.LoadOrCreate(layout.MasterKey())
	if err != nil {
		return nil, err
	}
	a := &App{Layout: layout, Settings: settings, log: o.Log, now: o.Now, sealer: sealer, publicBase: o.PublicBase}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	seedDemo := o.Demo && !registersPresent(layout)
	if seedDemo {
		if err := writeDemoRegisters(layout, o.Now()); err != nil {
			return nil, err
		}
	}
	if registersPresent(layout) {
		if a.Registers, err = register.Open(layout.RegistersDir()); err != nil {
			return nil, err
		}
		if n := len(a.Registers.Problems()); n > 0 {
			o.Log.Warn("register records quarantined: nothing is issued from them", "count", n)
		}
	} else {
		o.Log.Warn("no registers in the data directory: issuing is disabled", "dir", layout.RegistersDir())
	}
	var regs issuer.Registers
	if a.Registers != nil {
		regs = issuer.RegistersFrom(a.Registers)
	}
	a.Issuer, err = issuer.Open(layout.IssuerDB(), issuer.Config{DIDDomain: settings.DIDDomain, Now: o.Now}, sealer, regs)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Issuer.Close)
	for _, adm := range StandardAdministrations() {
		if err := a.Issuer.Onboard(ctx, adm); err != nil {
			return nil, fmt.Errorf("onboard %s: %w", adm.ID, err)
		}
	}
	a.Resolver = did.Methods{Web: a.Issuer}
	a.Trust = NewTrustSource(a.Issuer, o.Now)
	ld, err := jsonld.NewProcessor()
	if err != nil {
		return nil, err
	}
	a.Checker = &verifier.Checker{
		Resolver: a.Resolver,
		Trust:    a.Trust,
		Status:   verifier.NewStatusCache(localStatus{a.Issuer}, 0, o.Now),
		LD:       ld,
		Now:      o.Now,
	}
	wcfg := o.Wallet
	if wcfg.Now == nil {
		wcfg.Now = o.Now
	}
	if wcfg.Log == nil {
		wcfg.Log = o.Log
	}
	a.Wallet, err = wallet.Open(ctx, layout.WalletDB(), sealer, walletChecker{a.Checker}, wcfg)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Wallet.Close)
	a.Ledger, err = ledger.OpenDir(ctx, layout, ledger.Config{Now: o.Now, Logger: o.Log})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Ledger.Close)
	if a.owed, err = openOwed(layout.OwedDB(), sealer, o.Now); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.owed.close)
	// Receipts a crash or a full disk kept from their wallets.
	if _, _, err := a.settleOwed(ctx); err != nil {
		o.Log.Warn("owed receipts not all delivered: the sweep retries", "err", err.Error())
	}
	a.Verifier, err = verifier.Open(layout.VerifierDB(), verifier.Config{PublicBase: o.PublicBase, DIDDomain: settings.DIDDomain, Now: o.Now,
		ScanReceipts: qrScanHook{a}}, a.Issuer, a.Checker, a.Ledger)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Verifier.Close)
	a.Staff, err = staff.Open(layout.WebDB())
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Staff.Close)
	a.Tracking, err = tracking.Open(layout.TrackingDB(), o.Now)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.Tracking.Close)
	a.MFA, err = mfa.Open(layout.MFADB(), sealer, o.Now)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.MFA.Close)
	if seedDemo {
		if err := a.seedDemo(ctx); err != nil {
			return nil, fmt.Errorf("demo data: %w", err)
		}
	}
	ok = true
	return a, nil
}

// Close closes every service, last opened first.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// PublicBase is the URL wallets and browsers reach this deployment at.
func (a *App) PublicBase() string { return a.publicBase }

// Sealer is the deployment's at-rest sealer (for services started beside
// the App, such as the ledger anchorer's key).
func (a *App) Sealer() *atrest.Sealer { return a.sealer }

func registersPresent(l datadir.Layout) bool {
	_, err := os.Stat(filepath.Join(l.RegistersDir(), register.SourceCensus.File()))
	return err == nil
}
