package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/ledger"
)

// The load the fault tests put on `espai serve`, what the server
// acknowledged, and the checks that every acknowledged promise was kept.

// issueOp is an issuance a demo issuer may make, and for whom.
type issueOp struct {
	token, typ string
	citizens   []string
}

var allPersonas = []string{"12345678Z", "38765432J", "40123456W", "Y2345678Z", "39876543V"}

var issueOps = []issueOp{
	{"demo-girona-issuer", "census", []string{"12345678Z"}}, // Girona issues for its own residents only
	{"demo-atc-issuer", "tax", allPersonas},
	{"demo-tgss-issuer", "worklife", allPersonas},
	{"demo-udg-issuer", "degree", []string{"12345678Z"}},
}

// exchangePurposes are the Agència de l'Habitatge's registered purposes.
var exchangePurposes = []string{"ajut-lloguer", "ajut-lloguer-residencia"}

// inboxLimit is the wallet's bound on unopened deliveries per citizen
// (wallet.DefaultMaxInboxItems); the load stays 50 below it.
const inboxLimit = 1000

// issuedRecord is the issuer's record of a credential (issuer.Record as JSON).
type issuedRecord struct {
	ID      string `json:"id"`
	Admin   string `json:"admin"`
	Type    string `json:"type"`
	Format  string `json:"format"`
	Citizen string `json:"citizen"`
	List    int    `json:"list"`
	Index   int    `json:"index"`
}

type issueAck struct {
	round   int
	token   string
	citizen string
	rec     issuedRecord
}

type exchangeAck struct {
	round   int
	citizen string
	purpose string
	index   uint64
}

// trackAck is an acknowledged notification or procedure.
type trackAck struct {
	round   int
	kind    string // "notifications" or "procedures"
	citizen string
	ref     string
	key     string
	retried bool // acknowledged when sent again after no answer or a 5xx
}

type requestAck struct {
	round int
	id    string
}

// trackReq is a notification or procedure request without a 2xx answer: a
// real client sends it again (same ref) until it gets one.
type trackReq struct {
	kind    string
	body    map[string]any
	retried bool
}

// acks is everything the server acknowledged, and what it refused.
type acks struct {
	mu         sync.Mutex
	issued     []issueAck
	exchanges  []exchangeAck
	tracked    []trackAck
	requests   []requestAck
	unanswered []trackReq
	refused    []string // unexpected non-2xx answers
	failures   []string // 5xx answers (expected only in the full-disk test)
	seq        atomic.Int64

	// Deliveries the load may still send to each citizen's inbox, in all
	// and in the current round (so that every round has some).
	room      map[string]int
	perRound  int
	thisRound map[string]int
}

func newAcks() *acks { return &acks{} }

// budget sets how many deliveries the load may send to each persona's
// wallet inbox, from the inbox sizes of the stopped data directory, spread
// over rounds.
func (k *acks) budget(t testing.TB, dir string, rounds int) {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	k.room, k.thisRound = map[string]int{}, map[string]int{}
	least := inboxLimit
	for _, p := range personas {
		n, err := a.Wallet.InboxSize(ctx, p.id)
		if err != nil {
			t.Fatal(err)
		}
		k.room[p.id] = inboxLimit - 50 - n
		least = min(least, k.room[p.id])
	}
	k.perRound = least / max(1, rounds)
}

// newRound resets the per-round budget.
func (k *acks) newRound() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.thisRound)
}

// reserve counts n deliveries to citizen against the budget.
func (k *acks) reserve(citizen string, n int) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.room[citizen] < n || k.thisRound[citizen]+n > k.perRound {
		return false
	}
	k.room[citizen] -= n
	k.thisRound[citizen] += n
	return true
}

// since returns the acknowledgements of rounds >= round.
func (k *acks) since(round int) *acks {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := newAcks()
	for _, a := range k.issued {
		if a.round >= round {
			out.issued = append(out.issued, a)
		}
	}
	for _, a := range k.exchanges {
		if a.round >= round {
			out.exchanges = append(out.exchanges, a)
		}
	}
	for _, a := range k.tracked {
		if a.round >= round {
			out.tracked = append(out.tracked, a)
		}
	}
	for _, a := range k.requests {
		if a.round >= round {
			out.requests = append(out.requests, a)
		}
	}
	return out
}

