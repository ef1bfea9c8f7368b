package issuer

import (
	"context"
	"testing"

	"github.com/espai/espai/internal/credential"
)

// The names are kept between changes and follow every change.
func TestAdministrationNamesFollowChanges(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	if err := s.Onboard(ctx, Administration{ID: "atc", Name: "Agència Tributària de Catalunya", Types: []credential.Type{credential.Tax}}); err != nil {
		t.Fatal(err)
	}
	names, err := s.AdministrationNames(ctx)
	if err != nil || names["atc"] != "Agència Tributària de Catalunya" || len(names) != 1 {
		t.Fatalf("names %v, %v", names, err)
	}
	names["atc"] = "changed by a caller" // callers get their own copy
	if again, _ := s.AdministrationNames(ctx); again["atc"] != "Agència Tributària de Catalunya" {
		t.Fatalf("a caller's change reached the cache: %v", again)
	}
	if err := s.Onboard(ctx, Administration{ID: "ajuntament-girona", Name: "Ajuntament de Girona", Types: []credential.Type{credential.Census}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateKeys(ctx, "atc"); err != nil {
		t.Fatal(err)
	}
	names, err = s.AdministrationNames(ctx)
	if err != nil || len(names) != 2 || names["ajuntament-girona"] != "Ajuntament de Girona" {
		t.Fatalf("after onboarding: %v, %v", names, err)
	}
}
