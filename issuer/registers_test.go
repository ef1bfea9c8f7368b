package issuer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/espai/espai/internal/demo"
	"github.com/espai/espai/internal/register"
)

// testRegisters writes a small demo dataset dated fixedNow and opens it.
func testRegisters(t testing.TB) Registers {
	t.Helper()
	return RegistersFrom(openRegisters(t, writeRegisters(t, nil)))
}

// writeRegisters writes the demo registers (40 citizens) to a temporary
// directory, letting edit change the census records first.
func writeRegisters(t testing.TB, edit func(*demo.Dataset)) string {
	t.Helper()
	ds, err := demo.Generate(demo.Config{Citizens: 40, Today: register.DateOf(fixedNow)})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(ds)
	}
	dir := t.TempDir()
	if err := demo.WriteRegisters(dir, ds); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openRegisters(t testing.TB, dir string) *register.Files {
	t.Helper()
	f, err := register.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// rewriteCensusField sets a raw JSON field of census record i, bypassing Go
// validation, to produce the bad data an operator might load.
func rewriteCensusField(t *testing.T, dir string, i int, field string, value any) {
	t.Helper()
	path := filepath.Join(dir, register.SourceCensus.File())
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	rec := doc["records"].([]any)[i].(map[string]any)
	if value == nil {
		delete(rec, field)
	} else {
		rec[field] = value
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}
