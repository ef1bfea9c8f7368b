package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/espai/espai/internal/register"
)

// Defaults of Config.
const (
	DefaultCitizens = 1200
	DefaultSeed     = 20260101
	MaxCitizens     = 100_000
)

// ReferenceDate is the demo's "today" when Config.Today is zero (2026-11-02):
// tax checks and working-life reports are dated relative to it.
func ReferenceDate() register.Date { return register.Date{Year: 2026, Month: 11, Day: 2} }

// Config says what to generate. The zero value generates the default demo.
type Config struct {
	// Citizens is how many citizens, personas included. 0: DefaultCitizens.
	Citizens int
	// Seed seeds the generator; the same Config always yields the same
	// dataset. 0: DefaultSeed.
	Seed uint64
	// Today dates the tax checks and working-life reports (so certificates
	// are still valid when the demo runs). Zero: ReferenceDate().
	Today register.Date
}

// Validate reports whether c can be generated.
func (c *Config) Validate() error {
	if c == nil {
		return fmt.Errorf("%w: nil config", ErrConfig)
	}
	if c.Citizens != 0 && (c.Citizens < len(personaIDs) || c.Citizens > MaxCitizens) {
		return fmt.Errorf("%w: citizens %d outside %d..%d", ErrConfig, c.Citizens, len(personaIDs), MaxCitizens)
	}
	if !c.Today.IsZero() && (c.Today.Year < 2025 || c.Today.Year > 2100) {
		return fmt.Errorf("%w: today %s outside 2025..2100", ErrConfig, c.Today)
	}
	return nil
}

// Dataset is the content of the four register files. Records are in citizen
// order, personas first; a citizen has at most one record per register.
type Dataset struct {
	Today    register.Date
	Census   []register.Census
	Tax      []register.TaxCompliance
	Degrees  []register.Degrees
	WorkLife []register.WorkLife
}

type gen struct {
	r     *rand.Rand
	today register.Date
	used  map[string]bool   // ids handed out
	cifs  map[string]string // company -> its CIF
	ds    *Dataset
}

// Generate builds the demo dataset described by cfg.
func Generate(cfg Config) (*Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Citizens == 0 {
		cfg.Citizens = DefaultCitizens
	}
	if cfg.Seed == 0 {
		cfg.Seed = DefaultSeed
	}
	if cfg.Today.IsZero() {
		cfg.Today = ReferenceDate()
	}
	// PCG: small, fast, and its output for a seed is fixed by math/rand/v2.
	g := &gen{
		r:     rand.New(rand.NewPCG(cfg.Seed, 0x657370616920)), // "espai "
		today: cfg.Today,
		used:  make(map[string]bool, cfg.Citizens),
		cifs:  make(map[string]string, len(companies)),
		ds:    &Dataset{Today: cfg.Today},
	}
	g.companyCIFs()
	g.addPersonas()
	for len(g.ds.Census) < cfg.Citizens {
		g.household(cfg.Citizens - len(g.ds.Census))
	}
	return g.ds, nil
}

// companyCIFs gives each synthetic company a CIF of the right legal form
// (SA: A, SL and SLP: B, cooperative SCCL: F) in a Catalan province range.
func (g *gen) companyCIFs() {
	provinces := []int{8, 17, 25, 43}
	for _, c := range companies {
		kind := byte('B')
		switch {
		case strings.HasSuffix(c, " SA"):
			kind = 'A'
		case strings.HasSuffix(c, " SCCL"):
			kind = 'F'
		}
		n := provinces[g.r.IntN(len(provinces))]*100_000 + g.r.IntN(100_000)
		g.cifs[c], _ = register.CIF(kind, n) // kinds and ranges above are always valid
	}
}

// person is one member of a generated household.
type person struct {
	given, first, second string
	female               bool
	birth                register.Date
	id                   string // "" for minors
	foreign              bool
}

