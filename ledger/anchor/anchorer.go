package anchor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/espai/espai/ledger"
)

// Defaults for zero Config fields.
const (
	DefaultInterval    = 30 * time.Second
	DefaultEntries     = 1000
	DefaultPoll        = time.Second
	DefaultResendAfter = 2 * time.Minute
	DefaultMaxBackoff  = time.Minute
)

// Config says when to anchor. The zero value of every field is a usable default.
type Config struct {
	// Interval: anchor the latest checkpoint once this long has passed since
	// the previous anchor and new entries exist. Zero means DefaultInterval.
	Interval time.Duration
	// Entries: anchor as soon as this many entries are unanchored, without
	// waiting for Interval. Zero means DefaultEntries.
	Entries uint64
	// Poll is how often Run looks at the log and the chain. Zero means DefaultPoll.
	Poll time.Duration
	// ResendAfter: a pending anchor not seen on chain after this long is sent
	// again (the contract rejects duplicates); it also bounds the wait for a
	// deployment to be mined. Zero means DefaultResendAfter.
	ResendAfter time.Duration
	// MaxBackoff caps the wait between attempts while the chain is
	// unreachable. Zero means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// Embedded says the chain is the embedded dev node (package devchain),
	// private to this process. When the recorded contract has no code there,
	// the node lost its blocks (a crash before they reached the disk): Attach
	// then deploys a new contract, records the old one as retired and sends
	// the latest anchor again, where an outside node gets ErrNoContract.
	// Never set it for an outside node. False by default.
	Embedded bool
	// Now is the clock (the chain's block times run ahead on dev chains, so
	// the anchorer keeps its own). Nil means time.Now.
	Now func() time.Time
	// Logger receives operational events. Nil discards.
	Logger *slog.Logger
}

