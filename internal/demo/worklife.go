package demo

import (
	"slices"

	"github.com/espai/espai/internal/register"
)

func (g *gen) census(c register.Census) { g.ds.Census = append(g.ds.Census, c) }

func (g *gen) taxOK(id string, check register.Date) {
	g.ds.Tax = append(g.ds.Tax, register.TaxCompliance{ID: id, UpToDate: true,
		Obligations: append([]string(nil), taxObligations[:3]...), CheckDate: check, ValidUntil: check.AddDate(0, 6, 0)})
}

// job is a period in the general regime at employer, contributing pct% of
// its calendar days (part-time contracts count partially); a zero end is
// still open on g.today.
func (g *gen) job(employer string, start, end register.Date, pct int) register.Employment {
	last := end
	if last.IsZero() {
		last = g.today
	}
	return register.Employment{Employer: employer, EmployerTaxID: g.cifs[employer], Regime: register.RegimeGeneral,
		Start: start, End: end, Days: (start.DaysUntil(last) + 1) * pct / 100}
}

func (g *gen) worklife(id string, periods []register.Employment) {
	total := 0
	for _, p := range periods {
		total += p.Days
	}
	g.ds.WorkLife = append(g.ds.WorkLife, register.WorkLife{ID: id, ReportDate: g.today, Periods: periods, TotalDays: total})
}

// workLife draws a career: a first job after school or university, a run of
// jobs with gaps, and either an open current job, a recent end, or
// retirement at 63-67.
func (g *gen) workLife(p person, m *Municipality, graduated register.Date) {
	if g.chance(4) {
		return // never registered with the Social Security
	}
	start := p.birth.AddDate(17+g.r.IntN(8), g.r.IntN(12), 0)
	if !graduated.IsZero() {
		start = graduated.AddDate(0, g.r.IntN(9), g.r.IntN(28))
	}
	if p.foreign {
		start = maxDate(start, g.between(g.today.AddDate(-12, 0, 0), g.today.AddDate(0, -3, 0)))
	}
	careerEnd := g.today
	retired := false
	age := p.birth.DaysUntil(g.today) / 365
	if age >= 67 || age >= 63 && g.chance(50) {
		careerEnd = minDate(p.birth.AddDate(63+g.r.IntN(5), 0, 0), g.today.AddDate(0, 0, -1))
		retired = true
	}
	employed := !retired && g.chance(85)
	if !employed && !retired {
		careerEnd = g.today.AddDate(0, -1-g.r.IntN(18), 0)
	}
	var periods []register.Employment
	for cur := start; cur.Before(careerEnd) && len(periods) < 14; {
		var months int
		switch n := g.r.IntN(10); {
		case n < 3:
			months = 2 + g.r.IntN(10)
		case n < 7:
			months = 12 + g.r.IntN(48)
		default:
			months = 48 + g.r.IntN(150)
		}
		end := cur.AddDate(0, months, -1)
		open := false
		if !end.Before(careerEnd) {
			end, open = careerEnd, employed
		}
		pct := 100
		if g.chance(15) {
			pct = 50 + g.r.IntN(26)
		}
		var e register.Employment
		switch n := g.r.IntN(100); {
		case n < 9:
			e = register.Employment{Employer: pick(g.r, trades), Regime: register.RegimeSelfEmployed, Start: cur, End: end}
			e.Days = cur.DaysUntil(end) + 1
		case n < 27:
			e = g.job(g.publicEmployer(m), cur, end, pct)
		default:
			e = g.job(pick(g.r, companies), cur, end, pct)
		}
		if open {
			e.End = register.Date{}
			e.Days = (cur.DaysUntil(g.today) + 1) * pct / 100
			if e.Regime == register.RegimeSelfEmployed {
				e.Days = cur.DaysUntil(g.today) + 1
			}
		}
		periods = append(periods, e)
		cur = end.AddDate(0, 0, 1+g.r.IntN(240))
	}
	g.worklife(p.id, slices.Clip(periods))
}

// publicEmployer picks a real public employer near m: the region-wide
// bodies, the town council, or the province's reference hospital.
func (g *gen) publicEmployer(m *Municipality) string {
	switch g.r.IntN(4) {
	case 0:
		return regionalEmployers[0]
	case 1:
		return m.Ajuntament()
	case 2:
		return hospitals[m.Province]
	}
	return regionalEmployers[1]
}
