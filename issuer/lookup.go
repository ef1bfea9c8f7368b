package issuer

import (
	"context"
)

// Lookup answers a Via Oberta query from the registers: which administration
// holds the record of req's type for the citizen (the citizen's municipality
// for the census, the tax agency, the social security treasury, the
// university) and the record's claims, named as in credentials. Nothing is
// signed or stored.
func (s *Service) Lookup(ctx context.Context, req Request) (source string, claims map[string]any, err error) {
	sub, err := s.subjectFor(ctx, req)
	if err != nil {
		return "", nil, err
	}
	return sub.admin, sub.claims, nil
}