func (p *person) name() string {
	return strings.TrimSpace(p.given + " " + p.first + " " + p.second)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g *gen) chance(pct int) bool { return g.r.IntN(100) < pct }

// between returns a date uniformly in [a, b] (a when b is not after a).
func (g *gen) between(a, b register.Date) register.Date {
	n := a.DaysUntil(b)
	if n <= 0 {
		return a
	}
	return a.AddDate(0, 0, g.r.IntN(n+1))
}

func (g *gen) birthAged(minAge, maxAge int) register.Date {
	return g.between(g.today.AddDate(-maxAge-1, 0, 1), g.today.AddDate(-minAge, 0, 0))
}

// adultBirth draws the birth date of an adult from age bands shaped like
// the Catalan adult population (median age in the late forties).
func (g *gen) adultBirth() register.Date {
	switch n := g.r.IntN(100); {
	case n < 15:
		return g.birthAged(19, 29)
	case n < 43:
		return g.birthAged(30, 44)
	case n < 71:
		return g.birthAged(45, 59)
	case n < 90:
		return g.birthAged(60, 74)
	}
	return g.birthAged(75, 92)
}

// newID hands out a fresh DNI or NIE. DNIs issued in Catalonia mostly fall
// in the 33-49 million ranges; NIEs are mostly Y (issued since 2008).
func (g *gen) newID(foreign bool) string {
	for {
		var id string
		if foreign {
			prefix := byte('Y')
			switch n := g.r.IntN(100); {
			case n < 22:
				prefix = 'X'
			case n >= 88:
				prefix = 'Z'
			}
			id, _ = register.NIE(prefix, g.r.IntN(10_000_000))
		} else {
			id, _ = register.DNI(33_000_000 + g.r.IntN(17_000_000))
		}
		if !g.used[id] {
			g.used[id] = true
			return id
		}
	}
}

// newPerson draws a name. A Spanish national has two surnames, Catalan and
// Spanish mixed; a foreign resident follows the customs of their origin.
func (g *gen) newPerson(female bool, o *origin) person {
	p := person{female: female, foreign: o != nil}
	if o != nil {
		p.given = pick(g.r, o.male)
		if female {
			p.given = pick(g.r, o.female)
		}
		p.first = pick(g.r, o.surnames)
		if o.twoSurnames {
			p.second = pick(g.r, o.surnames)
		}
		return p
	}
	p.given = pick(g.r, maleNames)
	if female {
		p.given = pick(g.r, femaleNames)
	}
	p.first, p.second = g.surname(), g.surname()
	for p.second == p.first {
		p.second = g.surname()
	}
	return p
}

func (g *gen) surname() string {
	if g.chance(55) {
		return pick(g.r, catalanSurnames)
	}
	return pick(g.r, spanishSurnames)
}

func (g *gen) origin() *origin {
	total := 0
	for _, o := range origins {
		total += o.weight
	}
	n := g.r.IntN(total)
	for i := range origins {
		if n < origins[i].weight {
			return &origins[i]
		}
		n -= origins[i].weight
	}
	return &origins[0]
}

func (g *gen) municipality() *Municipality {
	total := 0
	for _, m := range municipalities {
		total += m.weight
	}
	n := g.r.IntN(total)
	for i := range municipalities {
		if n < municipalities[i].weight {
			return &municipalities[i]
		}
		n -= municipalities[i].weight
	}
	return &municipalities[0]
}

func (g *gen) address() string {
	street := pick(g.r, streets)
	num := 1 + g.r.IntN(140)
	if g.chance(20) {
		return fmt.Sprintf("%s %d", street, num)
	}
	floor := pick(g.r, []string{"baixos", "entresòl", "1r", "1r", "2n", "2n", "3r", "3r", "4t", "5è", "6è"})
	if floor == "baixos" || floor == "entresòl" {
		return fmt.Sprintf("%s %d, %s", street, num, floor)
	}
	return fmt.Sprintf("%s %d, %s %da", street, num, floor, 1+g.r.IntN(4))
}

