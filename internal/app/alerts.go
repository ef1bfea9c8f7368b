package app

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
)

// Alert kinds. Each is computed from the citizen's own space (credentials,
// activity, receipts) when the space is open: nothing is profiled centrally.
const (
	AlertCredentialExpiring = "credential_expiring" // params: type, date
	AlertCredentialExpired  = "credential_expired"  // params: type, date
	AlertCredentialRevoked  = "credential_revoked"  // params: type, reason
	AlertNewDevice          = "new_device"          // params: device, time
	AlertAccessNoConsent    = "access_without_consent"
	AlertNewAddress         = "life_new_address"      // params: municipality
	AlertDegreeAwarded      = "life_degree"           // params: degree title
	AlertFamilySupport      = "life_family_support"   // params: programme
	AlertDeadline           = "notification_deadline" // params: administration, subject, deadline
	AlertInfoNeeded         = "procedure_info_needed" // params: administration, title, note
)

// AlertKinds lists every kind, for the preferences page.
var AlertKinds = []string{AlertDeadline, AlertInfoNeeded, AlertCredentialExpiring, AlertCredentialExpired, AlertCredentialRevoked, AlertNewDevice,
	AlertAccessNoConsent, AlertNewAddress, AlertDegreeAwarded, AlertFamilySupport}

// Wallet events that mute and unmute an alert kind (field "kind").
const (
	EventAlertMuted   wallet.EventKind = "alert_muted"
	EventAlertUnmuted wallet.EventKind = "alert_unmuted"
)

// Alert is one thing that needs the citizen's attention, with why it is
// shown (Params fill the kind's sentence in the citizen's language).
type Alert struct {
	Kind     string
	Urgent   bool
	Params   []string
	Link     string
	Sort     time.Time
	Muteable bool
}

