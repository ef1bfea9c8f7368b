package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Madrid on machines without a zoneinfo database
	"unicode/utf8"

	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/wallet"
)

// Wallet events of procedures, notifications and logins. Their text (titles,
// notes, subjects, bodies) lives only in the citizen's wallet; the tracking
// store keeps the state administrations act on.
const (
	// EventProcedure is a procedure's status change. Fields: key,
	// administration, ref, title, status, note.
	EventProcedure wallet.EventKind = "procedure_update"
	// EventNotification is an official notification deposited for the
	// citizen. Fields: key, administration, ref, subject, body, deadline.
	EventNotification wallet.EventKind = "notification"
	// EventNotificationState is a change of a notification's state (the
	// citizen read, accepted or rejected it, or it expired). Fields: key, state.
	EventNotificationState wallet.EventKind = "notification_state"
)

// Limits of the text administrations send.
const (
	maxTitle = 200
	maxNote  = 2000
	maxBody  = 4000
)

func checkText(name, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return fmt.Errorf("%w: %s is required", tracking.ErrInvalid, name)
	case !utf8.ValidString(v) || utf8.RuneCountInString(v) > max:
		return fmt.Errorf("%w: %s must be UTF-8 text of at most %d characters", tracking.ErrInvalid, name, max)
	}
	return nil
}

// ProcedureUpdate is what an administration says about a procedure.
type ProcedureUpdate struct {
	Administration string
	Ref            string // the administration's file number
	Citizen        string
	Status         tracking.Status
	Title          string // required when the procedure is submitted
	Note           string // what the citizen should know or do now
	Time           time.Time
}

// UpdateProcedure records a procedure's status and tells the citizen's
// wallet. Repeating the current status changes nothing.
func (a *App) UpdateProcedure(ctx context.Context, u ProcedureUpdate) (*tracking.Procedure, error) {
	if err := errors.Join(checkText("title", u.Title, maxTitle, u.Status == tracking.Submitted), checkText("note", u.Note, maxNote, false)); err != nil {
		return nil, err
	}
	if _, err := a.Wallet.PublicKeys(ctx, u.Citizen); err != nil {
		return nil, err
	}
	p, _, err := a.Tracking.UpdateProcedure(ctx, u.Administration, u.Ref, u.Citizen, u.Status, u.Time)
	if err != nil {
		return p, err
	}
	step := p.Steps[len(p.Steps)-1]
	if step.Delivered {
		return p, nil // a retry of a step the citizen already has
	}
	// The step is stored: finish its delivery even if the caller goes away,
	// and mark it, so that a retry after a failure delivers it again.
	ctx = context.WithoutCancel(ctx)
	if err := a.notify(ctx, u.Citizen, u.Administration, wallet.Event{Kind: EventProcedure, Time: step.Time, Actor: u.Administration,
		Fields: map[string]string{"key": p.Key, "administration": u.Administration, "ref": u.Ref, "title": u.Title, "status": string(step.Status), "note": u.Note}}); err != nil {
		return nil, fmt.Errorf("procedure %s stored, not yet delivered (retry the same update): %w", u.Ref, err)
	}
	if err := a.Tracking.MarkDelivered(ctx, p.Key); err != nil {
		return nil, err
	}
	p.Steps[len(p.Steps)-1].Delivered = true
	if step.Status == tracking.InfoNeeded {
		a.mailAlert(ctx, u.Citizen, AlertInfoNeeded, fmt.Sprintf("procedure-info/%s/%d", p.Key, len(p.Steps)), a.adminName(ctx, u.Administration))
	}
	return p, nil
}

// NotificationDeposit is an official notification an administration sends.
type NotificationDeposit struct {
	Administration string
	Ref            string
	Citizen        string
	Subject        string
	Body           string
	Time           time.Time
}

