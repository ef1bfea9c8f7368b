package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// A presentation is the product's flow, over HTTP, from both sides: a
// verifier's system opens a presentation request through the staff API, a
// logged-in citizen opens the request's openid4vp:// link in their space
// and approves it (the server's wallet builds the presentation, the verifier
// verifies it, the consent and the exchange go to the ledger, the receipts
// to the wallet), and the verifier's system reads the request's verdict.
// Anything but "accepted" with a valid verdict is a failure.

// flows are what the verifiers ask for: census purposes, since every
// citizen the tool prepares holds a census credential.
var flows = []struct {
	token, purpose string
}{
	{"demo-girona-verifier", "preinscripcio-escolar"}, // Ajuntament de Girona: municipality, address, postal code
	{"demo-ahc-verifier", "ajut-lloguer-residencia"},  // Agència de l'Habitatge: name, municipality, registration date
}

// presentRoutes are the routes of the flow, in its order; they are
// reported apart from the pages and not held to the pages' bar.
var presentRoutes = []string{
	"POST /api/v1/verifier/requests",
	"GET /requests",
	"POST /requests/approve",
	"GET /api/v1/verifier/requests/:id",
}

// offset is when call i of a schedule at rate calls per second is due,
// counted from the schedule's start.
func offset(i int, rate float64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / rate)
}

// scheduled is how many calls a schedule at rate per second starts in d:
// those due before d (the first is due at once).
func scheduled(d time.Duration, rate float64) int {
	if rate <= 0 || d <= 0 {
		return 0
	}
	n := int(math.Ceil(d.Seconds() * rate))
	for n > 0 && offset(n-1, rate) >= d {
		n--
	}
	for offset(n, rate) < d {
		n++
	}
	return n
}

// schedule starts call(i, due) in its own goroutine for every call due
// before begin+d at rate per second, open loop: it never waits for a call to
// finish, so a server that falls behind shows as calls in flight and a lower
// achieved rate, not as a slower schedule. When the scheduler itself wakes
// late it starts every call already due (a ticker would drop them) and
// returns the largest lateness. It returns how many calls it started, fewer
// than scheduled only when ctx ends.
func schedule(ctx context.Context, begin time.Time, d time.Duration, rate float64, wg *sync.WaitGroup, call func(i int, due time.Time)) (started int, lag time.Duration) {
	total := scheduled(d, rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for started < total {
		if wait := time.Until(begin.Add(offset(started, rate))); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return started, lag
			case <-timer.C:
			}
		}
		now := time.Now()
		for ; started < total; started++ {
			due := begin.Add(offset(started, rate))
			if due.After(now) {
				break
			}
			lag = max(lag, now.Sub(due))
			i := started
			wg.Go(func() { call(i, due) })
		}
	}
	return started, lag
}

// presenter drives the presentations: the citizens who answer (round robin,
// so every logged-in citizen takes part) and the verifiers' systems.
type presenter struct {
	citizens []*browser
	staff    []*browser // one per flow
	stats    *presentStats
}

func newPresenter(base string, rec *recorder, citizens []*browser, rate float64) *presenter {
	p := &presenter{citizens: citizens, stats: &presentStats{target: rate, failures: map[string]int{}}}
	for _, f := range flows {
		p.staff = append(p.staff, newStaff(base, f.token, rec))
	}
	return p
}

// run presents at the target rate from begin for d, then waits for the
// presentations in flight.
func (p *presenter) run(ctx context.Context, begin time.Time, d time.Duration) {
	st := p.stats
	st.begin, st.window = begin, d
	st.scheduled = scheduled(d, st.target)
	st.citizens, st.verifiers = min(len(p.citizens), st.scheduled), len(flows)
	var wg sync.WaitGroup
	st.started, st.lag = schedule(ctx, begin, d, st.target, &wg, func(i int, due time.Time) {
		st.begun()
		err := p.present(ctx, i)
		st.done(time.Now(), due, err)
	})
	wg.Wait()
}

// present runs presentation i: citizen i mod n, the flows in turn (shifted
// each round, so every citizen meets every flow).
func (p *presenter) present(ctx context.Context, i int) error {
	n := len(p.citizens)
	fi := (i + i/n) % len(flows)
	citizen, verifier := p.citizens[i%n].tab(), p.staff[fi].tab()

	// The verifier's system opens a request for its registered purpose.
	body, _ := json.Marshal(map[string]any{"purpose": flows[fi].purpose})
	r, err := verifier.send(ctx, http.MethodPost, "/api/v1/verifier/requests", "application/json", body, true)
	if err != nil {
		return err
	}
	var req struct {
		ID string `json:"id"`
		QR string `json:"qr_uri"`
	}
	if r.code != http.StatusCreated || json.Unmarshal([]byte(r.body), &req) != nil || req.ID == "" || req.QR == "" {
		return fmt.Errorf("open request: status %d, no id or QR link", r.code)
	}

	// The citizen opens the link in their space: who asks, what, why.
	r, err = citizen.do(ctx, http.MethodGet, "/requests?uri="+url.QueryEscape(req.QR), nil, true)
	if err != nil {
		return err
	}
	csrf, cred := csrfOf(r.body), valueOf(r.body, "credential")
	if csrf == "" || cred == "" {
		return errors.New("GET /requests: no credential offered to answer with")
	}

	// ... and approves with the credential offered first.
	r, err = citizen.do(ctx, http.MethodPost, "/requests/approve", url.Values{"csrf": {csrf}, "uri": {req.QR}, "credential": {cred}}, true)
	if err != nil {
		if a := alertOf(r.body); a != "" {
			err = fmt.Errorf("%w: %s", err, a)
		}
		return err
	}
	if !strings.Contains(r.body, `data-outcome="accepted"`) {
		return errors.New("POST /requests/approve: the page does not say accepted")
	}

	// The verifier's system reads the verdict.
	r, err = verifier.send(ctx, http.MethodGet, "/api/v1/verifier/requests/"+req.ID, "", nil, true)
	if err != nil {
		return err
	}
	return checkVerdict(r.body)
}