func (k *acks) summary() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return fmt.Sprintf("%d credentials, %d exchanges, %d notifications/procedures, %d verifier requests acknowledged; %d unanswered, %d 5xx",
		len(k.issued), len(k.exchanges), len(k.tracked), len(k.requests), len(k.unanswered), len(k.failures))
}

// loader sends one kind of request after another until its context ends or
// the server stops answering.
type loader struct {
	api   *api
	acks  *acks
	round int
	// stopOnError: a failed connection ends the loader (the server was killed).
	stopOnError bool
	// citizen, when set, is the only citizen requests are about.
	citizen string
	// timeout, when set, gives each request at most a random duration up to
	// it: the client gives up and disconnects.
	timeout time.Duration
}

// pick returns l.citizen, or one of from.
func (l *loader) pick(rng *rand.Rand, from []string) string {
	if l.citizen != "" {
		return l.citizen
	}
	return from[rng.IntN(len(from))]
}

// run sends requests until ctx ends (or, with stopOnError, the first
// connection error).
func (l *loader) run(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		if err := l.once(ctx, rng); err != nil && l.stopOnError {
			return
		}
	}
}

// once sends one request of the mix; an error means no complete answer.
func (l *loader) once(ctx context.Context, rng *rand.Rand) error {
	if l.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(1+rng.Int64N(int64(l.timeout))))
		defer cancel()
	}
	switch x := rng.IntN(100); {
	case x < 40:
		return l.issue(ctx, rng)
	case x < 65:
		return l.exchange(ctx, rng)
	case x < 80:
		return l.track(ctx, "notifications", rng)
	case x < 90:
		return l.track(ctx, "procedures", rng)
	default:
		return l.request(ctx)
	}
}

// answer sorts a response: 2xx to decode into out, 5xx as a failure (the
// body must be the JSON error), anything else as refused.
func (l *loader) answer(what string, code int, raw []byte, want int, out any) bool {
	switch {
	case code == want:
		if err := json.Unmarshal(raw, out); err != nil {
			l.note(&l.acks.refused, "%s: HTTP %d with a body that is not JSON: %v: %.200s", what, code, err, raw)
			return false
		}
		return true
	case code >= 500:
		var e struct{ Code, Message string }
		if json.Unmarshal(raw, &e) != nil || e.Code == "" {
			l.note(&l.acks.refused, "%s: HTTP %d without a JSON error: %.200s", what, code, raw)
		}
		l.note(&l.acks.failures, "%s: HTTP %d %.200s", what, code, raw)
	default:
		l.note(&l.acks.refused, "%s: HTTP %d %.300s", what, code, raw)
	}
	return false
}

func (l *loader) note(list *[]string, format string, a ...any) {
	l.acks.mu.Lock()
	defer l.acks.mu.Unlock()
	*list = append(*list, fmt.Sprintf("round %d: ", l.round)+fmt.Sprintf(format, a...))
}

func (l *loader) issue(ctx context.Context, rng *rand.Rand) error {
	op := issueOps[rng.IntN(len(issueOps))]
	citizen := l.pick(rng, op.citizens)
	if !l.acks.reserve(citizen, 2) { // the credential and its ledger receipt
		return nil
	}
	format := "sd-jwt"
	if rng.IntN(5) == 0 {
		format = "jsonld"
	}
	code, raw, err := l.api.call(ctx, http.MethodPost, "/api/v1/issuer/credentials", op.token,
		map[string]any{"type": op.typ, "citizen": citizen, "format": format, "deliver": true})
	if err != nil {
		return err
	}
	var out struct {
		Record   issuedRecord `json:"record"`
		Delivery string       `json:"delivery"`
	}
	what := fmt.Sprintf("issue %s %s to %s", format, op.typ, citizen)
	if l.answer(what, code, raw, http.StatusCreated, &out) {
		if out.Record.ID == "" || out.Record.Citizen != citizen || out.Delivery == "" {
			l.note(&l.acks.refused, "%s: incomplete answer %s", what, raw)
			return nil
		}
		l.acks.mu.Lock()
		l.acks.issued = append(l.acks.issued, issueAck{l.round, op.token, citizen, out.Record})
		l.acks.mu.Unlock()
	}
	return nil
}

