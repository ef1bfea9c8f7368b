package main

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestScheduled(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		rate float64
		want int
	}{
		{60 * time.Second, 50, 3000},
		{time.Second, 3, 3}, // at 0, 333 ms, 666 ms
		{20 * time.Millisecond, 50, 1},
		{21 * time.Millisecond, 50, 2},
		{2 * time.Second, 0.5, 1},
		{2*time.Second + time.Millisecond, 0.5, 2},
		{time.Second, 0, 0},
		{0, 50, 0},
	} {
		if got := scheduled(tc.d, tc.rate); got != tc.want {
			t.Errorf("scheduled(%s, %g) = %d, want %d", tc.d, tc.rate, got, tc.want)
		}
	}
	if got := offset(50, 50); got != time.Second {
		t.Errorf("offset(50, 50) = %s, want 1s", got)
	}
}

// TestSchedule starts a schedule whose every call is already due: each is
// started once, with its own due time, without waiting for the others.
func TestSchedule(t *testing.T) {
	begin := time.Now().Add(-time.Hour)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int]time.Time{}
	)
	release := make(chan struct{})
	started, lag := schedule(context.Background(), begin, time.Second, 50, &wg, func(i int, due time.Time) {
		mu.Lock()
		seen[i] = due
		mu.Unlock()
		<-release // open loop: the scheduler does not wait for this
	})
	close(release)
	wg.Wait()
	if started != 50 || len(seen) != 50 {
		t.Fatalf("started %d, %d distinct calls; want 50", started, len(seen))
	}
	for i, due := range seen {
		if want := begin.Add(offset(i, 50)); !due.Equal(want) {
			t.Errorf("call %d due %s, want %s", i, due, want)
		}
	}
	if lag < 59*time.Minute {
		t.Errorf("lag %s: the calls were an hour late", lag)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if started, _ := schedule(ctx, time.Now().Add(time.Hour), time.Second, 50, &wg, func(int, time.Time) {}); started != 0 {
		t.Errorf("cancelled schedule started %d calls", started)
	}
}

func TestCheckVerdict(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"accepted", `{"state":"accepted","verdict":{"valid":true,"checks":[{"name":"signature","ok":true},{"name":"nonce","ok":true}]}}`, true},
		{"pending", `{"state":"pending"}`, false},
		{"rejected", `{"state":"rejected","reason":"status","verdict":{"valid":false,"checks":[{"name":"status","ok":false}]}}`, false},
		{"accepted, no verdict", `{"state":"accepted"}`, false},
		{"accepted, no checks", `{"state":"accepted","verdict":{"valid":true,"checks":[]}}`, false},
		{"accepted, a check failed", `{"state":"accepted","verdict":{"valid":true,"checks":[{"name":"status","ok":false}]}}`, false},
		{"not JSON", `<html>`, false},
	} {
		if err := checkVerdict(tc.body); (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestPresentStatsPass(t *testing.T) {
	begin := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	steady := func(int) time.Duration { return 80 * time.Millisecond }
	// run fills the stats of n presentations due every 20 ms for 10 s,
	// presentation i taking took(i); the first failing ones fail.
	run := func(n, failing int, took func(i int) time.Duration) *presentStats {
		s := &presentStats{target: 50, window: 10 * time.Second, begin: begin, scheduled: 500, started: n, failures: map[string]int{}}
		for i := range n {
			due := begin.Add(offset(i, 50))
			s.begun()
			var err error
			if i < failing {
				err = errors.New("POST /requests/approve: status 422")
			}
			s.done(due.Add(took(i)), due, err)
		}
		return s
	}
	for _, tc := range []struct {
		name string
		s    *presentStats
		pass bool
	}{
		{"all verified, steady", run(500, 0, steady), true}, // 500 in 10.06 s
		{"one failed", run(500, 1, steady), false},
		{"not all started", run(499, 0, steady), false},
		{"falling behind", run(500, 0, func(i int) time.Duration { return time.Duration(i) * 2 * time.Millisecond }), false}, // 500 in 10.98 s
	} {
		if got := tc.s.write(io.Discard); got != tc.pass {
			t.Errorf("%s: pass %v, want %v (achieved %.1f/s)", tc.name, got, tc.pass, tc.s.achieved())
		}
	}
	s := run(500, 3, steady)
	if s.failed != 3 || s.verified != 497 || s.failures["POST /requests/approve: status 422"] != 3 || s.maxInFlight != 1 {
		t.Errorf("counts: %d failed, %d verified, reasons %v, max in flight %d", s.failed, s.verified, s.failures, s.maxInFlight)
	}
}

func TestPresentRoutes(t *testing.T) {
	got := []string{
		routeOf("POST", "/api/v1/verifier/requests"),
		routeOf("GET", "/requests"),
		routeOf("POST", "/requests/approve"),
		routeOf("GET", "/api/v1/verifier/requests/Zk3q9aP0vL2mXw8yT4rB1c"),
	}
	if !slices.Equal(got, presentRoutes) {
		t.Errorf("routes %q, want %q", got, presentRoutes)
	}
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/api/v1/verifier/requests/abc/qr.svg", "GET /api/v1/verifier/requests/:id/qr.svg"},
		{"GET", "/verifier/requests/abc/object", "GET /verifier/requests/:id/object"},
		{"POST", "/verifier/requests/abc/response", "POST /verifier/requests/:id/response"},
		{"GET", "/verifier/requests/abc", "GET (other)"},
		{"GET", "/api/v1/verifier/requests/abc/secret", "GET (other)"},
		{"GET", "/api/v1/verifier/requests/", "GET (other)"},
	} {
		if got := routeOf(tc.method, tc.path); got != tc.want {
			t.Errorf("routeOf(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
	page := `<p class="alert" role="alert">Sol·licitud rebutjada: status</p><input type="radio" name="credential" value="c0ffee" checked>`
	if got := alertOf(page); got != "Sol·licitud rebutjada: status" {
		t.Errorf("alert %q", got)
	}
	if got := valueOf(page, "credential"); got != "c0ffee" {
		t.Errorf("credential %q", got)
	}
}
