package tracking

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

// clock is a settable clock for the store.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func open(t *testing.T) (*Store, *clock, string) {
	t.Helper()
	c := &clock{now: t0}
	path := filepath.Join(t.TempDir(), "tracking.db")
	s, err := Open(path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c, path
}

const (
	laia  = "12345678Z"
	jordi = "38765432J"
	ajgi  = "ajuntament-girona"
)

func TestProcedureLifecycle(t *testing.T) {
	ctx := context.Background()
	s, c, _ := open(t)
	if _, _, err := s.UpdateProcedure(ctx, ajgi, "2026/PREINS/0042", laia, InReview, t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a new procedure that does not start submitted: %v", err)
	}
	p, changed, err := s.UpdateProcedure(ctx, ajgi, "2026/PREINS/0042", laia, Submitted, t0)
	if err != nil || !changed || p.Status() != Submitted || p.Key == "" {
		t.Fatalf("submitted: %+v %v %v", p, changed, err)
	}
	// The same status again is an idempotent retry.
	again, changed, err := s.UpdateProcedure(ctx, ajgi, "2026/PREINS/0042", laia, Submitted, t0.Add(time.Minute))
	if err != nil || changed || again.Key != p.Key || len(again.Steps) != 1 {
		t.Fatalf("retry: %+v %v %v", again, changed, err)
	}
	steps := []Status{InReview, InfoNeeded, InReview, Resolved}
	for i, st := range steps {
		c.now = t0.Add(time.Duration(i+1) * time.Hour)
		if p, changed, err = s.UpdateProcedure(ctx, ajgi, "2026/PREINS/0042", laia, st, time.Time{}); err != nil || !changed {
			t.Fatalf("%s: %v", st, err)
		}
	}
	if len(p.Steps) != 5 || p.Status() != Resolved || !p.Updated.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("after the review: %+v", p)
	}
	for _, c := range []struct {
		name            string
		admin, ref, cit string
		st              Status
		at              time.Time
		want            error
	}{
		{"resolved is final", ajgi, "2026/PREINS/0042", laia, InReview, t0.Add(5 * time.Hour), ErrConflict},
		{"another citizen's reference", ajgi, "2026/PREINS/0042", jordi, Resolved, t0.Add(5 * time.Hour), ErrConflict},
		{"unknown status", ajgi, "2026/PREINS/0043", laia, "approved", t0, ErrInvalid},
		{"administration id", "Ajuntament de Girona", "2026/PREINS/0043", laia, Submitted, t0, ErrInvalid},
		{"reference with a space", ajgi, "2026 PREINS", laia, Submitted, t0, ErrInvalid},
		{"reference too long", ajgi, string(make([]byte, 65)), laia, Submitted, t0, ErrInvalid},
		{"no citizen", ajgi, "2026/PREINS/0043", "", Submitted, t0, ErrInvalid},
		{"a citizen id with the index separator", ajgi, "2026/PREINS/0043", laia + "|p", Submitted, t0, ErrInvalid},
	} {
		if _, _, err := s.UpdateProcedure(ctx, c.admin, c.ref, c.cit, c.st, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// An update older than the last one is refused (out-of-order delivery).
	if _, _, err := s.UpdateProcedure(ctx, ajgi, "2026/BEQUES/0007", jordi, Submitted, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UpdateProcedure(ctx, ajgi, "2026/BEQUES/0007", jordi, InReview, t0.Add(time.Hour)); !errors.Is(err, ErrConflict) {
		t.Fatalf("an update dated before the last one: %v", err)
	}
	// Refused input changed nothing.
	ps, ns, err := s.Of(ctx, laia)
	if err != nil || len(ps) != 1 || len(ns) != 0 || len(ps[0].Steps) != 5 {
		t.Fatalf("Laia's procedures after refused updates: %+v %v", ps, err)
	}
	if _, err := s.Procedure(ctx, ajgi, "2026/PREINS/0043"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused first update created a procedure: %v", err)
	}
}

func TestNotificationDeadlineAndActs(t *testing.T) {
	ctx := context.Background()
	s, c, path := open(t)
	n, created, err := s.Deposit(ctx, "atc", "ATC-2026-118", laia, t0)
	if err != nil || !created || n.State != Pending || !n.Deadline.Equal(t0.Add(10*24*time.Hour)) {
		t.Fatalf("deposit: %+v %v %v", n, created, err)
	}
	if again, created, err := s.Deposit(ctx, "atc", "ATC-2026-118", laia, t0.Add(time.Hour)); err != nil || created || again.Key != n.Key {
		t.Fatalf("deposit retry: %+v %v %v", again, created, err)
	}
	if _, _, err := s.Deposit(ctx, "atc", "ATC-2026-118", jordi, t0); !errors.Is(err, ErrConflict) {
		t.Fatalf("the same reference to another citizen: %v", err)
	}
	// Only the addressee can act, and only read, accept or reject.
	if _, _, err := s.Act(ctx, jordi, n.Key, Accepted); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another citizen accepting: %v", err)
	}
	if _, _, err := s.Act(ctx, laia, n.Key, Expired); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a citizen expiring a notification: %v", err)
	}
	if _, _, err := s.ActAt(ctx, laia, n.Key, Read, t0.Add(-time.Hour)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("read before the deposit: %v", err)
	}
	if _, _, err := s.ActAt(ctx, laia, n.Key, Read, t0.Add(time.Hour)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("read in the future: %v", err)
	}
	c.now = t0.Add(2 * time.Hour)
	r, changed, err := s.Act(ctx, laia, n.Key, Read)
	if err != nil || !changed || r.State != Read || !r.ReadAt.Equal(c.now) {
		t.Fatalf("read: %+v %v %v", r, changed, err)
	}
	c.now = t0.Add(3 * time.Hour)
	if r, changed, err = s.Act(ctx, laia, n.Key, Read); err != nil || changed || !r.ReadAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("read again: %+v %v %v", r, changed, err)
	}
	if due, err := s.DueBefore(ctx, t0.Add(11*24*time.Hour)); err != nil || len(due) != 1 {
		t.Fatalf("due: %+v %v", due, err)
	}
	a, changed, err := s.Act(ctx, laia, n.Key, Accepted)
	if err != nil || !changed || a.State != Accepted || !a.ClosedAt.Equal(c.now) {
		t.Fatalf("accept: %+v %v %v", a, changed, err)
	}
	if _, _, err := s.Act(ctx, laia, n.Key, Rejected); !errors.Is(err, ErrClosed) {
		t.Fatalf("reject after accepting: %v", err)
	}
	if due, _ := s.DueBefore(ctx, t0.Add(11*24*time.Hour)); len(due) != 0 {
		t.Fatalf("an accepted notification is still due: %+v", due)
	}

	// A second one nobody answers expires at its deadline: computed when
	// read, materialised by the sweep.
	m, _, err := s.Deposit(ctx, ajgi, "AJGI-2026-0931", laia, t0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c.now = m.Deadline.Add(time.Second)
	if m.StateAt(c.now) != Expired || m.Open(c.now) {
		t.Fatalf("past its deadline: %s", m.StateAt(c.now))
	}
	if _, _, err := s.Act(ctx, laia, m.Key, Accepted); !errors.Is(err, ErrClosed) {
		t.Fatalf("accepting after the deadline: %v", err)
	}
	swept, err := s.Sweep(ctx)
	if err != nil || len(swept) != 1 || swept[0].Key != m.Key || swept[0].State != Expired || !swept[0].ClosedAt.Equal(m.Deadline) {
		t.Fatalf("sweep: %+v %v", swept, err)
	}
	if swept, err := s.Sweep(ctx); err != nil || len(swept) != 0 {
		t.Fatalf("second sweep: %+v %v", swept, err)
	}

	// Everything is on disk: a reopened store has the same state.
	if err := s.MarkDelivered(ctx, m.Key); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, "no-such-key"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mark an unknown key: %v", err)
	}
	s.Close()
	s2, err := Open(path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	_, ns, err := s2.Of(ctx, laia)
	if err != nil || len(ns) != 2 || ns[0].Key != m.Key || ns[0].State != Expired || !ns[0].Delivered || ns[1].State != Accepted {
		t.Fatalf("after reopening: %+v %v", ns, err)
	}
	if _, err := s2.NotificationByKey(ctx, jordi, m.Key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another citizen's notification by key: %v", err)
	}
}

func TestContacts(t *testing.T) {
	ctx := context.Background()
	s, _, _ := open(t)
	if c, err := s.Contact(ctx, laia); err != nil || c != nil {
		t.Fatalf("no contact yet: %+v %v", c, err)
	}
	for _, bad := range []string{"laia", "Laia <laia.puig@example.cat>", "laia.puig@example.cat\r\nBcc: x@example.com", string(make([]byte, 300)) + "@example.cat"} {
		if err := s.SetContact(ctx, laia, bad, "ca"); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetContact(%q): %v", bad, err)
		}
	}
	if err := s.SetContact(ctx, laia, "laia.puig@example.cat", "ca"); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Contact(ctx, laia); err != nil || c.Email != "laia.puig@example.cat" || c.Lang != "ca" || !c.Since.Equal(t0) {
		t.Fatalf("contact: %+v %v", c, err)
	}
	if err := s.Forget(ctx, laia); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Contact(ctx, laia); err != nil || c != nil {
		t.Fatalf("after erasure: %+v %v", c, err)
	}
}
