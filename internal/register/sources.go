package register

import (
	"context"
	"fmt"
	"slices"
)

// The data sources, one interface each, so a Via Oberta connector can replace
// the files source by source. Every lookup takes a DNI or NIE in any case and
// with or without a hyphen (NormalizeID) and follows one error contract:
//
//   - an id that is not a valid DNI/NIE: an error wrapping ErrInvalidID;
//   - no record for the citizen: an error wrapping ErrNotFound that names the id;
//   - a record that failed validation: a *RecordError, and no data;
//   - a done context: ctx.Err();
//   - anything else (a connector's network failure): a transient error,
//     which the caller reports as "register unavailable" and may retry.
//
// A returned record is the caller's own copy.

// CensusSource answers from the padró municipal.
type CensusSource interface {
	Census(ctx context.Context, id string) (*Census, error)
}

// TaxSource answers from the Agència Tributària de Catalunya.
type TaxSource interface {
	TaxCompliance(ctx context.Context, id string) (*TaxCompliance, error)
}

// DegreeSource answers from the universities' registers of degrees. A
// citizen with no degree is ErrNotFound, never an empty list.
type DegreeSource interface {
	Degrees(ctx context.Context, id string) ([]Degree, error)
}

// WorkLifeSource answers from the Tresoreria General de la Seguretat Social.
type WorkLifeSource interface {
	WorkLife(ctx context.Context, id string) (*WorkLife, error)
}

// Directory lists and finds citizens, for bulk issuance and the issuer's
// console. It is not a Via Oberta service (Via Oberta answers about one
// citizen at a time); a deployment keeps its own list of citizens.
type Directory interface {
	// IDs lists every citizen id the source holds, sorted, quarantined ones
	// included (their lookups return the *RecordError, so a bulk run reports
	// them instead of skipping them silently).
	IDs(ctx context.Context, src Source) ([]string, error)
	// Search finds census records by name or id prefix (see Files.Search).
	Search(ctx context.Context, query string, limit int) ([]Match, error)
}

// Census returns the census record of id.
func (f *Files) Census(ctx context.Context, id string) (*Census, error) {
	r, err := lookup(ctx, &f.census, id)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Household = slices.Clone(r.Household)
	if r.SocialServices != nil {
		s := *r.SocialServices
		c.SocialServices = &s
	}
	return &c, nil
}

// TaxCompliance returns the tax compliance record of id.
func (f *Files) TaxCompliance(ctx context.Context, id string) (*TaxCompliance, error) {
	r, err := lookup(ctx, &f.tax, id)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Obligations = slices.Clone(r.Obligations)
	return &c, nil
}

// Degrees returns every degree of id, in file order.
func (f *Files) Degrees(ctx context.Context, id string) ([]Degree, error) {
	r, err := lookup(ctx, &f.degrees, id)
	if err != nil {
		return nil, err
	}
	return slices.Clone(r.Degrees), nil
}

// WorkLife returns the working-life report of id.
func (f *Files) WorkLife(ctx context.Context, id string) (*WorkLife, error) {
	r, err := lookup(ctx, &f.worklife, id)
	if err != nil {
		return nil, err
	}
	c := *r
	c.Periods = slices.Clone(r.Periods)
	return &c, nil
}

// IDs lists the citizen ids of one source, sorted, quarantined ids included.
func (f *Files) IDs(ctx context.Context, src Source) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch src {
	case SourceCensus:
		return slices.Clone(f.census.ids), nil
	case SourceTax:
		return slices.Clone(f.tax.ids), nil
	case SourceDegree:
		return slices.Clone(f.degrees.ids), nil
	case SourceWorkLife:
		return slices.Clone(f.worklife.ids), nil
	}
	return nil, fmt.Errorf("register: unknown source %q", src)
}

// Problems lists every quarantined record of every file, in Sources order
// then file order. An empty list means every record is issuable.
func (f *Files) Problems() []RecordError {
	var out []RecordError
	for _, ps := range [][]*RecordError{f.census.problems, f.tax.problems, f.degrees.problems, f.worklife.problems} {
		for _, p := range ps {
			out = append(out, *p)
		}
	}
	return out
}

func lookup[T any](ctx context.Context, t *table[T], id string) (*T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	canon, err := NormalizeID(id)
	if err != nil {
		return nil, err
	}
	s, ok := t.byID[canon]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w in %s for %s %s", ErrNotFound, t.src.File(), KindOf(canon), canon)
	case s.err != nil:
		e := *s.err
		return nil, &e
	}
	return s.rec, nil
}