// Validate reports whether the config is usable. It is nil-safe.
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("anchor: nil config")
	}
	if c.Interval < 0 || c.Poll < 0 || c.ResendAfter < 0 || c.MaxBackoff < 0 {
		return errors.New("anchor: config: durations must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Entries == 0 {
		c.Entries = DefaultEntries
	}
	if c.Poll == 0 {
		c.Poll = DefaultPoll
	}
	if c.ResendAfter == 0 {
		c.ResendAfter = DefaultResendAfter
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Chain is what the Anchorer needs from the anchoring contract (*Contract).
// Errors wrapping ErrChainUnavailable are retried. Find returns anchors of
// the canonical chain only: one whose block was dropped is not found.
type Chain interface {
	Send(ctx context.Context, root ledger.Hash, size uint64) (txHash string, err error)
	Find(ctx context.Context, size uint64) (ledger.ChainAnchor, bool, error)
	Finalized(ctx context.Context) (uint64, error)
}

// rangeReader is the optional capability of a Chain that lists the anchors
// of the blocks from a given one to the head in one request (*Contract): the
// Anchorer then re-checks all its included records with one request a step.
type rangeReader interface {
	AnchorsFrom(ctx context.Context, from uint64) ([]ledger.ChainAnchor, error)
}

// Anchorer states, as Status.State reports them.
const (
	StateConnecting = "connecting" // not attached to the chain yet: the node is unreachable or the deployment not mined
	StateAnchoring  = "anchoring"  // attached
	StateStopped    = "stopped"    // the node serves another chain or lacks the contract: Status.LastError says which
)

// Anchorer anchors the log's checkpoints on a chain, asynchronously: appends
// never wait for it. Its state lives in the log's anchor records, so a restart
// resumes where it stopped and nothing is lost while the chain is down.
type Anchorer struct {
	log     *ledger.Log
	cfg     Config
	started time.Time
	// conn attaches to the chain (Attach); nil for an Anchorer made by New,
	// which is attached from the start.
	conn *connector

	mu        sync.Mutex
	chain     Chain // nil while detached
	contract  ledger.AnchorContract
	lastErr   string
	lastErrAt time.Time
	failures  int
	stopped   bool
}

// New returns an Anchorer attached to chain, whose contract is contract;
// call Run. Attach is the way to start one on a node.
func New(l *ledger.Log, chain Chain, contract ledger.AnchorContract, cfg Config) (*Anchorer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if l == nil || chain == nil {
		return nil, errors.New("anchor: nil log or chain")
	}
	cfg = cfg.withDefaults()
	return &Anchorer{log: l, chain: chain, cfg: cfg, contract: contract, started: cfg.Now()}, nil
}

// Run steps every Poll until ctx ends, backing off while the chain fails. It
// returns an error wrapping ErrWrongChain or ErrNoContract when the node,
// once it answers, serves another chain or lacks the recorded contract:
// anchoring stops rather than send anything there (the log goes on).
func (a *Anchorer) Run(ctx context.Context) error {
	wait := a.cfg.Poll
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		// A node that never answers (a dropped connection without a reset)
		// must not stall anchoring: a step gets twice ResendAfter, the bound
		// of the longest wait in it (a deployment being mined).
		sctx, cancel := context.WithTimeout(ctx, 2*a.cfg.ResendAfter)
		err := a.Step(sctx)
		cancel()
		a.mu.Lock()
		attached := a.chain != nil
		if err != nil && ctx.Err() == nil {
			a.failures++
			a.lastErr, a.lastErrAt = err.Error(), a.cfg.Now()
			var ae *attachError
			if errors.As(err, &ae) && permanent(err) {
				a.stopped = true
				a.mu.Unlock()
				a.cfg.Logger.ErrorContext(ctx, "anchoring stopped: fix the Ethereum node or --eth-rpc and restart", "err", err)
				return err
			}
			a.cfg.Logger.WarnContext(ctx, "anchoring step failed", "err", err, "failures", a.failures, "attached", attached)
			wait = min(a.cfg.Poll<<min(a.failures, 10), a.cfg.MaxBackoff)
		} else {
			if err == nil && a.failures > 0 {
				a.cfg.Logger.InfoContext(ctx, "anchoring resumed", "after_failures", a.failures)
			}
			a.failures, wait = 0, a.cfg.Poll
		}
		a.mu.Unlock()
	}
}

// permanent reports whether an attach error must stop anchoring.
func permanent(err error) bool {
	return errors.Is(err, ErrWrongChain) || errors.Is(err, ErrNoContract)
}

// attachError is a failure to attach to the chain (Step's first part).
type attachError struct{ err error }

func (e *attachError) Error() string { return e.err.Error() }
func (e *attachError) Unwrap() error { return e.err }

// Step runs one round: it attaches to the chain if needed, advances the
// status of recorded anchors (pending -> included -> final, and included ->
// pending again when the anchor left the chain) and anchors the latest
// checkpoint when Interval or Entries says so. Tests call it directly.
func (a *Anchorer) Step(ctx context.Context) error {
	chain, err := a.attached(ctx)
	if err != nil {
		return &attachError{err}
	}
	if err := a.step(ctx, chain); err != nil {
		if a.conn != nil && (errors.Is(err, ErrChainUnavailable) || errors.Is(err, ErrNoContract)) {
			// The node failed: attach again before the next round, which
			// checks its chain id and the contract and reconciles the
			// records with what it holds (it may have restarted).
			a.mu.Lock()
			a.chain = nil
			a.mu.Unlock()
		}
		return err
	}
	return nil
}

func (a *Anchorer) step(ctx context.Context, chain Chain) error {
	recs, err := a.log.Anchors(ctx)
	if err != nil {
		return err
	}
	now := a.cfg.Now()
	if err := a.checkIncluded(ctx, chain, recs, now); err != nil {
		return err
	}
	var last *ledger.AnchorRecord // newest record still in force
	inFlight := false
	for i := range recs {
		r := &recs[i]
		if r.Status == ledger.AnchorPending {
			if err := a.advancePending(ctx, chain, r, now); err != nil {
				return err
			}
			if r.Status == ledger.AnchorPending {
				inFlight = true
			}
		}
		if r.Status != ledger.AnchorFailed && r.Status != ledger.AnchorLost {
			last = r
		}
	}
	if inFlight {
		return nil
	}
	latest := a.log.Latest()
	var anchored uint64
	lastAt := a.started // the first anchor waits Interval from start, like every other
	if last != nil {
		anchored, lastAt = last.Size, last.Created
	}
	if latest.Size <= anchored || (latest.Size-anchored < a.cfg.Entries && now.Sub(lastAt) < a.cfg.Interval) {
		return nil
	}
	r := ledger.AnchorRecord{Size: latest.Size, Root: latest.Root, Status: ledger.AnchorPending, Created: now, Updated: now}
	// Record first, then send: a crash in between leaves a pending record
	// that the next Step sends (or finds on chain).
	if err := a.log.PutAnchor(ctx, r); err != nil {
		return err
	}
	return a.send(ctx, chain, &r, now)
}

// checkIncluded looks for every included record's anchor on the chain (the
// canonical chain: a reorg drops the logs of the blocks it replaces). Found
// in a block at or below the finalized block, the record is final; found in
// another block or transaction (re-mined after a reorg), it is updated; not
// found, it is pending again with no transaction, so advancePending sends it
// at once. The finalized height is read before the chain is searched, so an
// anchor found at or below it is in a finalized block.
func (a *Anchorer) checkIncluded(ctx context.Context, chain Chain, recs []ledger.AnchorRecord, now time.Time) error {
	var from uint64 // lowest block of an included record
	n := 0
	for _, r := range recs {
		if r.Status == ledger.AnchorIncluded {
			if n == 0 || r.Block < from {
				from = r.Block
			}
			n++
		}
	}
	if n == 0 {
		return nil
	}
	fin, err := chain.Finalized(ctx)
	if err != nil {
		return err
	}
	var seen map[uint64]ledger.ChainAnchor
	if rr, ok := chain.(rangeReader); ok {
		on, err := rr.AnchorsFrom(ctx, from)
		if err != nil {
			return err
		}
		seen = make(map[uint64]ledger.ChainAnchor, len(on))
		for _, c := range on {
			seen[c.Size] = c
		}
	}
	for i := range recs {
		r := &recs[i]
		if r.Status != ledger.AnchorIncluded {
			continue
		}
		on, found := seen[r.Size]
		if !found { // not read yet, or re-mined below from
			if on, found, err = chain.Find(ctx, r.Size); err != nil {
				return err
			}
		}
		switch {
		case !found:
			a.cfg.Logger.WarnContext(ctx, "anchor left the chain (its block was dropped); sending it again",
				"size", r.Size, "block", r.Block, "tx", r.TxHash)
			r.LastError = fmt.Sprintf("anchor dropped from block %d: sent again", r.Block)
			r.Status, r.Block, r.TxHash, r.Updated = ledger.AnchorPending, 0, "", now
		case on.Root != r.Root:
			r.Status, r.LastError, r.Updated = ledger.AnchorFailed, "the chain holds another root for this size", now
			a.cfg.Logger.ErrorContext(ctx, "chain holds another root for an anchored size", "size", r.Size)
		default:
			changed := on.Block != r.Block || on.TxHash != r.TxHash
			if changed {
				a.cfg.Logger.InfoContext(ctx, "anchor moved to another block", "size", r.Size, "from", r.Block, "block", on.Block, "tx", on.TxHash)
				r.Block, r.TxHash, r.Updated = on.Block, on.TxHash, now
			}
			if on.Block <= fin {
				r.Status, r.Updated = ledger.AnchorFinal, now
			} else if !changed {
				continue
			}
		}
		if err := a.log.PutAnchor(ctx, *r); err != nil {
			return err
		}
	}
	return nil
}

func (a *Anchorer) advancePending(ctx context.Context, chain Chain, r *ledger.AnchorRecord, now time.Time) error {
	on, found, err := chain.Find(ctx, r.Size)
	if err != nil {
		return err
	}
	switch {
	case found && on.Root == r.Root:
		r.Status, r.Block, r.TxHash, r.Updated, r.LastError = ledger.AnchorIncluded, on.Block, on.TxHash, now, ""
		a.cfg.Logger.InfoContext(ctx, "checkpoint anchored", "size", r.Size, "block", on.Block, "tx", on.TxHash)
		return a.log.PutAnchor(ctx, *r)
	case found:
		// Someone anchored another root for this size: evidence of a fork.
		r.Status, r.LastError, r.Updated = ledger.AnchorFailed, "the chain holds another root for this size", now
		a.cfg.Logger.ErrorContext(ctx, "chain holds another root for an anchored size", "size", r.Size)
		return a.log.PutAnchor(ctx, *r)
	case r.TxHash == "" || now.Sub(r.Updated) >= a.cfg.ResendAfter:
		return a.send(ctx, chain, r, now)
	}
	return nil
}

func (a *Anchorer) send(ctx context.Context, chain Chain, r *ledger.AnchorRecord, now time.Time) error {
	r.Attempts++
	r.Updated = now
	tx, err := chain.Send(ctx, r.Root, r.Size)
	if err != nil {
		r.LastError = err.Error()
		if perr := a.log.PutAnchor(ctx, *r); perr != nil {
			return perr
		}
		return fmt.Errorf("anchor size %d: %w", r.Size, err)
	}
	r.TxHash, r.LastError = tx, ""
	return a.log.PutAnchor(ctx, *r)
}

// Status is the anchorer's view for operators and the HTTP API.
type Status struct {
	// State is StateConnecting, StateAnchoring or StateStopped.
	State       string                `json:"state"`
	Contract    ledger.AnchorContract `json:"contract"`
	Pending     int                   `json:"pending"`
	Included    int                   `json:"included"`
	Final       int                   `json:"final"`
	Failed      int                   `json:"failed"`
	Lost        int                   `json:"lost,omitempty"`
	Latest      *ledger.AnchorRecord  `json:"latest,omitempty"`
	LastError   string                `json:"last_error,omitempty"`
	LastErrorAt time.Time             `json:"last_error_at,omitzero"`
}

// Status counts the anchor records and reports the last chain error.
func (a *Anchorer) Status(ctx context.Context) (Status, error) {
	recs, err := a.log.Anchors(ctx)
	if err != nil {
		return Status{}, err
	}
	var s Status
	for i, r := range recs {
		switch r.Status {
		case ledger.AnchorPending:
			s.Pending++
		case ledger.AnchorIncluded:
			s.Included++
		case ledger.AnchorFinal:
			s.Final++
		case ledger.AnchorFailed:
			s.Failed++
		case ledger.AnchorLost:
			s.Lost++
		}
		s.Latest = &recs[i]
	}
	a.mu.Lock()
	s.Contract, s.LastError, s.LastErrorAt = a.contract, a.lastErr, a.lastErrAt
	switch {
	case a.stopped:
		s.State = StateStopped
	case a.chain == nil:
		s.State = StateConnecting
	default:
		s.State = StateAnchoring
	}
	a.mu.Unlock()
	if s.Contract == (ledger.AnchorContract{}) { // not attached yet: the recorded one, if any
		if c, err := a.log.AnchorContract(ctx); err == nil {
			s.Contract = c
		}
	}
	return s, nil
}
