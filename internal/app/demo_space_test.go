package app

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/espai/espai/internal/demo"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/wallet"
)

// demoDevice is the web layer's login-history label, "Browser / System".
var demoDevice = regexp.MustCompile(`^(Chrome|Firefox|Safari|Edge) / (Android|iOS|iPadOS|Windows|macOS|Linux)$`)

// TestDemoSpaces builds the demo once and checks that every persona's space
// is lived in: credentials, procedures in several states with timelines,
// an open notification and some history, Via Oberta exchanges and verified
// presentations whose ledger receipts verify, logins from several devices,
// and alerts (Marta's recent degree among them).
func TestDemoSpaces(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	a := openDemo(t)
	t.Logf("demo built in %s", time.Since(start).Round(time.Millisecond))
	now := a.now()
	personas := demo.Personas()
	for i, p := range personas {
		t.Run(p.Name, func(t *testing.T) {
			s := unlock(t, a, p.ID, p.Passphrase)
			if rep := s.InboxReport(); len(rep.Rejected) != 0 || rep.Pending != 0 {
				t.Fatalf("inbox: %+v", rep)
			}
			creds, damaged, err := s.Credentials(ctx)
			if err != nil || len(damaged) != 0 || len(creds) == 0 {
				t.Fatalf("credentials: %d, damaged %v, %v", len(creds), damaged, err)
			}

			procs, notes, err := a.CitizenTracking(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			states := map[tracking.Status]bool{}
			timeline := false
			for _, pr := range procs {
				states[pr.Status] = true
				if pr.Title == "" || pr.Ref == "" {
					t.Errorf("procedure without title or ref: %+v", pr)
				}
				for j := 1; j < len(pr.Steps); j++ {
					if pr.Steps[j].Time.Before(pr.Steps[j-1].Time) {
						t.Errorf("%s: steps out of order", pr.Ref)
					}
				}
				timeline = timeline || len(pr.Steps) >= 2
			}
			if len(states) < 2 || !timeline {
				t.Errorf("procedures in states %v (want at least two), a timeline of several steps: %v", states, timeline)
			}
			open, closed := 0, 0
			for _, n := range notes {
				switch {
				case n.Open() && n.Deadline.After(now):
					open++
				case n.State == tracking.Accepted || n.State == tracking.Rejected || n.State == tracking.Expired:
					closed++
				}
			}
			if open == 0 || closed == 0 {
				t.Errorf("notifications: %d open with a future deadline, %d accepted, rejected or expired; want both", open, closed)
			}

			entries, err := a.ReceiptEntries(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			exchanges, presentations := 0, 0
			for _, r := range entries {
				if r.Entry == nil {
					t.Fatalf("receipt %d (%s) does not verify against the ledger", r.Index, r.Kind)
				}
				var b ReceiptBundle
				if err := json.Unmarshal(r.Raw, &b); err != nil {
					t.Fatal(err)
				}
				e, _, err := b.Verify(a.Ledger.VerifierKey())
				if err != nil {
					t.Fatalf("receipt %d: %v", r.Index, err)
				}
				switch {
				case e.Kind == ledger.KindDataExchange:
					if e.Source == "" || e.Source == e.Administration || e.Purpose == "" || e.LegalBasis == "" || len(e.Categories) == 0 {
						t.Errorf("exchange between administrations with purpose and legal basis: %+v", e)
					}
					exchanges++
				case e.Kind == ledger.KindPresentationVerified && e.Outcome == ledger.OutcomeAccepted:
					presentations++
				}
			}
			if exchanges == 0 || presentations == 0 {
				t.Errorf("%d Via Oberta exchanges, %d verified presentations in the wallet; want both", exchanges, presentations)
			}

			events, _, err := s.Activity(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			devices := map[string]bool{}
			for _, e := range events {
				if e.Kind == wallet.EventLogin {
					if d := e.Fields["device"]; !demoDevice.MatchString(d) {
						t.Errorf("device %q is not written as the web layer writes it", d)
					} else {
						devices[d] = true
					}
				}
			}
			if len(devices) < 2 {
				t.Errorf("logins from %v, want at least two devices", devices)
			}

			alerts, err := a.Alerts(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			var alertKinds []string
			k := map[string]bool{}
			for _, al := range alerts {
				alertKinds = append(alertKinds, al.Kind)
				k[al.Kind] = true
			}
			if len(alerts) == 0 {
				t.Error("no alerts")
			}
			if k[AlertAccessNoConsent] {
				t.Errorf("the demo's exchanges all have a consent or a legal basis: %+v", alerts)
			}
			if k[AlertDegreeAwarded] != (i == 4) {
				t.Errorf("degree-awarded alert %v (only Marta, who graduated this year): %+v", k[AlertDegreeAwarded], alerts)
			}
			t.Logf("%d credentials; procedures %v; notifications %d open, %d closed; %d exchanges, %d verified presentations; devices %v; alerts %v",
				len(creds), states, open, closed, exchanges, presentations, devices, alertKinds)
		})
	}
}