// household generates one household of at most room adult citizens: a
// single adult, or a couple (both citizens) with or without children.
func (g *gen) household(room int) {
	var o *origin
	if g.chance(15) {
		o = g.origin()
	}
	m := g.municipality()
	female := g.chance(50)
	a := g.newPerson(female, o)
	a.birth = g.adultBirth()
	a.id = g.newID(o != nil)
	adults := []person{a}
	age := a.birth.DaysUntil(g.today) / 365
	if room > 1 && age >= 24 && g.chance(55) {
		b := g.newPerson(!female, o)
		b.birth = g.between(a.birth.AddDate(-6, 0, 0), a.birth.AddDate(5, 0, 0))
		if b.birth.After(g.today.AddDate(-19, 0, 0)) {
			b.birth = g.today.AddDate(-19, 0, -g.r.IntN(300))
		}
		b.id = g.newID(o != nil)
		adults = append(adults, b)
	}
	var kids []person
	if age >= 25 && age <= 58 && (len(adults) == 2 && g.chance(60) || g.chance(10)) {
		mother, father := a, a
		if len(adults) == 2 {
			if a.female {
				father = adults[1]
			} else {
				mother = adults[1]
			}
		}
		for range 1 + g.r.IntN(3) {
			k := person{female: g.chance(50), foreign: o != nil}
			k.given = pick(g.r, maleNames)
			if k.female {
				k.given = pick(g.r, femaleNames)
			}
			if o != nil {
				k.given = pick(g.r, o.male)
				if k.female {
					k.given = pick(g.r, o.female)
				}
			}
			k.first, k.second = father.first, mother.first
			if o != nil && !o.twoSurnames {
				k.first, k.second = father.first, ""
			}
			from := maxDate(mother.birth.AddDate(22, 0, 0), g.today.AddDate(-17, 0, 0))
			to := minDate(mother.birth.AddDate(44, 0, 0), g.today.AddDate(0, -2, 0))
			if to.Before(from) {
				break
			}
			k.birth = g.between(from, to)
			kids = append(kids, k)
		}
	}

	youngest := adults[0].birth
	for _, p := range adults[1:] {
		youngest = maxDate(youngest, p.birth)
	}
	earliest := maxDate(youngest.AddDate(18, 0, 0), g.today.AddDate(-35, 0, 0))
	if o != nil {
		earliest = maxDate(earliest, g.today.AddDate(-12, 0, 0))
	}
	moveIn := g.between(earliest, g.today.AddDate(0, 0, -20))
	addr, postal := g.address(), pick(g.r, m.PostalCodes)

	for i, p := range adults {
		rec := register.Census{ID: p.id, GivenName: p.given, FamilyName: p.first, SecondFamilyName: p.second,
			BirthDate: p.birth, Address: addr, PostalCode: postal, Municipality: m.Name,
			MunicipalitySlug: m.Slug, Province: m.Province, RegistrationDate: moveIn}
		for j, q := range adults {
			if i != j {
				rel := "parella"
				if g.chance(60) {
					rel = "cònjuge"
				}
				rec.Household = append(rec.Household, register.HouseholdMember{Name: q.name(), ID: q.id, Relationship: rel, BirthYear: q.birth.Year})
			}
		}
		for _, k := range kids {
			rel := "fill"
			if k.female {
				rel = "filla"
			}
			rec.Household = append(rec.Household, register.HouseholdMember{Name: k.name(), Relationship: rel, BirthYear: k.birth.Year})
		}
		if len(kids) > 0 && g.chance(4) {
			rec.SocialServices = &register.SocialServicesCase{
				Since:     g.between(maxDate(moveIn, g.today.AddDate(-6, 0, 0)), g.today.AddDate(0, -1, 0)),
				Programme: pick(g.r, []string{"Servei Bàsic d'Atenció Social: pla de treball familiar", "Servei d'Intervenció Socioeducativa", "Servei d'Atenció a la Infància i l'Adolescència"}),
			}
		}
		g.census(rec)
		g.citizenRecords(p, m)
	}
}

