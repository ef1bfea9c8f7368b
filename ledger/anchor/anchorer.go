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
	// again (the contract rejects duplicates). Zero means DefaultResendAfter.
	ResendAfter time.Duration
	// MaxBackoff caps the wait between attempts while the chain is
	// unreachable. Zero means DefaultMaxBackoff.
	MaxBackoff time.Duration
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
// Errors wrapping ErrChainUnavailable are retried.
type Chain interface {
	Send(ctx context.Context, root ledger.Hash, size uint64) (txHash string, err error)
	Find(ctx context.Context, size uint64) (ledger.ChainAnchor, bool, error)
	Finalized(ctx context.Context) (uint64, error)
}

// Anchorer anchors the log's checkpoints on a chain, asynchronously: appends
// never wait for it. Its state lives in the log's anchor records, so a restart
// resumes where it stopped and nothing is lost while the chain is down.
type Anchorer struct {
	log      *ledger.Log
	chain    Chain
	cfg      Config
	contract ledger.AnchorContract
	started  time.Time

	mu        sync.Mutex
	lastErr   string
	lastErrAt time.Time
	failures  int
}

// New returns an Anchorer; call Run.
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

// Run steps every Poll until ctx ends, backing off while the chain fails.
func (a *Anchorer) Run(ctx context.Context) error {
	wait := a.cfg.Poll
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		err := a.Step(ctx)
		a.mu.Lock()
		if err != nil && ctx.Err() == nil {
			a.failures++
			a.lastErr, a.lastErrAt = err.Error(), a.cfg.Now()
			a.cfg.Logger.WarnContext(ctx, "anchoring step failed", "err", err, "failures", a.failures)
			wait = min(a.cfg.Poll<<min(a.failures, 10), a.cfg.MaxBackoff)
		} else {
			a.failures, wait = 0, a.cfg.Poll
		}
		a.mu.Unlock()
	}
}

// Step runs one round: it advances the status of recorded anchors
// (pending -> included -> final) and anchors the latest checkpoint when
// Interval or Entries says so. Tests call it directly.
func (a *Anchorer) Step(ctx context.Context) error {
	recs, err := a.log.Anchors(ctx)
	if err != nil {
		return err
	}
	now := a.cfg.Now()
	var last *ledger.AnchorRecord // newest non-failed record
	inFlight := false
	var fin uint64
	finKnown := false
	for i := range recs {
		r := &recs[i]
		switch r.Status {
		case ledger.AnchorPending:
			if err := a.advancePending(ctx, r, now); err != nil {
				return err
			}
			if r.Status == ledger.AnchorPending {
				inFlight = true
			}
		}
		if r.Status == ledger.AnchorIncluded {
			if !finKnown {
				if fin, err = a.chain.Finalized(ctx); err != nil {
					return err
				}
				finKnown = true
			}
			if r.Block <= fin {
				r.Status, r.Updated = ledger.AnchorFinal, now
				if err := a.log.PutAnchor(ctx, *r); err != nil {
					return err
				}
			}
		}
		if r.Status != ledger.AnchorFailed {
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
	return a.send(ctx, &r, now)
}

func (a *Anchorer) advancePending(ctx context.Context, r *ledger.AnchorRecord, now time.Time) error {
	on, found, err := a.chain.Find(ctx, r.Size)
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
		return a.send(ctx, r, now)
	}
	return nil
}

func (a *Anchorer) send(ctx context.Context, r *ledger.AnchorRecord, now time.Time) error {
	r.Attempts++
	r.Updated = now
	tx, err := a.chain.Send(ctx, r.Root, r.Size)
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
	Contract    ledger.AnchorContract `json:"contract"`
	Pending     int                   `json:"pending"`
	Included    int                   `json:"included"`
	Final       int                   `json:"final"`
	Failed      int                   `json:"failed"`
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
	s := Status{Contract: a.contract}
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
		}
		s.Latest = &recs[i]
	}
	a.mu.Lock()
	s.LastError, s.LastErrorAt = a.lastErr, a.lastErrAt
	a.mu.Unlock()
	return s, nil
}
