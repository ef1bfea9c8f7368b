package app

import (
	"context"
	"testing"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/wallet"
)

func kinds(as []Alert) map[string]Alert {
	m := map[string]Alert{}
	for _, a := range as {
		if _, ok := m[a.Kind]; !ok {
			m[a.Kind] = a
		}
	}
	return m
}

func TestAlerts(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	// A revoked credential and a login from a new device.
	recs, err := a.Issuer.IssuedTo(ctx, laia)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Type == credential.Census {
			if _, err := a.ChangeStatus(ctx, r.ID, issuer.StatusRevoked, "canvi de domicili"); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := unlock(t, a, laia, "laia-demo-2026")
	for _, d := range []string{"Chrome / Android", "Chrome / Android", "Firefox / Linux"} {
		if _, err := s.RecordEvent(ctx, wallet.Event{Kind: wallet.EventLogin, Fields: map[string]string{"device": d}}); err != nil {
			t.Fatal(err)
		}
	}
	as, err := a.Alerts(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	k := kinds(as)
	if r, ok := k[AlertCredentialRevoked]; !ok || r.Params[1] != "canvi de domicili" {
		t.Fatalf("no revocation alert in %+v", as)
	}
	if d, ok := k[AlertNewDevice]; !ok || d.Params[0] != "Firefox / Linux" {
		t.Fatalf("no new-device alert in %+v", as)
	}
	if !as[0].Urgent {
		t.Fatal("urgent alerts first")
	}
	// Muting a kind hides it, unmuting brings it back.
	if err := a.MuteAlert(ctx, s, AlertNewDevice, true); err != nil {
		t.Fatal(err)
	}
	as, _ = a.Alerts(ctx, s)
	if _, ok := kinds(as)[AlertNewDevice]; ok {
		t.Fatal("muted alert still shown")
	}
	if err := a.MuteAlert(ctx, s, "no-such-kind", true); err == nil {
		t.Fatal("unknown kind muted")
	}
	// Five weeks later the working-life report has expired and the tax
	// certificate comes first among the expiring ones when it is close.
	later := time.Now().Add(35 * 24 * time.Hour)
	a.now = func() time.Time { return later }
	as, _ = a.Alerts(ctx, s)
	if e, ok := kinds(as)[AlertCredentialExpired]; !ok || e.Params[0] != string(credential.WorkLife) {
		t.Fatalf("no expired working life in %+v", as)
	}
}

func TestLifeEventAlerts(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	marta := unlock(t, a, "39876543V", "marta-demo-2026")
	as, err := a.Alerts(ctx, marta)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kinds(as)[AlertFamilySupport]; !ok {
		t.Fatalf("Marta's family receives social services: %+v", as)
	}
	y := unlock(t, a, "Y2345678Z", "youssef-demo-2026")
	as, _ = a.Alerts(ctx, y)
	if _, ok := kinds(as)[AlertNewAddress]; !ok {
		t.Fatalf("Youssef registered recently: %+v", as)
	}
}