// citizenRecords adds the tax, degree and working-life records of an adult.
func (g *gen) citizenRecords(p person, m *Municipality) {
	check := g.today.AddDate(0, 0, -g.r.IntN(90))
	if g.chance(8) {
		amount := 80 + g.r.IntN(9000)
		g.ds.Tax = append(g.ds.Tax, register.TaxCompliance{ID: p.id, UpToDate: false,
			Obligations: g.obligations(), CheckDate: check, ValidUntil: check.AddDate(0, 6, 0),
			Debt: fmt.Sprintf(pick(g.r, debts), euros(amount*100+g.r.IntN(100)))})
	} else {
		g.ds.Tax = append(g.ds.Tax, register.TaxCompliance{ID: p.id, UpToDate: true,
			Obligations: g.obligations(), CheckDate: check, ValidUntil: check.AddDate(0, 6, 0)})
	}
	graduated := register.Date{}
	share := 40
	if p.foreign {
		share = 12
	}
	if p.birth.AddDate(23, 0, 0).Before(g.today) && g.chance(share) {
		graduated = g.degrees(p, m)
	}
	g.workLife(p, m, graduated)
}

func (g *gen) obligations() []string {
	n := 2 + g.r.IntN(len(taxObligations)-1)
	return append([]string(nil), taxObligations[:n]...)
}

// euros formats cents the Catalan way: 3.480,00.
func euros(cents int) string {
	whole, frac := cents/100, cents%100
	s := fmt.Sprint(whole)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return fmt.Sprintf("%s,%02d", s, frac)
}

// degrees adds one or two degrees and returns the first award date.
func (g *gen) degrees(p person, m *Municipality) register.Date {
	prog := pick(g.r, programmes)
	slug := pick(g.r, prog.at)
	local := map[string]string{"Girona": "udg", "Lleida": "udl", "Tarragona": "urv"}[m.Province]
	for _, s := range prog.at {
		if s == local && g.chance(60) {
			slug = s
		}
	}
	years := prog.ects / 60
	award := p.birth.AddDate(18+years+g.r.IntN(4), 0, 0)
	award = register.NewDate(award.Year, time.Month(6+g.r.IntN(2)), 1+g.r.IntN(28))
	if !award.Before(g.today) {
		award = g.today.AddDate(0, -1-g.r.IntN(6), 0)
	}
	title, ects := prog.grau, prog.ects
	if award.Year < 2012 {
		title, ects = prog.old, prog.oldECTS
	}
	ds := []register.Degree{{Title: title, University: universityName(slug), UniversitySlug: slug,
		AwardDate: award, ECTS: ects, Grade: g.grade()}}
	if g.chance(22) {
		ma := pick(g.r, masters)
		when := award.AddDate(1+g.r.IntN(4), 0, 0)
		if when.Before(g.today) {
			uni := pick(g.r, universities)
			ds = append(ds, register.Degree{Title: ma.title, University: uni.Name, UniversitySlug: uni.Slug,
				AwardDate: when, ECTS: ma.ects, Grade: g.grade()})
		}
	}
	g.ds.Degrees = append(g.ds.Degrees, register.Degrees{ID: p.id, Degrees: ds})
	return award
}

// grade draws an average mark around 7.3, within 5.00..10.00, 2 decimals.
func (g *gen) grade() float64 {
	v := 7.3 + g.r.NormFloat64()*0.8
	v = math.Min(9.9, math.Max(5.2, v))
	return math.Round(v*100) / 100
}

func universityName(slug string) string {
	for _, u := range universities {
		if u.Slug == slug {
			return u.Name
		}
	}
	return ""
}

func maxDate(a, b register.Date) register.Date {
	if a.After(b) {
		return a
	}
	return b
}

func minDate(a, b register.Date) register.Date {
	if a.Before(b) {
		return a
	}
	return b
}
