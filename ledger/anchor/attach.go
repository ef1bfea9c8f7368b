package anchor

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/espai/espai/ledger"
)

// attachTimeout bounds AttachDial's attempt: a node that does not answer
// (a dropped connection, a deployment not mined yet) must not hold up the
// caller, which goes on while Run attaches.
const attachTimeout = 30 * time.Second

// Dial connects to an Ethereum node. AttachDial calls it until it succeeds
// once, then keeps the Backend (a JSON-RPC client reconnects by itself).
type Dial func(ctx context.Context) (Backend, error)

// Attach returns an Anchorer for log l on the chain behind b, sending with
// key; call Run on it. See AttachDial.
func Attach(ctx context.Context, l *ledger.Log, b Backend, key *ecdsa.PrivateKey, cfg Config) (*Anchorer, error) {
	if b == nil {
		return nil, errors.New("anchor: nil backend")
	}
	return AttachDial(ctx, l, func(context.Context) (Backend, error) { return b, nil }, key, cfg)
}

// AttachDial returns an Anchorer for log l on the node dial reaches, sending
// with key; call Run on it.
//
// Attaching means: finish a recorded deployment (sending the same signed
// transaction again), or deploy the contract the first time (no contract
// recorded in the log); otherwise check that the node serves the recorded
// contract's chain (ErrWrongChain) and holds its code (ErrNoContract; on the
// embedded dev chain, Config.Embedded, a new contract replaces the lost one);
// then check the log's included anchors (on the embedded chain the final ones
// too) against the chain and send again those it no longer holds.
//
// AttachDial tries once, for at most 30 s (or ResendAfter if shorter). When
// the node cannot be reached in that time (ErrChainUnavailable) it still
// returns the Anchorer, which logs a warning and attaches in Run,
// with backoff, as soon as the node answers: an Ethereum outage delays
// anchoring and never stops the log. Any other error is returned; Run stops
// with ErrWrongChain or ErrNoContract if the node, once it answers, serves
// another chain or lacks the contract.
func AttachDial(ctx context.Context, l *ledger.Log, dial Dial, key *ecdsa.PrivateKey, cfg Config) (*Anchorer, error) {
	if key == nil {
		return nil, errors.New("anchor: a sending key is required")
	}
	if l == nil || dial == nil {
		return nil, errors.New("anchor: nil log or dial")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	a := &Anchorer{log: l, cfg: cfg, started: cfg.Now(), conn: &connector{dial: dial, key: key}}
	actx, cancel := context.WithTimeout(ctx, min(attachTimeout, cfg.ResendAfter))
	_, err := a.attached(actx)
	cancel()
	if err != nil {
		unavailable := errors.Is(err, ErrChainUnavailable) || errors.Is(err, context.DeadlineExceeded)
		if !unavailable || ctx.Err() != nil {
			return nil, err
		}
		a.lastErr, a.lastErrAt = err.Error(), cfg.Now()
		cfg.Logger.WarnContext(ctx, "Ethereum node unreachable: the ledger goes on, anchoring starts when the node answers", "err", err)
	}
	return a, nil
}

// connector attaches an Anchorer to its node.
type connector struct {
	dial Dial
	key  *ecdsa.PrivateKey

	mu sync.Mutex
	b  Backend // once dialed
}

func (c *connector) backend(ctx context.Context) (Backend, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.b != nil {
		return c.b, nil
	}
	b, err := c.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: dial: %w", ErrChainUnavailable, err)
	}
	c.b = b
	return b, nil
}

func (c *connector) dialed() Backend {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b
}

// attached returns the chain, attaching first if needed.
func (a *Anchorer) attached(ctx context.Context) (Chain, error) {
	a.mu.Lock()
	chain := a.chain
	a.mu.Unlock()
	if chain != nil || a.conn == nil {
		return chain, nil
	}
	b, err := a.conn.backend(ctx)
	if err != nil {
		return nil, err
	}
	c, err := a.contractOn(ctx, b)
	if err != nil {
		return nil, err
	}
	ct, err := NewContract(ctx, b, c, a.conn.key)
	if err != nil {
		return nil, err
	}
	if err := a.reconcile(ctx, ct); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.chain, a.contract = ct, c
	a.mu.Unlock()
	a.cfg.Logger.InfoContext(ctx, "anchoring on chain", "chain_id", c.ChainID, "contract", c.Address)
	return ct, nil
}

