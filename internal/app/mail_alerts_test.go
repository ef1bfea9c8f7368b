package app

import (
	"context"
	"strings"
	"testing"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/mail"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/issuer"
)

// TestAlertEmailsFollowMutes: besides notifications, a procedure waiting for
// the citizen, a revoked credential and a login from a new device are
// e-mailed (naming the administration or the device, never the data); a
// kind the citizen muted in their space is not e-mailed, also while their
// wallet is sealed, and the choice survives a change of address.
func TestAlertEmailsFollowMutes(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	box, addr := startInbox(t)
	if err := a.AttachMail(mail.Config{Addr: addr, From: "avisos@espai.example.cat", TLS: mail.TLSNone}); err != nil {
		t.Fatal(err)
	}
	s := unlock(t, a, laia, "laia-demo-2026")
	if err := a.SetAlertEmail(ctx, s, "laia.puig@example.cat", "ca"); err != nil {
		t.Fatal(err)
	}
	// Known device: nothing; a new one: one e-mail.
	if err := a.NoteLogin(ctx, s, "espai", "passphrase", "Chrome / Android"); err != nil {
		t.Fatal(err)
	}
	if err := a.NoteLogin(ctx, s, "espai", "passphrase", "Android · Chrome"); err != nil {
		t.Fatal(err)
	}
	if err := a.NoteLogin(ctx, s, "espai", "passphrase", "Firefox / Linux"); err != nil {
		t.Fatal(err)
	}
	// Mute revocations, then change the address: still muted.
	if err := a.MuteAlert(ctx, s, AlertCredentialRevoked, true); err != nil {
		t.Fatal(err)
	}
	if err := a.SetAlertEmail(ctx, s, "laia@example.cat", "ca"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if _, err := a.UpdateProcedure(ctx, ProcedureUpdate{Administration: "ajuntament-girona", Ref: "GI-2026/900", Citizen: laia,
		Status: tracking.Submitted, Title: "Llicència d'obres menors"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateProcedure(ctx, ProcedureUpdate{Administration: "ajuntament-girona", Ref: "GI-2026/900", Citizen: laia,
		Status: tracking.InfoNeeded, Note: "Cal el pressupost signat."}); err != nil {
		t.Fatal(err)
	}
	setStatus(t, a, credential.Census, issuer.StatusRevoked, "canvi de domicili")
	for range 2 {
		if err := a.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := box.about(t, "Nou accés"); len(got) != 1 || !strings.Contains(got[0], "Firefox / Linux") {
		t.Fatalf("new-device e-mails: %d", len(got))
	}
	info := box.about(t, "Ajuntament de Girona necessita")
	if len(info) != 1 || strings.Contains(info[0], "pressupost") || strings.Contains(info[0], "obres") {
		t.Fatalf("info-needed e-mails: %d (or they carry the procedure's text)", len(info))
	}
	if got := box.about(t, "revocat"); len(got) != 0 {
		t.Fatalf("a muted kind was e-mailed: %d", len(got))
	}
	// Unmuted: the next revocation is e-mailed, to the new address.
	s = unlock(t, a, laia, "laia-demo-2026")
	if err := a.MuteAlert(ctx, s, AlertCredentialRevoked, false); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	setStatus(t, a, credential.Tax, issuer.StatusSuspended, "comprovació en curs")
	if err := a.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got := box.about(t, "revocat o suspès")
	if len(got) != 1 || !strings.Contains(got[0], "laia@example.cat") || strings.Contains(got[0], "comprovació") {
		t.Fatalf("revocation e-mails: %d", len(got))
	}
}
