package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/espai/espai/internal/mail"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/wallet"
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

// mailTexts are the alert e-mails, by language and kind: subject and body
// (the body's last %s is the space's address). They name the sending
// administration and a deadline at most, never a notification's subject or
// body, a procedure's title or a credential's data (which only the
// citizen's wallet can read), and send the citizen to their space.
var mailTexts = map[string]map[string][2]string{
	"ca": {
		mailKeyNew:             {"Tens una notificació de %s", "%s t'ha enviat una notificació oficial.\n\nTens fins al %s per acceptar-la o rebutjar-la al teu espai: %s/notifications\nSi no hi entres abans, es considerarà rebutjada.\n"},
		AlertDeadline:          {"Queden pocs dies: notificació de %s", "La notificació de %s caduca el %s.\n\nEntra al teu espai per acceptar-la o rebutjar-la: %s/notifications\n"},
		AlertInfoNeeded:        {"%s necessita més informació", "%s necessita més informació per a un dels teus tràmits.\n\nMira-ho al teu espai: %s/procedures\n"},
		AlertCredentialRevoked: {"%s ha revocat o suspès una credencial teva", "%s ha revocat o suspès una de les teves credencials; ja no es pot fer servir.\n\nEl motiu és al teu espai: %s/credentials\n"},
		AlertNewDevice:         {"Nou accés al teu espai", "S'ha entrat al teu espai des d'un dispositiu nou (%s) el %s.\n\nSi no has estat tu, canvia la contrasenya i tanca la sessió: %s/sessions\n"},
	},
	"es": {
		mailKeyNew:             {"Tienes una notificación de %s", "%s te ha enviado una notificación oficial.\n\nTienes hasta el %s para aceptarla o rechazarla en tu espacio: %s/notifications\nSi no accedes antes, se considerará rechazada.\n"},
		AlertDeadline:          {"Quedan pocos días: notificación de %s", "La notificación de %s caduca el %s.\n\nEntra en tu espacio para aceptarla o rechazarla: %s/notifications\n"},
		AlertInfoNeeded:        {"%s necesita más información", "%s necesita más información para uno de tus trámites.\n\nConsúltalo en tu espacio: %s/procedures\n"},
		AlertCredentialRevoked: {"%s ha revocado o suspendido una credencial tuya", "%s ha revocado o suspendido una de tus credenciales; ya no se puede usar.\n\nEl motivo está en tu espacio: %s/credentials\n"},
		AlertNewDevice:         {"Nuevo acceso a tu espacio", "Se ha accedido a tu espacio desde un dispositivo nuevo (%s) el %s.\n\nSi no has sido tú, cambia la contraseña y cierra la sesión: %s/sessions\n"},
	},
	"en": {
		mailKeyNew:             {"You have a notification from %s", "%s has sent you an official notification.\n\nYou have until %s to accept or reject it in your space: %s/notifications\nIf you do not open it before then, it counts as rejected.\n"},
		AlertDeadline:          {"A few days left: notification from %s", "The notification from %s expires on %s.\n\nOpen your space to accept or reject it: %s/notifications\n"},
		AlertInfoNeeded:        {"%s needs more information", "%s needs more information for one of your procedures.\n\nSee it in your space: %s/procedures\n"},
		AlertCredentialRevoked: {"%s has revoked or suspended a credential of yours", "%s has revoked or suspended one of your credentials; it can no longer be used.\n\nThe reason is in your space: %s/credentials\n"},
		AlertNewDevice:         {"New login to your space", "Someone logged in to your space from a new device (%s) on %s.\n\nIf it was not you, change your passphrase and end that session: %s/sessions\n"},
	},
}

// mailKeyNew is the e-mail of a new notification (muted with the
// notification deadline alerts).
const mailKeyNew = "notification_new"

// mailNotice queues the e-mail of kind k about n. Each (kind, notification)
// is sent at most once (the outbox key).
func (a *App) mailNotice(ctx context.Context, n tracking.Notification, k mailKind) {
	sender := a.adminName(ctx, n.Administration)
	deadline := n.Deadline.In(madrid).Format("02/01/2006 15:04")
	kind, key := mailKeyNew, "notification-new/"+n.Key
	if k == mailDeadline {
		kind, key = AlertDeadline, "notification-deadline/"+n.Key
	}
	a.mailAlert(ctx, n.Citizen, kind, key, sender, deadline)
}

// mailAlert queues the alert e-mail of kind for citizen when they gave an
// address and have not muted that kind (a new notification goes with the
// deadline alerts); args fill the texts before the space's address. key
// makes it once only. Failures are logged, never returned: the in-app alert
// is the record.
func (a *App) mailAlert(ctx context.Context, citizen, kind, key string, args ...string) {
	if a.Mail == nil {
		return
	}
	c, err := a.Tracking.Contact(ctx, citizen)
	if err != nil || c == nil {
		if err != nil {
			a.log.Warn("alert e-mail: contact unreadable", "err", err.Error())
		}
		return
	}
	muteKind := kind
	if kind == mailKeyNew {
		muteKind = AlertDeadline
	}
	if slices.Contains(c.Muted, muteKind) {
		return
	}
	texts, ok := mailTexts[c.Lang]
	if !ok {
		texts = mailTexts["ca"]
	}
	t := texts[kind]
	vals := make([]any, 0, len(args)+1)
	for _, v := range args {
		vals = append(vals, v)
	}
	m := mail.Message{To: c.Email, Lang: c.Lang, Subject: fmt.Sprintf(t[0], vals[0]), Text: fmt.Sprintf(t[1], append(vals, a.publicBase)...)}
	if err := a.Mail.Enqueue(ctx, key, m); err != nil {
		a.log.Warn("alert e-mail not queued", "key", key, "err", err.Error())
	}
}

// adminName is an administration's official name, or its id.
func (a *App) adminName(ctx context.Context, id string) string {
	if adm, err := a.Issuer.Administration(ctx, id); err == nil {
		return adm.Name
	}
	return id
}

// SetAlertEmail stores where the citizen wants alert e-mails (empty: none)
// with the alert kinds they muted, so e-mails sent while their wallet is
// sealed follow the same choice.
func (a *App) SetAlertEmail(ctx context.Context, s *wallet.Session, email, lang string) error {
	if err := a.Tracking.SetContact(ctx, s.CitizenID(), email, lang); err != nil {
		return err
	}
	return a.syncMailMutes(ctx, s)
}

// syncMailMutes copies the muted alert kinds from the wallet to the
// e-mail contact.
func (a *App) syncMailMutes(ctx context.Context, s *wallet.Session) error {
	events, _, err := s.Activity(ctx, 0)
	if err != nil {
		return err
	}
	var kinds []string
	for _, k := range AlertKinds {
		if MutedKinds(events)[k] {
			kinds = append(kinds, k)
		}
	}
	return a.Tracking.SetMuted(ctx, s.CitizenID(), kinds)
}
