package issuer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/register"
)

// Registers are the Via Oberta data sources the issuer reads, one per
// credential type. A nil source means this deployment cannot issue that type.
type Registers struct {
	Census   register.CensusSource
	Tax      register.TaxSource
	Degrees  register.DegreeSource
	WorkLife register.WorkLifeSource
}

// RegistersFrom uses one value for every source it implements (a
// register.Files implements all four).
func RegistersFrom(src any) Registers {
	var r Registers
	r.Census, _ = src.(register.CensusSource)
	r.Tax, _ = src.(register.TaxSource)
	r.Degrees, _ = src.(register.DegreeSource)
	r.WorkLife, _ = src.(register.WorkLifeSource)
	return r
}

// Issuing administrations of the region-wide registers. Census credentials
// are issued by the citizen's Ajuntament (CensusAdmin) and degrees by the
// awarding university (its slug).
const (
	TaxAdmin      = "atc"
	WorkLifeAdmin = "tgss"
)

// CensusAdmin is the administration id of a municipality's Ajuntament.
func CensusAdmin(municipalitySlug string) string { return "ajuntament-" + municipalitySlug }

// subject is what one credential says: who issues it and the claims. The
// claim names are the terms of Espai's JSON-LD context, the same in both
// formats, so a verifier's query does not depend on the format.
type subject struct {
	admin      string
	claims     map[string]any
	validUntil time.Time
}

// subjectFor reads the register record behind req and turns it into claims.
// A missing record is ErrNothingToIssue; a quarantined one is the register's
// *RecordError, naming the record.
func (s *Service) subjectFor(ctx context.Context, req Request) (*subject, error) {
	id, err := register.NormalizeID(req.Citizen)
	if err != nil {
		return nil, err
	}
	if id != req.Citizen {
		return nil, fmt.Errorf("citizen id %q is not in canonical form (%s)", redactID(req.Citizen), redactID(id))
	}
	wrap := func(err error) error {
		if errors.Is(err, register.ErrNotFound) {
			return fmt.Errorf("%w: the %s register has no record for %s", ErrNothingToIssue, req.Type, redactID(id))
		}
		return err
	}
	switch req.Type {
	case credential.Census:
		if s.regs.Census == nil {
			return nil, fmt.Errorf("%w: no census register is configured", ErrNothingToIssue)
		}
		c, err := s.regs.Census.Census(ctx, id)
		if err != nil {
			return nil, wrap(err)
		}
		return &subject{admin: CensusAdmin(c.MunicipalitySlug), claims: censusClaims(c)}, nil
	case credential.Tax:
		if s.regs.Tax == nil {
			return nil, fmt.Errorf("%w: no tax register is configured", ErrNothingToIssue)
		}
		t, err := s.regs.Tax.TaxCompliance(ctx, id)
		if err != nil {
			return nil, wrap(err)
		}
		claims := map[string]any{
			"nationalId":         t.ID,
			"upToDate":           t.UpToDate,
			"obligationsChecked": stringsToAny(t.Obligations),
			"checkDate":          t.CheckDate.String(),
			"validUntil":         t.ValidUntil.String(),
		}
		if t.Debt != "" {
			claims["debtDescription"] = t.Debt
		}
		// The certificate is worth nothing after its last valid day.
		return &subject{admin: TaxAdmin, claims: claims, validUntil: t.ValidUntil.AddDate(0, 0, 1).Time()}, nil
	case credential.Degree:
		if s.regs.Degrees == nil {
			return nil, fmt.Errorf("%w: no degree register is configured", ErrNothingToIssue)
		}
		ds, err := s.regs.Degrees.Degrees(ctx, id)
		if err != nil {
			return nil, wrap(err)
		}
		d, err := pickDegree(ds, req.Degree)
		if err != nil {
			return nil, err
		}
		claims := map[string]any{
			"nationalId":  id,
			"degreeTitle": d.Title,
			"university":  d.University,
			"awardDate":   d.AwardDate.String(),
			"ects":        d.ECTS,
			"grade":       strconv.FormatFloat(d.Grade, 'f', 2, 64),
		}
		if s.regs.Census != nil {
			if c, err := s.regs.Census.Census(ctx, id); err == nil {
				addName(claims, c)
			}
		}
		return &subject{admin: d.UniversitySlug, claims: claims}, nil
	case credential.WorkLife:
		if s.regs.WorkLife == nil {
			return nil, fmt.Errorf("%w: no working-life register is configured", ErrNothingToIssue)
		}
		w, err := s.regs.WorkLife.WorkLife(ctx, id)
		if err != nil {
			return nil, wrap(err)
		}
		periods := make([]any, 0, len(w.Periods))
		for _, p := range w.Periods {
			e := map[string]any{
				"employer":        p.Employer,
				"regime":          string(p.Regime),
				"startDate":       p.Start.String(),
				"daysContributed": p.Days,
			}
			if p.EmployerTaxID != "" {
				e["employerTaxId"] = p.EmployerTaxID
			}
			if !p.End.IsZero() {
				e["endDate"] = p.End.String()
			}
			periods = append(periods, e)
		}
		claims := map[string]any{
			"nationalId":           id,
			"totalDaysContributed": w.TotalDays,
			"employment":           periods,
		}
		if s.regs.Census != nil {
			if c, err := s.regs.Census.Census(ctx, id); err == nil {
				addName(claims, c)
			}
		}
		return &subject{admin: WorkLifeAdmin, claims: claims}, nil
	}
	return nil, fmt.Errorf("%w %q", credential.ErrUnknownType, req.Type)
}

// pickDegree selects degree n counting from the most recent (0).
func pickDegree(ds []register.Degree, n int) (*register.Degree, error) {
	if n < 0 || n >= len(ds) {
		return nil, fmt.Errorf("%w: degree %d of %d", ErrNothingToIssue, n, len(ds))
	}
	sorted := slices.Clone(ds)
	// Most recent first; stable for equal dates.
	slices.SortStableFunc(sorted, func(a, b register.Degree) int { return b.AwardDate.Compare(a.AwardDate) })
	d := sorted[n]
	return &d, nil
}

func censusClaims(c *register.Census) map[string]any {
	claims := map[string]any{
		"nationalId":       c.ID,
		"birthDate":        c.BirthDate.String(),
		"address":          c.Address,
		"postalCode":       c.PostalCode,
		"municipality":     c.Municipality,
		"province":         c.Province,
		"registrationDate": c.RegistrationDate.String(),
	}
	addName(claims, c)
	if len(c.Household) > 0 {
		h := make([]any, 0, len(c.Household))
		for _, m := range c.Household {
			h = append(h, map[string]any{"name": m.Name, "relationship": m.Relationship, "birthYear": m.BirthYear})
		}
		claims["household"] = h
	}
	return claims
}

func addName(claims map[string]any, c *register.Census) {
	claims["givenName"] = c.GivenName
	claims["familyName"] = c.FamilyName
	if c.SecondFamilyName != "" {
		claims["secondFamilyName"] = c.SecondFamilyName
	}
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
