package app

import (
	"context"
	"io"
	"log"
	"mime"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/espai/espai/internal/mail"
	"github.com/espai/espai/internal/tracking"
)

// inbox is a real SMTP server on 127.0.0.1 that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	msgs []string
}

func (b *inbox) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return &inboxSession{b: b}, nil }

type inboxSession struct{ b *inbox }

func (s *inboxSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (s *inboxSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, string(raw))
	s.b.mu.Unlock()
	return err
}
func (s *inboxSession) Reset()        {}
func (s *inboxSession) Logout() error { return nil }

// about returns the messages whose subject names sender.
func (b *inbox) about(t *testing.T, sender string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.msgs {
		if strings.Contains(subjectOf(t, m), sender) {
			out = append(out, m)
		}
	}
	return out
}

func startInbox(t *testing.T) (*inbox, string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &inbox{}
	s := gosmtp.NewServer(b)
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close(); <-done })
	return b, l.Addr().String()
}

func subjectOf(t *testing.T, msg string) string {
	m, err := netmail.ReadMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNotificationAlertsByEmail(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	var mu sync.Mutex
	o := testOptions(t)
	o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	box, addr := startInbox(t)
	if err := a.AttachMail(mail.Config{Addr: addr, From: "avisos@espai.example.cat", TLS: mail.TLSNone}); err != nil {
		t.Fatal(err)
	}
	if err := a.Tracking.SetContact(ctx, laia, "laia.puig@example.cat", "ca"); err != nil {
		t.Fatal(err)
	}
	if err := a.Tracking.SetContact(ctx, laia, "laia puig <x@y>", "ca"); err == nil {
		t.Fatal("a display-name address was accepted as a contact")
	}
	// (Laia's demo space already has a notification from the tax agency
	// closing within three days: its reminder goes out too.)
	const girona = "Ajuntament de Girona"
	const subject = "Requeriment de documentació confidencial"
	if _, err := a.DepositNotification(ctx, NotificationDeposit{Administration: "ajuntament-girona", Ref: "GI-NOT-1", Citizen: laia,
		Subject: subject, Body: "Cos de la notificació."}); err != nil {
		t.Fatal(err)
	}
	// Nothing leaves before the periodic work runs; then exactly one e-mail.
	if len(box.about(t, girona)) != 0 {
		t.Fatal("sent before Sweep")
	}
	for range 2 {
		if err := a.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r := box.about(t, "Agència Tributària de Catalunya"); len(r) != 1 || !strings.HasPrefix(subjectOf(t, r[0]), "Queden pocs dies") {
		t.Fatalf("%d reminders of the demo tax notification", len(r))
	}
	msgs := box.about(t, girona)
	if len(msgs) != 1 {
		t.Fatalf("%d e-mails after deposit, want 1", len(msgs))
	}
	if got := subjectOf(t, msgs[0]); got != "Tens una notificació de Ajuntament de Girona" {
		t.Fatalf("subject %q", got)
	}
	if strings.Contains(msgs[0], "confidencial") || strings.Contains(msgs[0], "Cos de la notificaci") {
		t.Fatal("the e-mail carries the notification's subject or body")
	}
	// Eight days later: one reminder, once.
	mu.Lock()
	now = now.Add(8 * 24 * time.Hour)
	mu.Unlock()
	for range 2 {
		if err := a.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if msgs = box.about(t, girona); len(msgs) != 2 || !strings.HasPrefix(subjectOf(t, msgs[1]), "Queden pocs dies") {
		t.Fatalf("%d e-mails after eight days", len(msgs))
	}
	// After the deadline the notification closes as expired; no more e-mail.
	mu.Lock()
	now = now.Add(3 * 24 * time.Hour)
	mu.Unlock()
	if err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := a.Tracking.Notification(ctx, "ajuntament-girona", "GI-NOT-1")
	if err != nil || n.State != tracking.Expired || len(box.about(t, girona)) != 2 {
		t.Fatalf("after the deadline: %+v %v, %d e-mails", n, err, len(box.about(t, girona)))
	}
	// The citizen's wallet learnt of the expiry.
	s := unlock(t, a, laia, "laia-demo-2026")
	_, notes, err := a.CitizenTracking(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range notes {
		if v.Ref == "GI-NOT-1" && v.State != tracking.Expired {
			t.Fatalf("citizen sees %s", v.State)
		}
	}
}
