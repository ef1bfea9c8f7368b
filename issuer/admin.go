package issuer

import (
	"context"
	"fmt"
	"github.com/espai/espai/internal/credential"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/espai/espai/internal/trust"

	bolt "go.etcd.io/bbolt"
)

// Administration is one public body in the Espai trust framework.
type Administration struct {
	// ID is the stable slug used in DIDs and URLs ("ajuntament-girona", "atc").
	ID string `json:"id"`
	// Name is the official Catalan name ("Ajuntament de Girona").
	Name string `json:"name"`
	// Types are the credential types it may issue; empty for a verifier-only body.
	Types []credential.Type `json:"types,omitempty"`
	// Purposes are its verifier registrations (see trust.Purpose).
	Purposes []trust.Purpose `json:"purposes,omitempty"`
	// Operator marks the trust scheme operator, which signs the trust list.
	Operator bool `json:"operator,omitempty"`
	// KeyGeneration is the generation of the current signing keys (1 at onboarding).
	KeyGeneration int       `json:"key_generation"`
	Onboarded     time.Time `json:"onboarded"`
}

var adminIDRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)

// Validate checks an administration before onboarding.
func (a *Administration) Validate() error {
	if a == nil {
		return fmt.Errorf("administration: nil")
	}
	if !adminIDRE.MatchString(a.ID) {
		return fmt.Errorf("administration id %q: want lower-case letters, digits and dashes", a.ID)
	}
	if a.Name == "" {
		return fmt.Errorf("administration %s: name is required", a.ID)
	}
	for _, t := range a.Types {
		if _, err := credential.ParseType(string(t)); err != nil {
			return fmt.Errorf("administration %s: %w", a.ID, err)
		}
	}
	seen := map[string]bool{}
	for _, p := range a.Purposes {
		switch {
		case !adminIDRE.MatchString(p.ID) || seen[p.ID]:
			return fmt.Errorf("administration %s: purpose id %q invalid or repeated", a.ID, p.ID)
		case p.Title == "" || p.LegalBasis == "":
			return fmt.Errorf("administration %s: purpose %s needs a title and a legal basis", a.ID, p.ID)
		case len(p.Claims) == 0:
			return fmt.Errorf("administration %s: purpose %s registers no claims", a.ID, p.ID)
		case p.RetentionDays <= 0:
			return fmt.Errorf("administration %s: purpose %s needs a retention period", a.ID, p.ID)
		}
		if _, err := credential.ParseType(p.Type); err != nil {
			return fmt.Errorf("administration %s: purpose %s: %w", a.ID, p.ID, err)
		}
		seen[p.ID] = true
	}
	return nil
}

// May reports whether the administration may issue credentials of type t.
func (a *Administration) May(t credential.Type) bool { return slices.Contains(a.Types, t) }

// Onboard registers an administration and generates its first signing keys.
// Onboarding an existing id with the same name and types is a no-op, so
// `espai init` can run twice.
func (s *Service) Onboard(ctx context.Context, a Administration) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if existing, err := s.Administration(ctx, a.ID); err == nil {
		if existing.Name == a.Name && slices.Equal(existing.Types, a.Types) && existing.Operator == a.Operator && reflect.DeepEqual(existing.Purposes, a.Purposes) {
			return nil
		}
		return fmt.Errorf("administration %s is already onboarded with other settings", a.ID)
	}
	a.KeyGeneration = 1
	a.Onboarded = s.now().UTC()
	keys, err := s.newKeys(a.ID, 1)
	if err != nil {
		return err
	}
	defer s.adminGen.Add(1) // after the commit: see AdministrationNames
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketAdmins), []byte(a.ID), a); err != nil {
			return err
		}
		return putKeys(tx, keys)
	})
}

// AdministrationNames maps each onboarded administration's id to its
// official name. Pages call it on every request, so the names are kept
// between changes: a reader stores what it read under the generation it
// started at, and every committed change moves the generation on, so a
// stale read is never served twice.
func (s *Service) AdministrationNames(ctx context.Context) (map[string]string, error) {
	gen := s.adminGen.Load()
	if c := s.names.Load(); c != nil && c.gen == gen {
		return maps.Clone(c.names), nil
	}
	admins, err := s.Administrations(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(admins))
	for _, a := range admins {
		names[a.ID] = a.Name
	}
	s.names.Store(&namesCache{gen: gen, names: names})
	return maps.Clone(names), nil
}

// Administration returns one onboarded administration.
func (s *Service) Administration(_ context.Context, id string) (*Administration, error) {
	var a Administration
	err := s.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketAdmins), []byte(id), &a)
		if err == nil && !ok {
			err = fmt.Errorf("%w %q", ErrUnknownAdministration, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Administrations lists every onboarded administration by id.
func (s *Service) Administrations(_ context.Context) ([]Administration, error) {
	var out []Administration
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAdmins).ForEach(func(_, v []byte) error {
			var a Administration
			if err := jsonUnmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// operator returns the trust scheme operator.
func (s *Service) operator(ctx context.Context) (*Administration, error) {
	all, err := s.Administrations(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Operator {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("%w: no trust scheme operator onboarded", ErrUnknownAdministration)
}

// DID is the did:web identifier of an administration in this deployment.
func (s *Service) DID(adminID string) string {
	return didWeb(s.cfg.DIDDomain, adminID)
}
