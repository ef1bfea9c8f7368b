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
	before, err := s.AdministrationNames(ctx)
	if err != nil || before["atc"] != "Agència Tributària de Catalunya" {
		t.Fatalf("names %v, %v", before, err)
	}
	before["atc"] = "changed by a caller" // callers get their own copy
	if again, _ := s.AdministrationNames(ctx); again["atc"] != "Agència Tributària de Catalunya" {
		t.Fatalf("a caller's change reached the cache: %v", again)
	}
	if err := s.Onboard(ctx, Administration{ID: "ajuntament-lleida", Name: "Ajuntament de Lleida", Types: []credential.Type{credential.Census}}); err != nil {
		t.Fatal(err)
	}
	names, err := s.AdministrationNames(ctx)
	if err != nil || len(names) != len(before)+1 || names["ajuntament-lleida"] != "Ajuntament de Lleida" {
		t.Fatalf("after onboarding: %v, %v", names, err)
	}
	if _, err := s.RotateKeys(ctx, "atc"); err != nil {
		t.Fatal(err)
	}
	if gen := s.names.Load().gen; gen == s.adminGen.Load() {
		t.Fatal("a key rotation did not move the names' generation on")
	}
}
