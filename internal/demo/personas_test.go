package demo

import (
	"context"
	"strings"
	"testing"

	"github.com/espai/espai/internal/register"
)

func TestPersonaIDs(t *testing.T) {
	want := []string{"12345678Z", "38765432", "40123456", "Y2345678", "39876543"}
	for i, p := range Personas() {
		if err := register.ValidID(p.ID); err != nil {
			t.Errorf("persona %d: %v", i, err)
		}
		if !strings.HasPrefix(p.ID, want[i]) {
			t.Errorf("persona %d id %s, want %s…", i, p.ID, want[i])
		}
		if p.Description == "" || p.Passphrase == "" || p.Name == "" || p.Municipality == "" {
			t.Errorf("persona %d incomplete: %+v", i, p)
		}
	}
	if got := Personas()[0].ID; got != "12345678Z" {
		t.Errorf("Laia's DNI = %s, want 12345678Z", got)
	}
	if register.KindOf(Personas()[3].ID) != register.KindNIE {
		t.Error("Youssef must have an NIE")
	}
}

func TestPersonaFacts(t *testing.T) {
	today := register.Date{Year: 2026, Month: 11, Day: 26}
	ds := generate(t, Config{Today: today})
	_, f := writeOpen(t, ds)
	ctx := context.Background()
	ps := Personas()
	for i, p := range ps {
		if ds.Census[i].ID != p.ID {
			t.Fatalf("census record %d is %s, want persona %s first", i, ds.Census[i].ID, p.ID)
		}
		c, err := f.Census(ctx, p.ID)
		if err != nil || c.FullName() != p.Name || c.Municipality != p.Municipality {
			t.Fatalf("persona %s: %+v, %v", p.Name, c, err)
		}
	}
	age := func(c *register.Census) int {
		a := today.Year - c.BirthDate.Year
		if today.Before(register.Date{Year: today.Year, Month: c.BirthDate.Month, Day: c.BirthDate.Day}) {
			a--
		}
		return a
	}

	t.Run("laia", func(t *testing.T) {
		id := ps[0].ID
		c, _ := f.Census(ctx, id)
		tax, err1 := f.TaxCompliance(ctx, id)
		deg, err2 := f.Degrees(ctx, id)
		wl, err3 := f.WorkLife(ctx, id)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatal(err1, err2, err3)
		}
		if age(c) != 26 || c.MunicipalitySlug != "girona" || !tax.UpToDate || tax.ValidUntil.Before(today) {
			t.Errorf("census/tax: age %d, %+v", age(c), tax)
		}
		if len(deg) != 1 || deg[0].Title != "Grau en Infermeria" || deg[0].UniversitySlug != "udg" {
			t.Errorf("degrees: %+v", deg)
		}
		last := wl.Periods[len(wl.Periods)-1]
		if !last.Open() || last.Employer != "Hospital Universitari de Girona Doctor Josep Trueta" || last.Days >= last.Start.DaysUntil(today) {
			t.Errorf("current job (part time): %+v", last)
		}
	})
	t.Run("jordi", func(t *testing.T) {
		c, _ := f.Census(ctx, ps[1].ID)
		tax, err := f.TaxCompliance(ctx, ps[1].ID)
		if err != nil || tax.UpToDate || tax.Debt == "" || age(c) != 45 || c.MunicipalitySlug != "sabadell" {
			t.Errorf("age %d, tax %+v, %v", age(c), tax, err)
		}
	})
	t.Run("montserrat", func(t *testing.T) {
		c, _ := f.Census(ctx, ps[2].ID)
		wl, err := f.WorkLife(ctx, ps[2].ID)
		if err != nil || age(c) != 71 || c.Province != "Lleida" {
			t.Fatalf("age %d, %v", age(c), err)
		}
		for _, p := range wl.Periods {
			if p.Open() || p.End.After(register.Date{Year: 2020, Month: 12, Day: 31}) {
				t.Errorf("retiree has recent employment: %+v", p)
			}
		}
		if wl.TotalDays < 30*365 {
			t.Errorf("working life of %d days is not long", wl.TotalDays)
		}
	})
	t.Run("youssef", func(t *testing.T) {
		c, _ := f.Census(ctx, ps[3].ID)
		wl, err := f.WorkLife(ctx, ps[3].ID)
		if err != nil || c.RegistrationDate.Before(today.AddDate(-2, 0, 0)) || wl.TotalDays > 2*365 {
			t.Errorf("newcomer: registered %s, %d days worked, %v", c.RegistrationDate, wl.TotalDays, err)
		}
	})
	t.Run("marta", func(t *testing.T) {
		c, _ := f.Census(ctx, ps[4].ID)
		kids, partner := 0, 0
		for _, h := range c.Household {
			switch h.Relationship {
			case "fill", "filla":
				kids++
			case "parella", "cònjuge":
				partner++
			}
		}
		if c.SocialServices == nil || kids != 2 || partner != 1 || c.MunicipalitySlug != "manresa" {
			t.Errorf("family: %+v", c)
		}
		// A degree recent enough for the "degree awarded" life-event alert
		// (within the last year), awarded in the past.
		deg, err := f.Degrees(ctx, ps[4].ID)
		if err != nil || len(deg) != 1 || deg[0].Title != "Grau en Infermeria" || deg[0].UniversitySlug != "udl" {
			t.Fatalf("degrees: %+v, %v", deg, err)
		}
		if a := deg[0].AwardDate; !a.Before(today) || !a.After(today.AddDate(-1, 0, 0)) {
			t.Errorf("degree awarded %s: want within the year before %s", a, today)
		}
	})
}