// contractOn returns the log's contract on the node behind b, deploying it
// (or, on the embedded chain, its replacement) when needed.
func (a *Anchorer) contractOn(ctx context.Context, b Backend) (ledger.AnchorContract, error) {
	if d, err := a.log.AnchorDeployment(ctx); err == nil {
		c, err := a.finishDeployment(ctx, b, d)
		if !errors.Is(err, errDeploymentDead) {
			return c, err
		}
		// It failed on chain, or its nonce went to another transaction with
		// nothing at its address: no contract can ever appear there, so a
		// new deployment is not a second contract.
		a.cfg.Logger.WarnContext(ctx, "the recorded contract deployment can never create the contract; signing a new one",
			"address", d.Address, "err", err)
		if err := a.log.SetAnchorDeployment(ctx, nil); err != nil {
			return ledger.AnchorContract{}, err
		}
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return ledger.AnchorContract{}, err
	}
	cur, err := a.log.AnchorContract(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		return a.deploy(ctx, b, nil, "")
	}
	if err != nil {
		return ledger.AnchorContract{}, err
	}
	ct, err := NewContract(ctx, b, cur, nil) // ErrWrongChain: never on another chain
	if err != nil {
		return ledger.AnchorContract{}, err
	}
	ok, err := ct.HasCode(ctx)
	if err != nil || ok {
		return cur, err
	}
	if !a.cfg.Embedded {
		return ledger.AnchorContract{}, fmt.Errorf("%w: %s on chain %d (deployed in block %d): the node serves another network "+
			"with the same chain id, is still syncing or lost its blocks", ErrNoContract, cur.Address, cur.ChainID, cur.DeployBlock)
	}
	head, err := b.HeaderByNumber(ctx, nil)
	if err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("%w: head: %w", ErrChainUnavailable, err)
	}
	reason := fmt.Sprintf("no code at %s on the embedded dev chain (head block %d, deployed in block %d): the chain lost its blocks in a crash",
		cur.Address, head.Number, cur.DeployBlock)
	a.cfg.Logger.WarnContext(ctx, "the embedded chain lost the anchor contract: deploying a new one and anchoring again", "reason", reason)
	return a.deploy(ctx, b, &cur, reason)
}

// deploy records a signed deployment, then sends it (finishDeployment).
// replaces is the lost contract it replaces on the embedded chain, if any.
func (a *Anchorer) deploy(ctx context.Context, b Backend, replaces *ledger.AnchorContract, reason string) (ledger.AnchorContract, error) {
	d, err := signDeployment(ctx, b, a.conn.key)
	if err != nil {
		return ledger.AnchorContract{}, err
	}
	d.Created = a.cfg.Now()
	if replaces != nil {
		d.Replaces, d.Reason = replaces.Address, reason
	}
	// Record first, then send: after a crash or an outage in between, the
	// same transaction is sent again, so there is never a second contract.
	if err := a.log.SetAnchorDeployment(ctx, &d); err != nil {
		return ledger.AnchorContract{}, err
	}
	c, err := a.finishDeployment(ctx, b, d)
	if errors.Is(err, errDeploymentDead) { // the next attempt signs a new one
		return ledger.AnchorContract{}, fmt.Errorf("anchor: deploy: %w", err)
	}
	return c, err
}

// finishDeployment sends the recorded deployment d (again), waits up to
// ResendAfter for it to be mined and records the contract.
func (a *Anchorer) finishDeployment(ctx context.Context, b Backend, d ledger.AnchorDeployment) (ledger.AnchorContract, error) {
	id, err := b.ChainID(ctx)
	if err != nil {
		return ledger.AnchorContract{}, fmt.Errorf("%w: chain id: %w", ErrChainUnavailable, err)
	}
	if id.Uint64() != d.ChainID {
		return ledger.AnchorContract{}, fmt.Errorf("%w: node is chain %d, the recorded deployment is for chain %d", ErrWrongChain, id, d.ChainID)
	}
	wctx, cancel := context.WithTimeout(ctx, a.cfg.ResendAfter)
	c, err := sendDeployment(wctx, b, d)
	cancel()
	if err != nil {
		return ledger.AnchorContract{}, err
	}
	if d.Replaces == "" {
		a.cfg.Logger.InfoContext(ctx, "anchor contract deployed", "chain_id", c.ChainID, "contract", c.Address, "block", c.DeployBlock)
		return c, a.log.SetAnchorContract(ctx, c)
	}
	return c, a.replace(ctx, c, d)
}

