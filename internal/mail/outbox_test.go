package mail

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// clock is a fake clock for the Outbox's retry and retention times.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// syncBuffer collects log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// openOutbox opens an outbox at path on a fake clock; the file is
// consistency-checked (Tx.Check) and closed when the test ends.
func openOutbox(t *testing.T, path string, s *Sender, clk *clock, log *slog.Logger) *Outbox {
	t.Helper()
	o, err := Open(path, s, log)
	if err != nil {
		t.Fatal(err)
	}
	o.now = clk.now
	t.Cleanup(func() { closeOutbox(t, o) })
	return o
}

// closeOutbox checks the bbolt file and closes it; a closed outbox is left alone.
func closeOutbox(t *testing.T, o *Outbox) {
	t.Helper()
	err := o.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt Tx.Check: %v", err)
		}
		return nil
	})
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return
	}
	if err != nil {
		t.Error(err)
	}
	if err := o.Close(); err != nil {
		t.Error(err)
	}
}

func newClock() *clock { return &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)} }

func pendingCount(t *testing.T, o *Outbox) int {
	t.Helper()
	n, err := o.Pending()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func flush(t *testing.T, o *Outbox, wantSent int, wantErr bool) error {
	t.Helper()
	sent, err := o.Flush(t.Context())
	if sent != wantSent || (err != nil) != wantErr {
		t.Fatalf("Flush = %d, %v; want %d sent, error %v", sent, err, wantSent, wantErr)
	}
	return err
}

func TestOutboxWaitsForServer(t *testing.T) {
	addr := freeAddr(t) // nothing listens yet
	var logs syncBuffer
	clk := newClock()
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"), newSender(t, Config{Addr: addr, TLS: TLSNone}), clk,
		slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := t.Context()
	if err := o.Enqueue(ctx, "notif-deadline/1", alert); err != nil {
		t.Fatal(err)
	}

	err := flush(t, o, 0, true) // server down
	if !strings.Contains(err.Error(), "notif-deadline/1") {
		t.Errorf("error %q does not name the key", err)
	}
	if n := pendingCount(t, o); n != 1 {
		t.Fatalf("%d pending after a failed Flush, want 1", n)
	}

	be := &backend{}
	startServer(t, be, serverOpts{addr: addr})
	flush(t, o, 0, false) // not due before RetryMin
	clk.advance(RetryMin)
	flush(t, o, 1, false)
	clk.advance(RetryMax)
	flush(t, o, 0, false)
	if err := o.Enqueue(ctx, "notif-deadline/1", alert); err != nil { // already sent: no-op
		t.Fatal(err)
	}
	flush(t, o, 0, false)

	if msgs := be.messages(); len(msgs) != 1 {
		t.Fatalf("server got %d messages, want exactly 1", len(msgs))
	} else if p := parse(t, msgs[0].Data); p.Subject != alert.Subject {
		t.Errorf("Subject %q", p.Subject)
	}
	if n := pendingCount(t, o); n != 0 {
		t.Errorf("%d pending, want 0", n)
	}
	if l := logs.String(); !strings.Contains(l, "notif-deadline/1") || strings.Contains(l, "nuria") || strings.Contains(l, "termini") {
		t.Errorf("log must name the key and nothing personal:\n%s", l)
	}
}

func TestOutboxSameKeySentOnce(t *testing.T) {
	be := &backend{}
	addr := startServer(t, be, serverOpts{})
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"), newSender(t, Config{Addr: addr, TLS: TLSNone}), newClock(), nil)
	ctx := t.Context()
	second := alert
	second.Subject = "Una altra"
	for _, e := range []struct {
		key string
		m   Message
	}{{"notif-deadline/7", alert}, {"notif-deadline/7", second}, {"notif-deadline/8", second}} {
		if err := o.Enqueue(ctx, e.key, e.m); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, o, 2, false)
	msgs := be.messages()
	if len(msgs) != 2 {
		t.Fatalf("server got %d messages, want 2", len(msgs))
	}
	if p := parse(t, msgs[0].Data); p.Subject != alert.Subject {
		t.Errorf("key 7 sent with Subject %q, want the first one enqueued", p.Subject)
	}
}

func TestOutboxReopen(t *testing.T) {
	addr := freeAddr(t)
	path := filepath.Join(t.TempDir(), "outbox.db")
	s := newSender(t, Config{Addr: addr, TLS: TLSNone})
	clk := newClock()
	ctx := t.Context()

	o := openOutbox(t, path, s, clk, nil)
	for _, k := range []string{"notif/a", "notif/b"} {
		if err := o.Enqueue(ctx, k, alert); err != nil {
			t.Fatal(err)
		}
	}
	// The relay is down: Flush stops at the first message.
	if err := flush(t, o, 0, true); !strings.Contains(err.Error(), "2 of 2") {
		t.Errorf("error %q, want both messages counted", err)
	}
	closeOutbox(t, o)

	be := &backend{}
	startServer(t, be, serverOpts{addr: addr})
	clk.advance(RetryMin)
	o = openOutbox(t, path, s, clk, nil)
	if n := pendingCount(t, o); n != 2 {
		t.Fatalf("%d pending after reopening, want 2", n)
	}
	flush(t, o, 2, false)
	closeOutbox(t, o)

	o = openOutbox(t, path, s, clk, nil)
	if err := o.Enqueue(ctx, "notif/a", alert); err != nil {
		t.Fatal(err)
	}
	if n := pendingCount(t, o); n != 0 {
		t.Errorf("a sent key was enqueued again after reopening (%d pending)", n)
	}
	flush(t, o, 0, false)
	if n := len(be.messages()); n != 2 {
		t.Errorf("server got %d messages, want 2", n)
	}
}

func TestOutboxDropsRefused(t *testing.T) {
	be := &backend{refuse: "nobody@example.cat"}
	addr := startServer(t, be, serverOpts{})
	var logs syncBuffer
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"), newSender(t, Config{Addr: addr, TLS: TLSNone}), newClock(),
		slog.New(slog.NewJSONHandler(&logs, nil)))
	m := Message{To: "nobody@example.cat", Subject: "Hola", Text: "cos-privat"}
	if err := o.Enqueue(t.Context(), "notif/refused", m); err != nil {
		t.Fatal(err)
	}
	if err := o.Enqueue(t.Context(), "notif/this-one-goes", alert); err != nil {
		t.Fatal(err)
	}
	err := flush(t, o, 1, true) // a refused recipient does not hold back the next message
	var re *ReplyError
	if !errors.As(err, &re) || re.Command != "RCPT" {
		t.Fatalf("err = %v, want the RCPT refusal", err)
	}
	if n := pendingCount(t, o); n != 0 {
		t.Errorf("%d pending, want the refused message dropped", n)
	}
	if err := o.Enqueue(t.Context(), "notif/refused", m); err != nil || pendingCount(t, o) != 0 {
		t.Errorf("a dropped key was enqueued again (%v)", err)
	}
	l := logs.String()
	if !strings.Contains(l, "notif/refused") || !strings.Contains(l, "RCPT") {
		t.Errorf("log lacks the key or the error:\n%s", l)
	}
	if strings.Contains(l, "nobody") || strings.Contains(l, "cos-privat") {
		t.Errorf("log shows personal data:\n%s", l)
	}
}

