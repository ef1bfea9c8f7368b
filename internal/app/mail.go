package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/espai/espai/internal/mail"
	"github.com/espai/espai/internal/tracking"
)

// Mailer queues alert e-mails; *mail.Outbox is the real one (durable, sent
// by its Flush). Nil: alerts are shown in the citizen's space only.
type Mailer interface {
	Enqueue(ctx context.Context, key string, m mail.Message) error
}

// AttachMail makes the deployment send alert e-mails through an SMTP relay:
// messages are queued durably in DATA/outbox.db and sent by Sweep.
func (a *App) AttachMail(cfg mail.Config) error {
	sender, err := mail.New(cfg)
	if err != nil {
		return err
	}
	o, err := mail.Open(a.Layout.OutboxDB(), sender, a.log)
	if err != nil {
		return err
	}
	a.outbox, a.Mail = o, o
	a.closers = append(a.closers, o.Close)
	return nil
}

// Sweep does the deployment's periodic work: drops disclosed claims past
// their retention, closes expired notifications and queues deadline
// reminders, delivers ledger receipts still owed to wallets, and sends
// queued e-mails. `espai serve` runs it every minute.
func (a *App) Sweep(ctx context.Context) error {
	var errs []error
	if n, err := a.Verifier.Purge(ctx); err != nil {
		errs = append(errs, fmt.Errorf("verifier purge: %w", err))
	} else if n > 0 {
		a.log.Info("verifier purge", "requests", n)
	}
	if err := a.SweepTracking(ctx); err != nil {
		errs = append(errs, fmt.Errorf("tracking sweep: %w", err))
	}
	if _, _, err := a.settleOwed(ctx); err != nil {
		errs = append(errs, fmt.Errorf("owed receipts: %w", err))
	}
	if a.outbox != nil {
		if n, err := a.outbox.Flush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("alert e-mails (%d sent, the rest retried later): %w", n, err))
		}
	}
	return errors.Join(errs...)
}

type mailKind int

const (
	mailNew mailKind = iota
	mailDeadline
)

// mailTexts are the alert e-mails: they name the sender and the deadline,
// never the subject or body of a notification (which only the citizen's
// wallet can read), and send the citizen to their space.
var mailTexts = map[string][2][2]string{
	"ca": {
		{"Tens una notificació de %s", "%s t'ha enviat una notificació oficial.\n\nTens fins al %s per acceptar-la o rebutjar-la al teu espai: %s/notifications\nSi no hi entres abans, es considerarà rebutjada.\n"},
		{"Queden pocs dies: notificació de %s", "La notificació de %s caduca el %s.\n\nEntra al teu espai per acceptar-la o rebutjar-la: %s/notifications\n"},
	},
	"es": {
		{"Tienes una notificación de %s", "%s te ha enviado una notificación oficial.\n\nTienes hasta el %s para aceptarla o rechazarla en tu espacio: %s/notifications\nSi no accedes antes, se considerará rechazada.\n"},
		{"Quedan pocos días: notificación de %s", "La notificación de %s caduca el %s.\n\nEntra en tu espacio para aceptarla o rechazarla: %s/notifications\n"},
	},
	"en": {
		{"You have a notification from %s", "%s has sent you an official notification.\n\nYou have until %s to accept or reject it in your space: %s/notifications\nIf you do not open it before then, it counts as rejected.\n"},
		{"A few days left: notification from %s", "The notification from %s expires on %s.\n\nOpen your space to accept or reject it: %s/notifications\n"},
	},
}

// mailNotice queues the e-mail of kind k about n when the citizen gave an
// address. Each (kind, notification) is sent at most once (the outbox key).
// Failures are logged, never returned: the in-app alert is the record.
func (a *App) mailNotice(ctx context.Context, n tracking.Notification, k mailKind) {
	if a.Mail == nil {
		return
	}
	c, err := a.Tracking.Contact(ctx, n.Citizen)
	if err != nil || c == nil {
		if err != nil {
			a.log.Warn("alert e-mail: contact unreadable", "err", err.Error())
		}
		return
	}
	texts, ok := mailTexts[c.Lang]
	if !ok {
		texts = mailTexts["ca"]
	}
	sender := n.Administration
	if adm, err := a.Issuer.Administration(ctx, n.Administration); err == nil {
		sender = adm.Name
	}
	t := texts[k]
	deadline := n.Deadline.In(madrid).Format("02/01/2006 15:04")
	key := [...]string{"notification-new/", "notification-deadline/"}[k] + n.Key
	m := mail.Message{To: c.Email, Lang: c.Lang, Subject: fmt.Sprintf(t[0], sender), Text: fmt.Sprintf(t[1], sender, deadline, a.publicBase)}
	if err := a.Mail.Enqueue(ctx, key, m); err != nil {
		a.log.Warn("alert e-mail not queued", "key", key, "err", err.Error())
	}
}