// DepositNotification records a notification, puts its text in the
// citizen's wallet and, when the citizen asked for e-mail alerts, queues a
// notice (that says only who sent it and the deadline).
func (a *App) DepositNotification(ctx context.Context, d NotificationDeposit) (*tracking.Notification, error) {
	if err := errors.Join(checkText("subject", d.Subject, maxTitle, true), checkText("body", d.Body, maxBody, true)); err != nil {
		return nil, err
	}
	if _, err := a.Wallet.PublicKeys(ctx, d.Citizen); err != nil {
		return nil, err
	}
	n, _, err := a.Tracking.Deposit(ctx, d.Administration, d.Ref, d.Citizen, d.Time)
	if err != nil || n.Delivered {
		return n, err // an error, or a retry of a notification the citizen has
	}
	// Stored: finish the delivery even if the caller goes away; a retry after
	// a failed delivery delivers again (the wallet keeps the first copy).
	ctx = context.WithoutCancel(ctx)
	err = a.notify(ctx, d.Citizen, d.Administration, wallet.Event{Kind: EventNotification, Time: n.Deposited, Actor: d.Administration,
		Fields: map[string]string{"key": n.Key, "administration": d.Administration, "ref": d.Ref, "subject": d.Subject, "body": d.Body,
			"deadline": n.Deadline.Format(time.RFC3339)}})
	if err != nil {
		return nil, fmt.Errorf("notification %s stored, not yet delivered (retry the same deposit): %w", d.Ref, err)
	}
	if err := a.Tracking.MarkDelivered(ctx, n.Key); err != nil {
		return nil, err
	}
	n.Delivered = true
	a.mailNotice(ctx, *n, mailNew)
	return n, nil
}

// ActOnNotification records the citizen reading, accepting or rejecting a
// notification, in the tracking store (authoritative for the
// administration) and in the citizen's feed.
func (a *App) ActOnNotification(ctx context.Context, s *wallet.Session, key string, to tracking.State) (*tracking.Notification, error) {
	return a.actOnNotification(ctx, s, key, to, a.now())
}

func (a *App) actOnNotification(ctx context.Context, s *wallet.Session, key string, to tracking.State, at time.Time) (*tracking.Notification, error) {
	n, changed, err := a.Tracking.ActAt(ctx, s.CitizenID(), key, to, at)
	if err != nil || !changed {
		return n, err
	}
	_, err = s.RecordEvent(ctx, wallet.Event{Kind: EventNotificationState, Time: at, Actor: wallet.ActorCitizen,
		Fields: map[string]string{"key": key, "state": string(to)}})
	return n, err
}

// Login is a login to a public digital service, reported by the service.
type Login struct {
	Administration string
	Citizen        string
	Service        string // "Seu electrònica", "La Meva Salut"
	Method         string // "idCAT Mòbil", "certificat digital", "Cl@ve"
	Device         string // "Android · Chrome"
	Time           time.Time
}

// RecordLogin puts a login to another service in the citizen's feed, where
// the login history and the new-device alert read it.
func (a *App) RecordLogin(ctx context.Context, l Login) error {
	l.Device = NormalizeDevice(l.Device)
	if err := errors.Join(checkText("service", l.Service, 100, true), checkText("method", l.Method, 100, true), checkText("device", l.Device, 100, true)); err != nil {
		return err
	}
	if l.Time.IsZero() {
		l.Time = a.now()
	}
	if l.Time.After(a.now().Add(5 * time.Minute)) {
		return fmt.Errorf("%w: the login time is in the future", tracking.ErrInvalid)
	}
	return a.notify(ctx, l.Citizen, l.Administration, wallet.Event{Kind: wallet.EventLogin, Time: l.Time.UTC(), Actor: l.Administration,
		Fields: map[string]string{"service": l.Service, "method": l.Method, "device": l.Device, "administration": l.Administration}})
}

// ProcedureView is one of the citizen's procedures as the citizen sees it:
// the administration's text from the wallet, each step with its note.
type ProcedureView struct {
	Key            string
	Administration string
	Ref            string
	Title          string
	Status         tracking.Status
	Steps          []ProcedureStep
	Updated        time.Time
}

// ProcedureStep is one status of a procedure's timeline.
type ProcedureStep struct {
	Status tracking.Status
	Time   time.Time
	Note   string
}

// NotificationView is one of the citizen's notifications.
type NotificationView struct {
	Key            string
	Administration string
	Ref            string
	Subject        string
	Body           string
	Deposited      time.Time
	Deadline       time.Time
	State          tracking.State
	ClosedAt       time.Time
}