func (l *loader) exchange(ctx context.Context, rng *rand.Rand) error {
	citizen := l.pick(rng, allPersonas)
	purpose := exchangePurposes[rng.IntN(len(exchangePurposes))]
	if !l.acks.reserve(citizen, 1) { // the ledger receipt
		return nil
	}
	code, raw, err := l.api.call(ctx, http.MethodPost, "/api/v1/exchange", tokenAHC, map[string]any{"citizen": citizen, "purpose": purpose})
	if err != nil {
		return err
	}
	var out struct {
		LedgerIndex *uint64 `json:"ledgerIndex"`
		Citizen     string  `json:"citizen"`
	}
	what := fmt.Sprintf("exchange %s about %s", purpose, citizen)
	if l.answer(what, code, raw, http.StatusOK, &out) {
		if out.LedgerIndex == nil || out.Citizen != citizen {
			l.note(&l.acks.refused, "%s: incomplete answer %s", what, raw)
			return nil
		}
		l.acks.mu.Lock()
		l.acks.exchanges = append(l.acks.exchanges, exchangeAck{l.round, citizen, purpose, *out.LedgerIndex})
		l.acks.mu.Unlock()
	}
	return nil
}

func (l *loader) track(ctx context.Context, kind string, rng *rand.Rand) error {
	citizen := l.pick(rng, allPersonas)
	if !l.acks.reserve(citizen, 1) { // the wallet event
		return nil
	}
	n := l.acks.seq.Add(1)
	body := map[string]any{"citizen": citizen}
	if kind == "notifications" {
		body["ref"] = fmt.Sprintf("CRASH-N-%d-%d", l.round, n)
		body["subject"] = fmt.Sprintf("Requeriment de documentació %d", n)
		body["body"] = fmt.Sprintf("Cal aportar el document %d en deu dies.", n)
	} else {
		body["ref"] = fmt.Sprintf("CRASH-P-%d-%d", l.round, n)
		body["status"] = "submitted"
		body["title"] = fmt.Sprintf("Sol·licitud d'ajut %d", n)
	}
	return l.send(ctx, trackReq{kind: kind, body: body})
}

// send posts a notification or procedure; without a 2xx answer it is kept
// to be sent again.
func (l *loader) send(ctx context.Context, r trackReq) error {
	code, raw, err := l.api.call(ctx, http.MethodPost, "/api/v1/"+r.kind, tokenServices, r.body)
	want := http.StatusCreated
	if r.kind == "procedures" {
		want = http.StatusOK
	}
	var out struct {
		Key string `json:"key"`
	}
	ref, citizen := r.body["ref"].(string), r.body["citizen"].(string)
	if err == nil && l.answer(r.kind+" "+ref, code, raw, want, &out) && out.Key != "" {
		l.acks.mu.Lock()
		l.acks.tracked = append(l.acks.tracked, trackAck{l.round, r.kind, citizen, ref, out.Key, r.retried})
		l.acks.mu.Unlock()
		return nil
	}
	if err != nil || code >= 500 {
		l.acks.mu.Lock()
		l.acks.unanswered = append(l.acks.unanswered, r)
		l.acks.mu.Unlock()
	}
	return err
}

func (l *loader) request(ctx context.Context) error {
	code, raw, err := l.api.call(ctx, http.MethodPost, "/api/v1/verifier/requests", tokenVerifier, map[string]any{"purpose": "preinscripcio-escolar"})
	if err != nil {
		return err
	}
	var out struct {
		ID string `json:"id"`
	}
	if l.answer("verifier request", code, raw, http.StatusCreated, &out) && out.ID != "" {
		l.acks.mu.Lock()
		l.acks.requests = append(l.acks.requests, requestAck{l.round, out.ID})
		l.acks.mu.Unlock()
	}
	return nil
}

