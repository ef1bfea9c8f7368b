package register

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds every record is checked against.
const (
	maxText   = 200 // characters in any text field
	minECTS   = 30
	maxECTS   = 360
	minGrade  = 5.0
	maxGrade  = 10.0
	maxListed = 1000 // household members, degrees, employment periods, obligations
)

var (
	minDate = Date{1900, 1, 1}
	maxDate = Date{2100, 12, 31}

	slugRE       = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	postalCodeRE = regexp.MustCompile(`^[0-9]{5}$`)

	// provincePostal maps each Catalan province to the first two digits of
	// its postal codes.
	provincePostal = map[string]string{
		"Barcelona": "08",
		"Girona":    "17",
		"Lleida":    "25",
		"Tarragona": "43",
	}
)

// checker records the first problem found in one record.
type checker struct{ field, reason string }

func (c *checker) fail(field, format string, args ...any) {
	if c.reason == "" {
		c.field, c.reason = field, fmt.Sprintf(format, args...)
	}
}

func (c *checker) ok() bool { return c.reason == "" }

// text checks a free-text field: present when required, printable, bounded.
func (c *checker) text(field, v string, required bool) {
	switch {
	case strings.TrimSpace(v) == "":
		if required {
			c.fail(field, "required")
		} else if v != "" {
			c.fail(field, "blank")
		}
	case !utf8.ValidString(v):
		c.fail(field, "not valid UTF-8")
	case utf8.RuneCountInString(v) > maxText:
		c.fail(field, "longer than %d characters", maxText)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		c.fail(field, "contains control characters")
	case v != strings.TrimSpace(v):
		c.fail(field, "leading or trailing space")
	}
}

// date checks that a date is present (when required) and plausible.
func (c *checker) date(field string, d Date, required bool) {
	switch {
	case d.IsZero():
		if required {
			c.fail(field, "required")
		}
	case d.Before(minDate) || d.After(maxDate):
		c.fail(field, "%s is outside %s..%s", d, minDate, maxDate)
	}
}

// id checks and canonicalises a citizen id.
func (c *checker) id(field string, id *string) {
	if *id == "" {
		c.fail(field, "required")
		return
	}
	canon := squeezeID(*id)
	if _, reason := kindOf(canon); reason != "" {
		c.fail(field, "%s", reason)
		return
	}
	*id = canon
}

func (c *checker) count(field string, n int) {
	if n > maxListed {
		c.fail(field, "more than %d entries", maxListed)
	}
}

func (r *Census) validate(c *checker) {
	c.id("nationalId", &r.ID)
	c.text("givenName", r.GivenName, true)
	c.text("familyName", r.FamilyName, true)
	c.text("secondFamilyName", r.SecondFamilyName, false)
	c.date("birthDate", r.BirthDate, true)
	c.text("address", r.Address, true)
	c.text("municipality", r.Municipality, true)
	if !slugRE.MatchString(r.MunicipalitySlug) {
		c.fail("municipalitySlug", "%q is not a lower-case slug like \"sant-cugat-del-valles\"", r.MunicipalitySlug)
	}
	prefix, ok := provincePostal[r.Province]
	switch {
	case !ok:
		c.fail("province", "%q is not Barcelona, Girona, Lleida or Tarragona", r.Province)
	case !postalCodeRE.MatchString(r.PostalCode):
		c.fail("postalCode", "%q is not 5 digits", r.PostalCode)
	case !strings.HasPrefix(r.PostalCode, prefix):
		c.fail("postalCode", "%s is not in the province of %s (codes start with %s)", r.PostalCode, r.Province, prefix)
	}
	c.date("registrationDate", r.RegistrationDate, true)
	if c.ok() && r.RegistrationDate.Before(r.BirthDate) {
		c.fail("registrationDate", "%s is before the birth date %s", r.RegistrationDate, r.BirthDate)
	}
	if len(r.Household) == 0 {
		r.Household = nil // one form for "nobody else", so records compare equal
	}
	c.count("household", len(r.Household))
	for i := range r.Household {
		m := &r.Household[i]
		f := fmt.Sprintf("household[%d].", i)
		c.text(f+"name", m.Name, true)
		c.text(f+"relationship", m.Relationship, true)
		if m.BirthYear < minDate.Year || m.BirthYear > maxDate.Year {
			c.fail(f+"birthYear", "%d is outside %d..%d", m.BirthYear, minDate.Year, maxDate.Year)
		}
		if m.ID != "" {
			c.id(f+"id", &m.ID)
			if c.ok() && m.ID == r.ID {
				c.fail(f+"id", "the citizen cannot be a member of their own household")
			}
		}
	}
	if s := r.SocialServices; s != nil {
		c.date("socialServices.since", s.Since, true)
		c.text("socialServices.programme", s.Programme, true)
	}
}