func TestOutboxGivesUp(t *testing.T) {
	clk := newClock()
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"), newSender(t, Config{Addr: freeAddr(t), TLS: TLSNone}), clk, nil)
	if err := o.Enqueue(t.Context(), "notif/old", alert); err != nil {
		t.Fatal(err)
	}
	flush(t, o, 0, true)
	clk.advance(GiveUpAfter)
	flush(t, o, 0, true)
	if n := pendingCount(t, o); n != 0 {
		t.Errorf("%d pending after GiveUpAfter, want 0", n)
	}
}

func TestOutboxForgetsOldKeys(t *testing.T) {
	be := &backend{}
	addr := startServer(t, be, serverOpts{})
	clk := newClock()
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"), newSender(t, Config{Addr: addr, TLS: TLSNone}), clk, nil)
	ctx := t.Context()
	if err := o.Enqueue(ctx, "notif/k", alert); err != nil {
		t.Fatal(err)
	}
	flush(t, o, 1, false)
	clk.advance(KeepDone - time.Hour)
	flush(t, o, 0, false)
	if err := o.Enqueue(ctx, "notif/k", alert); err != nil || pendingCount(t, o) != 0 {
		t.Fatalf("key forgotten before KeepDone (%v)", err)
	}
	clk.advance(2 * time.Hour)
	flush(t, o, 0, false) // prunes the marker
	if err := o.Enqueue(ctx, "notif/k", alert); err != nil || pendingCount(t, o) != 1 {
		t.Fatalf("key still remembered after KeepDone (%v)", err)
	}
}

func TestOutboxEnqueueRefuses(t *testing.T) {
	o := openOutbox(t, filepath.Join(t.TempDir(), "outbox.db"), newSender(t, Config{Addr: freeAddr(t), TLS: TLSNone}), newClock(), nil)
	bad := alert
	bad.To = "nuria@example.cat\r\nBcc: spy@evil.example"
	for name, tc := range map[string]struct {
		key string
		m   Message
	}{
		"empty key":       {"", alert},
		"key with LF":     {"notif/1\nx", alert},
		"long key":        {strings.Repeat("k", MaxKeyBytes+1), alert},
		"invalid message": {"notif/1", bad},
	} {
		t.Run(name, func(t *testing.T) {
			if err := o.Enqueue(t.Context(), tc.key, tc.m); !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("err = %v, want ErrInvalidMessage", err)
			}
		})
	}
	if n := pendingCount(t, o); n != 0 {
		t.Errorf("%d pending, want 0", n)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "x.db"), nil, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("Open without a Sender: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {9, 256 * time.Minute}, {10, RetryMax}, {1000, RetryMax}} {
		if got := backoff(tc.n); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}