// checkVerdict accepts the staff view of an answered request only when it
// is accepted with a valid verdict whose every check passed.
func checkVerdict(body string) error {
	var v struct {
		State   string `json:"state"`
		Reason  string `json:"reason"`
		Verdict *struct {
			Valid  bool `json:"valid"`
			Checks []struct {
				Name string `json:"name"`
				OK   bool   `json:"ok"`
			} `json:"checks"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return fmt.Errorf("verdict: %v", err)
	}
	if v.State != "accepted" {
		return fmt.Errorf("verdict: state %q (%s)", v.State, v.Reason)
	}
	if v.Verdict == nil || !v.Verdict.Valid || len(v.Verdict.Checks) == 0 {
		return errors.New("verdict: accepted without a valid verdict")
	}
	for _, c := range v.Verdict.Checks {
		if !c.OK {
			return fmt.Errorf("verdict: check %s failed", c.Name)
		}
	}
	return nil
}

// alertOf returns the text of a page's first alert (why a request was
// refused), for the report.
func alertOf(html string) string {
	const tag = `role="alert">`
	i := strings.Index(html, tag)
	if i < 0 {
		return ""
	}
	v := html[i+len(tag):]
	if j := strings.IndexByte(v, '<'); j >= 0 {
		v = v[:j]
	}
	return v
}

// presentStats are the outcome of the presentations. Safe for concurrent use.
type presentStats struct {
	target              float64       // presentations per second asked for
	window              time.Duration // how long they were scheduled for
	begin               time.Time
	scheduled, started  int
	lag                 time.Duration // the scheduler's largest lateness
	citizens, verifiers int

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	verified    int
	e2e         []time.Duration // due time to verdict read, verified ones
	failures    map[string]int  // by reason
	failed      int
	last        time.Time // the last presentation's end
}

func (s *presentStats) begun() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
}

// maxReasons bounds the failure reasons kept: one broken step fails every
// presentation the same way.
const maxReasons = 10

func (s *presentStats) done(end, due time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if end.After(s.last) {
		s.last = end
	}
	if err == nil {
		s.verified++
		s.e2e = append(s.e2e, end.Sub(due))
		return
	}
	s.failed++
	reason := err.Error()
	if _, ok := s.failures[reason]; ok || len(s.failures) < maxReasons {
		s.failures[reason]++
	}
}

// span is the time the presentations took: the scheduled window, or longer
// when the last one ended after it.
func (s *presentStats) span() time.Duration {
	return max(s.window, s.last.Sub(s.begin))
}

// achieved is the rate of verified presentations over the span.
func (s *presentStats) achieved() float64 {
	sp := s.span()
	if sp <= 0 {
		return 0
	}
	return float64(s.verified) / sp.Seconds()
}

// minAchieved is the share of the target rate a run must achieve.
const minAchieved = 0.98

// write prints the presentations' summary and reports whether they passed:
// every one started, none failed, the achieved rate at least minAchieved of
// the target.
func (s *presentStats) write(w io.Writer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e2e := slices.Sorted(slices.Values(s.e2e))
	achieved := s.achieved()
	ratio := 0.0
	if s.target > 0 {
		ratio = achieved / s.target
	}
	fmt.Fprintf(w, "\npresentations (verifier opens a request, the citizen approves it in their space, the verifier reads the verdict):\n")
	fmt.Fprintf(w, "  target %g/s for %s: %d scheduled, %d started (scheduler late by at most %s ms), %d verified, %d failed, at most %d in flight\n",
		s.target, s.window, s.scheduled, s.started, ms(s.lag), s.verified, s.failed, s.maxInFlight)
	fmt.Fprintf(w, "  achieved %.1f verified/s over %s (%.1f%% of the target; at least %.0f%% needed), %d citizens and %d verifiers taking part\n",
		achieved, s.span().Round(time.Millisecond), 100*ratio, 100*minAchieved, s.citizens, s.verifiers)
	fmt.Fprintf(w, "  end to end (due time to verdict read, client-side): p50 %s ms, p90 %s ms, p99 %s ms, max %s ms\n",
		ms(percentile(e2e, 50)), ms(percentile(e2e, 90)), ms(percentile(e2e, 99)), ms(percentile(e2e, 100)))
	for _, reason := range slices.Sorted(maps.Keys(s.failures)) {
		fmt.Fprintf(w, "  failed %d×: %s\n", s.failures[reason], reason)
	}
	return s.failed == 0 && s.started == s.scheduled && ratio >= minAchieved
}
