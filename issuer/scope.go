package issuer

import (
	"context"
	"errors"
	"slices"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/register"
)

// Which people an administration's issuing staff may look up. An
// administration issues a type from one register, and the register decides
// who is its concern: an Ajuntament issues census credentials to the
// residents of its municipality (its padró), a university degrees to its own
// graduates, the tax agency and the social security treasury to everyone
// their region-wide registers hold. Staff may therefore find, by name, only
// the people of their own local register (LocalTypes), and open a person by
// DNI/NIE only when they issue that person something (IssuesFor) or issued
// them something before.

// LocalTypes are the types of a that are issued from a register of its own
// people (census: its residents; degree: its graduates), where a search by
// name has a bounded scope. Types issued from a region-wide register (tax,
// working life) are left out: for them a name search would be a search of
// the whole population, so their staff look people up by DNI/NIE only.
func LocalTypes(a *Administration) []credential.Type {
	var out []credential.Type
	for _, t := range a.Types {
		if t == credential.Census || t == credential.Degree {
			out = append(out, t)
		}
	}
	return out
}

// IssuesFor reports whether admin issues citizen a credential of one of
// types (all of admin's types when none are given) from the register record
// it holds for them: an Ajuntament for its residents, a university for its
// graduates, the tax agency and the treasury for whoever their registers
// hold. A missing record is false; a record under correction counts when
// its register alone decides the issuer (tax, working life), since the
// administration does hold it. An invalid id is false. Other register
// errors (unavailable) are returned.
func (s *Service) IssuesFor(ctx context.Context, admin, citizen string, types ...credential.Type) (bool, error) {
	a, err := s.Administration(ctx, admin)
	if err != nil {
		return false, err
	}
	id, err := register.NormalizeID(citizen)
	if err != nil {
		return false, nil
	}
	if len(types) == 0 {
		types = a.Types
	}
	for _, t := range types {
		if !a.May(t) {
			continue
		}
		ok, err := s.issuesFor(ctx, a.ID, id, t)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func (s *Service) issuesFor(ctx context.Context, admin, id string, t credential.Type) (bool, error) {
	// absent turns "no record" into false and a quarantined record into
	// held (when the register alone names the issuer).
	absent := func(err error, held bool) (bool, error) {
		var re *register.RecordError
		switch {
		case errors.Is(err, register.ErrNotFound), errors.Is(err, register.ErrInvalidID):
			return false, nil
		case errors.As(err, &re):
			return held, nil
		}
		return false, err
	}
	switch t {
	case credential.Census:
		if s.regs.Census == nil {
			return false, nil
		}
		c, err := s.regs.Census.Census(ctx, id)
		if err != nil {
			return absent(err, false)
		}
		return CensusAdmin(c.MunicipalitySlug) == admin, nil
	case credential.Degree:
		if s.regs.Degrees == nil {
			return false, nil
		}
		ds, err := s.regs.Degrees.Degrees(ctx, id)
		if err != nil {
			return absent(err, false)
		}
		return slices.ContainsFunc(ds, func(d register.Degree) bool { return d.UniversitySlug == admin }), nil
	case credential.Tax:
		if s.regs.Tax == nil || admin != TaxAdmin {
			return false, nil
		}
		_, err := s.regs.Tax.TaxCompliance(ctx, id)
		if err != nil {
			return absent(err, true)
		}
		return true, nil
	case credential.WorkLife:
		if s.regs.WorkLife == nil || admin != WorkLifeAdmin {
			return false, nil
		}
		_, err := s.regs.WorkLife.WorkLife(ctx, id)
		if err != nil {
			return absent(err, true)
		}
		return true, nil
	}
	return false, nil
}
