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

// setStatus changes the status of Laia's demo credential of type typ (as
// its issuer would), failing the test if she has none.
func setStatus(t *testing.T, a *App, typ credential.Type, to byte, reason string) {
	t.Helper()
	recs, err := a.Issuer.IssuedTo(context.Background(), laia)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Type == typ {
			if _, err := a.ChangeStatus(context.Background(), r.ID, to, reason); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("Laia has no %s credential", typ)
}

func TestAlerts(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	// A revoked credential and a login from a new device.
	setStatus(t, a, credential.Census, issuer.StatusRevoked, "canvi de domicili")
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

// laiaCredentials opens Laia's space and indexes her credentials by type.
func laiaCredentials(t *testing.T, a *App) (*wallet.Session, map[credential.Type]wallet.Credential) {
	t.Helper()
	s := unlock(t, a, laia, "laia-demo-2026")
	creds, _, err := s.Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byType := map[credential.Type]wallet.Credential{}
	for _, c := range creds {
		byType[c.Type] = c
	}
	return s, byType
}

// alertsAt computes s's alerts with the app's clock at now.
func alertsAt(t *testing.T, a *App, s *wallet.Session, now time.Time) []Alert {
	t.Helper()
	a.now = func() time.Time { return now }
	as, err := a.Alerts(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// credentialAlerts are the alerts about credentials (expiring, expired,
// revoked), in the order shown.
func credentialAlerts(as []Alert) []Alert {
	var out []Alert
	for _, al := range as {
		switch al.Kind {
		case AlertCredentialExpiring, AlertCredentialExpired, AlertCredentialRevoked:
			out = append(out, al)
		}
	}
	return out
}

func alertOf(as []Alert, kind string, typ credential.Type) (Alert, bool) {
	for _, al := range as {
		if al.Kind == kind && len(al.Params) > 0 && al.Params[0] == string(typ) {
			return al, true
		}
	}
	return Alert{}, false
}

// TestCredentialAndLifeEventAlerts runs the alert rules on Laia's demo
// space with the app's clock moved around her credentials' dates (one
// deployment for the three: opening one takes seconds).
func TestCredentialAndLifeEventAlerts(t *testing.T) {
	a := openDemo(t)
	// An urgent credential alert dated before the tax certificate's expiry,
	// for the order: the working-life report revoked today (before her
	// space opens, which is when the wallet learns of it).
	setStatus(t, a, credential.WorkLife, issuer.StatusRevoked, "informe substituït")
	s, creds := laiaCredentials(t, a)
	t.Run("ExpiringSoon", func(t *testing.T) { testAlertExpiringSoon(t, a, s, creds) })
	t.Run("DegreeAwarded", func(t *testing.T) { testAlertDegreeAwarded(t, a, s, creds) })
	t.Run("TaxCertificateFirst", func(t *testing.T) { testAlertTaxFirst(t, a, s, creds) })
}

// testAlertExpiringSoon: a credential that expires within 30 days raises
// "expiring" (not "expired"), with its date and a link to it; one further
// away raises nothing, one past its date raises "expired".
func testAlertExpiringSoon(t *testing.T, a *App, s *wallet.Session, creds map[credential.Type]wallet.Credential) {
	census, ok := creds[credential.Census]
	if !ok || census.ExpiresAt.IsZero() {
		t.Fatalf("Laia's census credential has no expiry: %+v", census)
	}
	// 20 days before the census credential expires.
	as := alertsAt(t, a, s, census.ExpiresAt.Add(-20*24*time.Hour))
	al, ok := alertOf(as, AlertCredentialExpiring, credential.Census)
	if !ok {
		t.Fatalf("no expiring alert for the census credential 20 days before it expires: %+v", as)
	}
	if al.Params[1] != Local(census.ExpiresAt).Format("02/01/2006") || al.Link != "/credentials/"+census.ID || !al.Sort.Equal(census.ExpiresAt) || al.Urgent || !al.Muteable {
		t.Fatalf("expiring census alert: %+v (expires %s, id %s)", al, census.ExpiresAt, census.ID)
	}
	if _, ok := alertOf(as, AlertCredentialExpired, credential.Census); ok {
		t.Fatalf("the census credential is both expiring and expired: %+v", as)
	}
	// 31 days before: nothing yet.
	as = alertsAt(t, a, s, census.ExpiresAt.Add(-31*24*time.Hour))
	for _, kind := range []string{AlertCredentialExpiring, AlertCredentialExpired} {
		if al, ok := alertOf(as, kind, credential.Census); ok {
			t.Fatalf("31 days before expiry: %+v", al)
		}
	}
	// A day after: expired, no longer expiring.
	as = alertsAt(t, a, s, census.ExpiresAt.Add(24*time.Hour))
	if _, ok := alertOf(as, AlertCredentialExpired, credential.Census); !ok {
		t.Fatalf("no expired alert a day after expiry: %+v", as)
	}
	if al, ok := alertOf(as, AlertCredentialExpiring, credential.Census); ok {
		t.Fatalf("an expired credential is still expiring: %+v", al)
	}
	// The degree never expires.
	for _, kind := range []string{AlertCredentialExpiring, AlertCredentialExpired} {
		if al, ok := alertOf(as, kind, credential.Degree); ok {
			t.Fatalf("the degree does not expire: %+v", al)
		}
	}
}

// testAlertTaxFirst: the tax certificate's alert comes first among the
// credential alerts, urgent, ahead of an urgent revocation and of expired
// credentials that sort earlier by date (the working-life report, revoked;
// the census credential, expired); the same once it has expired.
func testAlertTaxFirst(t *testing.T, a *App, s *wallet.Session, creds map[credential.Type]wallet.Credential) {
	tax, census := creds[credential.Tax], creds[credential.Census]
	if tax.ExpiresAt.IsZero() || census.ExpiresAt.IsZero() || !census.ExpiresAt.Before(tax.ExpiresAt) {
		t.Fatalf("demo credentials: tax expires %s, census %s", tax.ExpiresAt, census.ExpiresAt)
	}
	for _, c := range []struct {
		name string
		now  time.Time
		kind string
	}{
		{"expiring in 10 days", tax.ExpiresAt.Add(-10 * 24 * time.Hour), AlertCredentialExpiring},
		{"expired 2 days ago", tax.ExpiresAt.Add(2 * 24 * time.Hour), AlertCredentialExpired},
	} {
		as := alertsAt(t, a, s, c.now)
		cas := credentialAlerts(as)
		if len(cas) < 3 {
			t.Fatalf("%s: want the tax, census and revocation alerts, got %+v", c.name, as)
		}
		first := cas[0]
		if first.Kind != c.kind || first.Params[0] != string(credential.Tax) || !first.Urgent || first.Link != "/credentials/"+tax.ID {
			t.Fatalf("%s: first credential alert %+v, want the tax certificate's %s; all: %+v", c.name, first, c.kind, cas)
		}
		if _, ok := alertOf(cas, AlertCredentialExpired, credential.Census); !ok {
			t.Fatalf("%s: the census credential (expired %s) raises no alert: %+v", c.name, census.ExpiresAt, cas)
		}
		revoked := -1
		for i, al := range cas {
			if al.Kind == AlertCredentialRevoked {
				revoked = i
			}
		}
		if revoked < 1 || !cas[revoked].Urgent || !cas[revoked].Sort.Before(first.Sort) {
			t.Fatalf("%s: the revocation (urgent, dated earlier) should follow the tax alert: %+v", c.name, cas)
		}
		// Urgent alerts first overall, and the tax certificate first of them.
		if len(as[0].Params) == 0 || as[0].Params[0] != string(credential.Tax) {
			t.Fatalf("%s: first alert %+v, want the tax certificate's", c.name, as[0])
		}
	}
}

// testAlertDegreeAwarded: a degree awarded within the last year raises
// the life-event alert with the degree's title and a link to the
// credential; an older one does not. Laia's Grau en Infermeria was awarded
// on 2022-07-15 (the demo register), so the clock is set around then.
func testAlertDegreeAwarded(t *testing.T, a *App, s *wallet.Session, creds map[credential.Type]wallet.Credential) {
	degree, ok := creds[credential.Degree]
	if !ok || degree.Claims["awardDate"] != "2022-07-15" {
		t.Fatalf("Laia's degree credential: %+v", degree.Claims)
	}
	cet := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2022, 9, 1, 10, 0, 0, 0, cet), true},
		{time.Date(2023, 7, 10, 10, 0, 0, 0, cet), true},
		{time.Date(2023, 7, 20, 10, 0, 0, 0, cet), false}, // more than a year after
		{time.Now(), false},
	} {
		as := alertsAt(t, a, s, c.now)
		al, got := kinds(as)[AlertDegreeAwarded]
		if got != c.want {
			t.Fatalf("at %s: degree alert %v, want %v: %+v", c.now.Format(time.DateOnly), got, c.want, as)
		}
		if !got {
			continue
		}
		if len(al.Params) != 1 || al.Params[0] != "Grau en Infermeria" || al.Link != "/credentials/"+degree.ID || al.Urgent || !al.Muteable {
			t.Fatalf("at %s: degree alert %+v", c.now.Format(time.DateOnly), al)
		}
		if al.Sort.Format(time.DateOnly) != "2022-07-15" {
			t.Fatalf("at %s: degree alert dated %s", c.now.Format(time.DateOnly), al.Sort)
		}
	}
	// Muted, it is not shown; unmuted, it is again.
	for _, mute := range []bool{true, false} {
		if err := a.MuteAlert(context.Background(), s, AlertDegreeAwarded, mute); err != nil {
			t.Fatal(err)
		}
		if _, ok := kinds(alertsAt(t, a, s, time.Date(2023, 1, 10, 10, 0, 0, 0, cet)))[AlertDegreeAwarded]; ok == mute {
			t.Fatalf("degree alert shown %v with the kind muted %v", ok, mute)
		}
	}
}