// replace records next as the log's contract in place of the lost one d
// names: the newest anchor still in force is sent again to next, the
// retired contract's other anchors are marked lost.
func (a *Anchorer) replace(ctx context.Context, next ledger.AnchorContract, d ledger.AnchorDeployment) error {
	cur, err := a.log.AnchorContract(ctx)
	if err != nil {
		return err
	}
	if cur.Address != d.Replaces {
		return fmt.Errorf("anchor: the deployment replaces %s, the log's contract is %s", d.Replaces, cur.Address)
	}
	recs, err := a.log.Anchors(ctx)
	if err != nil {
		return err
	}
	inForce := func(s ledger.AnchorStatus) bool {
		return s == ledger.AnchorPending || s == ledger.AnchorIncluded || s == ledger.AnchorFinal
	}
	newest := -1
	for i, r := range recs {
		if inForce(r.Status) {
			newest = i
		}
	}
	now := a.cfg.Now()
	retired := ledger.RetiredAnchorContract{AnchorContract: cur, Retired: now, Reason: d.Reason}
	var changed []ledger.AnchorRecord
	for i, r := range recs {
		if !inForce(r.Status) {
			continue
		}
		if r.Status != ledger.AnchorPending {
			retired.LastSize = max(retired.LastSize, r.Size)
		}
		if i == newest {
			r.Status, r.TxHash, r.Block = ledger.AnchorPending, "", 0
			r.LastError = fmt.Sprintf("its anchor on %s was lost with the embedded chain: sent again to %s", cur.Address, next.Address)
		} else {
			r.Status = ledger.AnchorLost
			r.LastError = fmt.Sprintf("lost with contract %s on the embedded chain; covered by a later anchor on %s", cur.Address, next.Address)
			retired.Lost++
		}
		r.Updated = now
		changed = append(changed, r)
	}
	if err := a.log.ReplaceAnchorContract(ctx, next, retired, changed); err != nil {
		return err
	}
	a.cfg.Logger.WarnContext(ctx, "anchor contract replaced on the embedded chain", "retired", cur.Address, "contract", next.Address,
		"block", next.DeployBlock, "lost_anchors", retired.Lost, "last_size", retired.LastSize)
	return nil
}

// reconcile checks the log's anchors against the chain at attach time (the
// node may have restarted, lost blocks or reorganised): included ones, and
// on the embedded chain, which can lose blocks in a crash, final ones too (a
// finalized block of an outside chain does not change). Those the chain no
// longer holds are pending again, without a transaction, so the next step
// sends them; those in another block or transaction are updated.
func (a *Anchorer) reconcile(ctx context.Context, ct *Contract) error {
	recs, err := a.log.Anchors(ctx)
	if err != nil {
		return err
	}
	check := func(r ledger.AnchorRecord) bool {
		return r.Status == ledger.AnchorIncluded || r.Status == ledger.AnchorFinal && a.cfg.Embedded
	}
	var from uint64 // lowest block to read
	n := 0
	for _, r := range recs {
		if check(r) {
			if n == 0 || r.Block < from {
				from = r.Block
			}
			n++
		}
	}
	if n == 0 {
		return nil
	}
	on, err := ct.AnchorsFrom(ctx, from)
	if err != nil {
		return err
	}
	seen := make(map[uint64]ledger.ChainAnchor, len(on))
	for _, c := range on {
		seen[c.Size] = c
	}
	now := a.cfg.Now()
	for _, r := range recs {
		if !check(r) {
			continue
		}
		c, ok := seen[r.Size]
		if !ok { // or re-mined below from
			if c, ok, err = ct.Find(ctx, r.Size); err != nil {
				return err
			}
		}
		switch {
		case !ok:
			a.cfg.Logger.WarnContext(ctx, "anchor no longer on chain (the node lost or dropped its block); sending it again",
				"size", r.Size, "status", r.Status, "block", r.Block, "tx", r.TxHash)
			r.LastError = fmt.Sprintf("%s anchor (block %d) no longer on chain: sent again", r.Status, r.Block)
			r.Status, r.Block, r.TxHash = ledger.AnchorPending, 0, ""
		case c.Root != r.Root:
			r.Status, r.LastError = ledger.AnchorFailed, "the chain holds another root for this size"
			a.cfg.Logger.ErrorContext(ctx, "chain holds another root for an anchored size", "size", r.Size)
		case c.Block != r.Block || c.TxHash != r.TxHash:
			r.Status, r.Block, r.TxHash = ledger.AnchorIncluded, c.Block, c.TxHash
		default:
			continue
		}
		r.Updated = now
		if err := a.log.PutAnchor(ctx, r); err != nil {
			return err
		}
	}
	return nil
}