// Open reports whether the citizen can still accept or reject it.
func (n NotificationView) Open() bool { return n.State == tracking.Pending || n.State == tracking.Read }

// CitizenTracking folds the citizen's feed into their procedures and notifications,
// most recent first; notification states come from the tracking store.
func (a *App) CitizenTracking(ctx context.Context, s *wallet.Session) ([]ProcedureView, []NotificationView, error) {
	events, _, err := s.Activity(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	return a.fold(ctx, s.CitizenID(), events)
}

func (a *App) fold(ctx context.Context, citizen string, events []wallet.Event) ([]ProcedureView, []NotificationView, error) {
	procs := map[string]*ProcedureView{}
	notes := map[string]*NotificationView{}
	for i := len(events) - 1; i >= 0; i-- { // oldest first
		e := events[i]
		f := e.Fields
		switch e.Kind {
		case EventProcedure:
			p := procs[f["key"]]
			if p == nil {
				p = &ProcedureView{Key: f["key"], Administration: f["administration"], Ref: f["ref"], Title: f["title"]}
				procs[p.Key] = p
			}
			st := tracking.Status(f["status"])
			if n := len(p.Steps); n > 0 && p.Steps[n-1].Status == st {
				continue // a repeated delivery
			}
			p.Steps = append(p.Steps, ProcedureStep{Status: st, Time: e.Time, Note: f["note"]})
			p.Status, p.Updated = st, e.Time
		case EventNotification:
			if notes[f["key"]] != nil {
				continue
			}
			deadline, _ := time.Parse(time.RFC3339, f["deadline"])
			notes[f["key"]] = &NotificationView{Key: f["key"], Administration: f["administration"], Ref: f["ref"], Subject: f["subject"],
				Body: f["body"], Deposited: e.Time, Deadline: deadline, State: tracking.Pending}
		}
	}
	// The store is authoritative for notification states.
	_, stored, err := a.Tracking.Of(ctx, citizen)
	if err != nil {
		return nil, nil, err
	}
	now := a.now()
	for _, n := range stored {
		if v := notes[n.Key]; v != nil {
			v.State, v.Deadline, v.ClosedAt = n.StateAt(now), n.Deadline, n.ClosedAt
			if v.State == tracking.Expired && v.ClosedAt.IsZero() {
				v.ClosedAt = n.Deadline
			}
		}
	}
	ps := make([]ProcedureView, 0, len(procs))
	for _, p := range procs {
		ps = append(ps, *p)
	}
	ns := make([]NotificationView, 0, len(notes))
	for _, n := range notes {
		ns = append(ns, *n)
	}
	slices.SortFunc(ps, func(x, y ProcedureView) int { return y.Updated.Compare(x.Updated) })
	slices.SortFunc(ns, func(x, y NotificationView) int { return y.Deposited.Compare(x.Deposited) })
	return ps, ns, nil
}

// SweepTracking closes notifications whose ten days have passed (telling
// the citizen's wallet) and queues deadline reminders for those with less
// than three days left. `espai serve` runs it every minute.
func (a *App) SweepTracking(ctx context.Context) error {
	expired, err := a.Tracking.Sweep(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range expired {
		errs = append(errs, a.notify(ctx, n.Citizen, n.Administration, wallet.Event{Kind: EventNotificationState, Time: n.Deadline, Actor: wallet.ActorWallet,
			Fields: map[string]string{"key": n.Key, "state": string(tracking.Expired)}}))
	}
	due, err := a.Tracking.DueBefore(ctx, a.now().Add(DeadlineSoon))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, n := range due {
		a.mailNotice(ctx, n, mailDeadline)
	}
	return errors.Join(errs...)
}

// DeadlineSoon is how close a notification's deadline must be to alert.
const DeadlineSoon = 3 * 24 * time.Hour

// madrid is Catalonia's time zone, in which dates are shown to citizens.
var madrid = func() *time.Location {
	l, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		panic(err) // embedded by time/tzdata
	}
	return l
}()

// Local is t in Catalonia's time zone, for display.
func Local(t time.Time) time.Time { return t.In(madrid) }