func (r *TaxCompliance) validate(c *checker) {
	c.id("nationalId", &r.ID)
	if len(r.Obligations) == 0 {
		c.fail("obligationsChecked", "required: at least one obligation")
	}
	c.count("obligationsChecked", len(r.Obligations))
	for i, o := range r.Obligations {
		c.text(fmt.Sprintf("obligationsChecked[%d]", i), o, true)
	}
	c.date("checkDate", r.CheckDate, true)
	c.date("validUntil", r.ValidUntil, true)
	if c.ok() && !r.ValidUntil.After(r.CheckDate) {
		c.fail("validUntil", "%s is not after the check date %s", r.ValidUntil, r.CheckDate)
	}
	switch {
	case !r.UpToDate && r.Debt == "":
		c.fail("debtDescription", "required when upToDate is false")
	case r.UpToDate && r.Debt != "":
		c.fail("debtDescription", "must be empty when upToDate is true")
	default:
		c.text("debtDescription", r.Debt, false)
	}
}

func (r *Degrees) validate(c *checker) {
	c.id("nationalId", &r.ID)
	if len(r.Degrees) == 0 {
		c.fail("degrees", "required: at least one degree")
	}
	c.count("degrees", len(r.Degrees))
	for i := range r.Degrees {
		d := &r.Degrees[i]
		f := fmt.Sprintf("degrees[%d].", i)
		c.text(f+"degreeTitle", d.Title, true)
		c.text(f+"university", d.University, true)
		if !slugRE.MatchString(d.UniversitySlug) {
			c.fail(f+"universitySlug", "%q is not a lower-case slug like \"udg\"", d.UniversitySlug)
		}
		c.date(f+"awardDate", d.AwardDate, true)
		if d.ECTS < minECTS || d.ECTS > maxECTS {
			c.fail(f+"ects", "%d is outside %d..%d", d.ECTS, minECTS, maxECTS)
		}
		switch g := d.Grade; {
		case math.IsNaN(g) || g < minGrade || g > maxGrade:
			c.fail(f+"grade", "%v is outside %.2f..%.2f", g, minGrade, maxGrade)
		case math.Abs(g*100-math.Round(g*100)) > 1e-6:
			c.fail(f+"grade", "%v has more than 2 decimals", g)
		}
	}
}

func (r *WorkLife) validate(c *checker) {
	c.id("nationalId", &r.ID)
	c.date("reportDate", r.ReportDate, true)
	if len(r.Periods) == 0 {
		r.Periods = nil
	}
	c.count("employment", len(r.Periods))
	sum := 0
	for i := range r.Periods {
		p := &r.Periods[i]
		f := fmt.Sprintf("employment[%d].", i)
		c.text(f+"employer", p.Employer, true)
		if p.EmployerTaxID != "" {
			if err := ValidCIF(p.EmployerTaxID); err != nil {
				c.fail(f+"employerTaxId", "%v", err)
			}
		}
		if p.Regime != RegimeGeneral && p.Regime != RegimeSelfEmployed {
			c.fail(f+"regime", "%q is not %q or %q", p.Regime, RegimeGeneral, RegimeSelfEmployed)
		}
		c.date(f+"startDate", p.Start, true)
		c.date(f+"endDate", p.End, false)
		if !c.ok() {
			break
		}
		end := p.End
		switch {
		case p.Start.After(r.ReportDate):
			c.fail(f+"startDate", "%s is after the report date %s", p.Start, r.ReportDate)
		case end.IsZero():
			end = r.ReportDate
		case end.Before(p.Start):
			c.fail(f+"endDate", "%s is before the start date %s", p.End, p.Start)
		case end.After(r.ReportDate):
			c.fail(f+"endDate", "%s is after the report date %s", p.End, r.ReportDate)
		}
		if span := p.Start.DaysUntil(end) + 1; p.Days < 0 || p.Days > span {
			c.fail(f+"daysContributed", "%d is outside 0..%d (the days from start to end)", p.Days, span)
		}
		sum += p.Days
	}
	if c.ok() && sum != r.TotalDays {
		c.fail("totalDaysContributed", "%d is not the sum of the periods' days (%d)", r.TotalDays, sum)
	}
}