// Alerts computes the citizen's alerts now. Muted kinds are left out.
func (a *App) Alerts(ctx context.Context, s *wallet.Session) ([]Alert, error) {
	now := a.now()
	events, _, err := s.Activity(ctx, 0) // newest first
	if err != nil {
		return nil, err
	}
	muted := MutedKinds(events)
	var out []Alert
	add := func(al Alert) {
		if !muted[al.Kind] {
			al.Muteable = true
			out = append(out, al)
		}
	}
	creds, _, err := s.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range creds {
		switch {
		case c.ExpiresAt.IsZero():
		case !c.ExpiresAt.After(now):
			add(Alert{Kind: AlertCredentialExpired, Urgent: c.Type == credential.Tax, Params: []string{string(c.Type), Local(c.ExpiresAt).Format("02/01/2006")}, Link: "/credentials/" + c.ID, Sort: c.ExpiresAt})
		case c.ExpiresAt.Before(now.Add(30 * 24 * time.Hour)):
			add(Alert{Kind: AlertCredentialExpiring, Urgent: c.Type == credential.Tax, Params: []string{string(c.Type), Local(c.ExpiresAt).Format("02/01/2006")}, Link: "/credentials/" + c.ID, Sort: c.ExpiresAt})
		}
	}
	// Revocations the issuers told the wallet about, and logins.
	var lastLogin *wallet.Event
	seen := map[string]bool{}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		switch e.Kind {
		case wallet.EventCredentialRevoked:
			add(Alert{Kind: AlertCredentialRevoked, Urgent: true, Params: []string{e.Fields["type"], e.Fields["reason"]}, Link: "/credentials", Sort: e.Time})
		case wallet.EventLogin:
			d := NormalizeDevice(e.Fields["device"])
			if d != "" && len(seen) > 0 && !seen[d] {
				ev := e
				lastLogin = &ev
			}
			seen[d] = true
		}
	}
	if lastLogin != nil && now.Sub(lastLogin.Time) < 7*24*time.Hour {
		add(Alert{Kind: AlertNewDevice, Urgent: true, Params: []string{NormalizeDevice(lastLogin.Fields["device"]), Local(lastLogin.Time).Format("02/01/2006 15:04")}, Link: "/sessions", Sort: lastLogin.Time})
	}
	// Notifications about to expire and procedures waiting for the citizen.
	procs, notes, err := a.fold(ctx, s.CitizenID(), events)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		if n.Open() && n.Deadline.Sub(now) < DeadlineSoon {
			add(Alert{Kind: AlertDeadline, Urgent: true, Params: []string{n.Administration, n.Subject, Local(n.Deadline).Format("02/01/2006 15:04")},
				Link: "/notifications/" + n.Key, Sort: n.Deadline})
		}
	}
	for _, p := range procs {
		if p.Status == tracking.InfoNeeded {
			add(Alert{Kind: AlertInfoNeeded, Urgent: true, Params: []string{p.Administration, p.Title, p.Steps[len(p.Steps)-1].Note},
				Link: "/procedures/" + p.Key, Sort: p.Updated})
		}
	}
	// Data used without a consent or a declared legal basis.
	entries, err := a.ReceiptEntries(ctx, s)
	if err != nil {
		return nil, err
	}
	for i, r := range entries {
		if e := r.Entry; e != nil && !a.accessCovered(ctx, e, entries[:i]) {
			add(Alert{Kind: AlertAccessNoConsent, Urgent: true, Params: []string{e.Administration, e.Purpose}, Link: "/data", Sort: e.Time})
		}
	}
	// Life events, from the citizen's own register records and credentials.
	today := register.DateOf(now)
	if a.Registers != nil {
		if c, err := a.Registers.Census(ctx, s.CitizenID()); err == nil {
			if c.RegistrationDate.After(today.AddDate(0, 0, -90)) {
				add(Alert{Kind: AlertNewAddress, Params: []string{c.Municipality}, Sort: c.RegistrationDate.Time()})
			}
			if c.SocialServices != nil {
				add(Alert{Kind: AlertFamilySupport, Params: []string{c.SocialServices.Programme}, Sort: c.SocialServices.Since.Time()})
			}
		}
	}
	for _, c := range creds {
		if c.Type != credential.Degree {
			continue
		}
		award, err := register.ParseDate(claimString(c.Claims["awardDate"]))
		if err == nil && award.After(today.AddDate(-1, 0, 0)) {
			add(Alert{Kind: AlertDegreeAwarded, Params: []string{claimString(c.Claims["degreeTitle"])}, Link: "/credentials/" + c.ID, Sort: award.Time()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Urgent != out[j].Urgent {
			return out[i].Urgent
		}
		ti, tj := out[i].Params, out[j].Params
		taxI := len(ti) > 0 && ti[0] == string(credential.Tax)
		taxJ := len(tj) > 0 && tj[0] == string(credential.Tax)
		if taxI != taxJ {
			return taxI
		}
		return out[i].Sort.Before(out[j].Sort)
	})
	return out, nil
}

// accessCovered reports whether a data access the citizen holds a receipt
// for was covered: entries that are not accesses (consents, issuance),
// refused presentations (no data was used) and QR codes the citizen showed
// are; a presentation or exchange is covered by a consent to that
// administration for that purpose still active before it (earlier holds
// the receipts before e), or by the legal basis the trust list registers
// for that administration and purpose, when the entry declares exactly it
// and it is not consent (RGPD art. 6.1.a) itself. The check runs on the
// citizen's own receipts and the public trust list: nobody else learns it.
func (a *App) accessCovered(ctx context.Context, e *ledger.Entry, earlier []ReceiptEntry) bool {
	if e.Kind != ledger.KindPresentationVerified && e.Kind != ledger.KindDataExchange {
		return true
	}
	if e.Outcome == ledger.OutcomeRefused || e.Purpose == verifier.QRPurpose {
		return true
	}
	if _, ok := ActiveConsents(earlier)[e.Administration+"/"+e.Purpose]; ok {
		return true
	}
	purposes, err := a.Purposes(ctx, e.Administration)
	if err != nil {
		return false
	}
	i := slices.IndexFunc(purposes, func(p trust.Purpose) bool { return p.ID == e.Purpose })
	return i >= 0 && e.LegalBasis != "" && e.LegalBasis == purposes[i].LegalBasis && !consentBasis(e.LegalBasis)
}

// consentBasis reports whether a legal basis is the citizen's consent
// (RGPD art. 6.1.a), which only a consent on the ledger can cover.
func consentBasis(basis string) bool {
	b := strings.ToLower(basis)
	return strings.Contains(b, "6.1.a") || strings.Contains(b, "6.1 a")
}

// MutedKinds reads which alert kinds are muted from an activity feed
// (newest first, as Session.Activity returns it): the last mute or unmute of
// a kind wins.
func MutedKinds(events []wallet.Event) map[string]bool {
	muted := map[string]bool{}
	for i := len(events) - 1; i >= 0; i-- {
		switch events[i].Kind {
		case EventAlertMuted:
			muted[events[i].Fields["kind"]] = true
		case EventAlertUnmuted:
			delete(muted, events[i].Fields["kind"])
		}
	}
	return muted
}

// MuteAlert stops (or, with mute false, restarts) alerts of a kind.
func (a *App) MuteAlert(ctx context.Context, s *wallet.Session, kind string, mute bool) error {
	known := false
	for _, k := range AlertKinds {
		known = known || k == kind
	}
	if !known {
		return wallet.ErrInvalidInput
	}
	ev := EventAlertUnmuted
	if mute {
		ev = EventAlertMuted
	}
	if _, err := s.RecordEvent(ctx, wallet.Event{Kind: ev, Actor: wallet.ActorCitizen, Fields: map[string]string{"kind": kind}}); err != nil {
		return err
	}
	return a.syncMailMutes(ctx, s)
}

// NoteLogin records a login to the citizen's space in their feed (service,
// method, device) and, when the device is new to them, queues the
// new-device e-mail; the in-app alert is computed from the same feed.
func (a *App) NoteLogin(ctx context.Context, s *wallet.Session, service, method, device string) error {
	device = NormalizeDevice(device)
	events, _, err := s.Activity(ctx, 0)
	if err != nil {
		return err
	}
	seen, known := false, false
	for _, e := range events {
		if e.Kind == wallet.EventLogin && e.Fields["device"] != "" {
			seen = true
			known = known || NormalizeDevice(e.Fields["device"]) == device
		}
	}
	ev, err := s.RecordEvent(ctx, wallet.Event{Kind: wallet.EventLogin, Actor: wallet.ActorCitizen,
		Fields: map[string]string{"service": service, "method": method, "device": device}})
	if err != nil {
		return err
	}
	if seen && !known {
		a.mailAlert(ctx, s.CitizenID(), AlertNewDevice, fmt.Sprintf("login/%x/%d", sha256.Sum256([]byte(s.CitizenID())), ev.Seq), device, Local(ev.Time).Format("02/01/2006 15:04"))
	}
	return nil
}

func claimString(v any) string {
	s, _ := v.(string)
	return s
}