// retryUnanswered sends again every notification and procedure left without
// a 2xx answer, as the administration's system would after the outage.
func retryUnanswered(ctx context.Context, t testing.TB, a *api, k *acks, round int) {
	t.Helper()
	k.mu.Lock()
	todo := k.unanswered
	k.unanswered = nil
	k.mu.Unlock()
	l := &loader{api: a, acks: k, round: round}
	for _, r := range todo {
		r.retried = true
		if err := l.send(ctx, r); err != nil {
			t.Errorf("retry %s %v: %v", r.kind, r.body["ref"], err)
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.unanswered) > 0 {
		t.Errorf("%d notifications/procedures still refused after a retry: %v", len(k.unanswered), k.failures[max(0, len(k.failures)-3):])
	}
}

// parallel runs fn(0..n-1) on four goroutines and joins the errors.
func parallel(n int, fn func(i int) error) error {
	var (
		mu   sync.Mutex
		errs []error
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ledgerView is the last checkpoint the test verified.
type ledgerView struct {
	vkey string
	cp   ledger.Checkpoint
}

// verifyAcks checks through the API of a (restarted) server that every
// acknowledgement in k still holds: credential records, ledger entries with
// inclusion proofs against the latest checkpoint (which must extend the
// previous one), notifications, procedures and verifier requests.
func verifyAcks(ctx context.Context, a *api, lv *ledgerView, k *acks) error {
	var errs []error
	cp, err := a.checkpoint(ctx, lv.vkey)
	if err != nil {
		return fmt.Errorf("latest checkpoint: %w", err)
	}
	if err := a.proveConsistent(ctx, lv.cp, cp); err != nil {
		errs = append(errs, fmt.Errorf("checkpoint %d does not extend checkpoint %d: %w", cp.Size, lv.cp.Size, err))
	}
	lv.cp = cp

	type listKey struct{ token, citizen string }
	lists := map[listKey][]issuedRecord{}
	for _, ack := range k.issued {
		lk := listKey{ack.token, ack.citizen}
		if _, ok := lists[lk]; !ok {
			var out struct {
				Credentials []issuedRecord `json:"credentials"`
			}
			if err := a.get(ctx, "/api/v1/issuer/citizens/"+ack.citizen+"/credentials", ack.token, &out); err != nil {
				errs = append(errs, err)
				continue
			}
			lists[lk] = out.Credentials
		}
		if !slices.Contains(lists[lk], ack.rec) {
			errs = append(errs, fmt.Errorf("round %d: acknowledged credential %s (%s %s, status %d/%d) of %s is not in the issuer's records",
				ack.round, ack.rec.ID, ack.rec.Format, ack.rec.Type, ack.rec.List, ack.rec.Index, ack.citizen))
		}
	}
	errs = append(errs, parallel(len(k.exchanges), func(i int) error {
		x := k.exchanges[i]
		if x.index >= cp.Size {
			return fmt.Errorf("round %d: acknowledged ledger index %d is beyond the latest checkpoint (%d entries)", x.round, x.index, cp.Size)
		}
		e, err := a.proveIncluded(ctx, x.index, cp)
		if err != nil {
			return fmt.Errorf("round %d: acknowledged ledger index %d: %w", x.round, x.index, err)
		}
		if e.Kind != ledger.KindDataExchange || e.Administration != "ahc" || e.Purpose != x.purpose {
			return fmt.Errorf("round %d: ledger index %d holds %s by %s for %s, acknowledged a data exchange by ahc for %s",
				x.round, x.index, e.Kind, e.Administration, e.Purpose, x.purpose)
		}
		return nil
	}))
	errs = append(errs, parallel(len(k.tracked), func(i int) error {
		tr := k.tracked[i]
		var out struct {
			Key     string `json:"key"`
			Citizen string `json:"citizen"`
		}
		if err := a.get(ctx, "/api/v1/"+tr.kind+"/"+url.PathEscape(tr.ref), tokenServices, &out); err != nil {
			return fmt.Errorf("round %d: acknowledged %s %s: %w", tr.round, tr.kind, tr.ref, err)
		}
		if out.Key != tr.key || out.Citizen != tr.citizen {
			return fmt.Errorf("round %d: %s %s is %s for %s, acknowledged as %s for %s", tr.round, tr.kind, tr.ref, out.Key, out.Citizen, tr.key, tr.citizen)
		}
		return nil
	}))
	errs = append(errs, parallel(len(k.requests), func(i int) error {
		r := k.requests[i]
		var out struct {
			ID string `json:"id"`
		}
		if err := a.get(ctx, "/api/v1/verifier/requests/"+r.id, tokenVerifier, &out); err != nil || out.ID != r.id {
			return fmt.Errorf("round %d: acknowledged verifier request %s: %v (got %q)", r.round, r.id, err, out.ID)
		}
		return nil
	}))
	return errors.Join(errs...)
}
