package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/espai/espai/internal/register"
)

func generate(t testing.TB, cfg Config) *Dataset {
	t.Helper()
	ds, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func writeOpen(t testing.TB, ds *Dataset) (string, *register.Files) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "registers")
	if err := WriteRegisters(dir, ds); err != nil {
		t.Fatal(err)
	}
	f, err := register.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, f
}

func TestDeterministic(t *testing.T) {
	dirA, _ := writeOpen(t, generate(t, Config{}))
	dirB, _ := writeOpen(t, generate(t, Config{}))
	dirC, _ := writeOpen(t, generate(t, Config{Seed: 7}))
	for _, src := range register.Sources {
		a, _ := os.ReadFile(filepath.Join(dirA, src.File()))
		b, _ := os.ReadFile(filepath.Join(dirB, src.File()))
		c, _ := os.ReadFile(filepath.Join(dirC, src.File()))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", src.File())
		}
		if bytes.Equal(a, c) {
			t.Errorf("%s does not depend on the seed", src.File())
		}
	}
}

func TestLoadsBackWithoutProblems(t *testing.T) {
	for _, cfg := range []Config{{}, {Citizens: 5, Seed: 3}, {Citizens: 2000, Seed: 99, Today: register.Date{Year: 2031, Month: 2, Day: 28}}} {
		ds := generate(t, cfg)
		_, f := writeOpen(t, ds)
		if p := f.Problems(); len(p) != 0 {
			t.Fatalf("%+v: %d record errors, first: %v", cfg, len(p), p[0].Error())
		}
		want := cfg.Citizens
		if want == 0 {
			want = DefaultCitizens
		}
		ids, err := f.IDs(context.Background(), register.SourceCensus)
		if err != nil || len(ids) != want || len(ds.Census) != want {
			t.Errorf("%+v: %d census ids (%v), want %d", cfg, len(ids), err, want)
		}
	}
}

func TestIDsValidAndUnique(t *testing.T) {
	ds := generate(t, Config{})
	seen := map[string]bool{}
	nies := 0
	for _, c := range ds.Census {
		if err := register.ValidID(c.ID); err != nil {
			t.Fatal(err)
		}
		if seen[c.ID] {
			t.Fatalf("duplicate id %s", c.ID)
		}
		seen[c.ID] = true
		if register.KindOf(c.ID) == register.KindNIE {
			nies++
		}
	}
	if share := nies * 100 / len(ds.Census); share < 8 || share > 25 {
		t.Errorf("NIE share %d%%, want a realistic 8-25%%", share)
	}
	// Every other register speaks only of census citizens, once each.
	check := func(name string, ids []string) {
		once := map[string]bool{}
		for _, id := range ids {
			if !seen[id] || once[id] {
				t.Errorf("%s: id %s unknown to the census or repeated", name, id)
			}
			once[id] = true
		}
	}
	var tax, deg, wl []string
	for _, r := range ds.Tax {
		tax = append(tax, r.ID)
	}
	for _, r := range ds.Degrees {
		deg = append(deg, r.ID)
	}
	for _, r := range ds.WorkLife {
		wl = append(wl, r.ID)
	}
	check("tax", tax)
	check("degrees", deg)
	check("worklife", wl)
	if n := len(ds.Tax) * 100 / len(ds.Census); n < 99 {
		t.Errorf("only %d%% have a tax record", n)
	}
	if n := len(ds.Degrees) * 100 / len(ds.Census); n < 20 || n > 50 {
		t.Errorf("%d%% have a degree, want 20-50%%", n)
	}
}

func TestHouseholdsAndPlaces(t *testing.T) {
	ds := generate(t, Config{})
	byID := map[string]*register.Census{}
	for i := range ds.Census {
		byID[ds.Census[i].ID] = &ds.Census[i]
	}
	munis := map[string]Municipality{}
	for _, m := range Municipalities() {
		munis[m.Slug] = m
	}
	if n := len(munis); n < 25 || n > 35 {
		t.Errorf("%d municipalities, want 25-35", n)
	}
	provinces := map[string]bool{}
	for _, c := range ds.Census {
		m, ok := munis[c.MunicipalitySlug]
		if !ok || m.Name != c.Municipality || m.Province != c.Province {
			t.Fatalf("%s lives in an unknown municipality %q/%q", c.ID, c.Municipality, c.MunicipalitySlug)
		}
		provinces[c.Province] = true
		for _, h := range c.Household {
			if h.ID == "" {
				continue
			}
			other, ok := byID[h.ID]
			if !ok || other.Address != c.Address || other.RegistrationDate != c.RegistrationDate {
				t.Errorf("%s lists %s, who does not live at the same address", c.ID, h.ID)
			}
		}
	}
	if len(provinces) != 4 {
		t.Errorf("citizens in %d provinces, want 4", len(provinces))
	}
	for _, m := range Municipalities() {
		want := map[string]string{"Barcelona": "08", "Girona": "17", "Lleida": "25", "Tarragona": "43"}[m.Province]
		for _, pc := range m.PostalCodes {
			if want == "" || !strings.HasPrefix(pc, want) || len(pc) != 5 {
				t.Errorf("%s: postal code %s not in %s", m.Name, pc, m.Province)
			}
		}
	}
}

func TestAjuntament(t *testing.T) {
	tests := map[string]string{
		"Girona":                    "Ajuntament de Girona",
		"Igualada":                  "Ajuntament d'Igualada",
		"Olot":                      "Ajuntament d'Olot",
		"L'Hospitalet de Llobregat": "Ajuntament de l'Hospitalet de Llobregat",
		"La Seu d'Urgell":           "Ajuntament de la Seu d'Urgell",
		"Vilanova i la Geltrú":      "Ajuntament de Vilanova i la Geltrú",
	}
	for name, want := range tests {
		if got := (Municipality{Name: name}).Ajuntament(); got != want {
			t.Errorf("Ajuntament(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestUniversities(t *testing.T) {
	slugs := map[string]bool{}
	for _, u := range Universities() {
		slugs[u.Slug] = true
	}
	for _, want := range []string{"ub", "uab", "upc", "upf", "udg", "udl", "urv", "uoc"} {
		if !slugs[want] {
			t.Errorf("university %s missing", want)
		}
	}
	for _, p := range programmes {
		for _, s := range p.at {
			if !slugs[s] {
				t.Errorf("%s taught at unknown university %s", p.grau, s)
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, cfg := range []Config{{Citizens: 4}, {Citizens: MaxCitizens + 1}, {Citizens: -1}, {Today: register.Date{Year: 1999, Month: 1, Day: 1}}} {
		if _, err := Generate(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("Generate(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	if err := WriteRegisters(t.TempDir(), nil); !errors.Is(err, ErrConfig) {
		t.Errorf("WriteRegisters(nil) = %v", err)
	}
}

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	for _, seed := range []uint64{1, 2} {
		if err := WriteRegisters(dir, generate(t, Config{Citizens: 20, Seed: seed})); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("directory holds %d entries (temporary files left?), want 4", len(entries))
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func BenchmarkGenerateAndWrite(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		ds, err := Generate(Config{})
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteRegisters(dir, ds); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	if err := WriteRegisters(dir, generate(b, Config{})); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := register.Open(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	_, f := writeOpen(b, generate(b, Config{}))
	ctx := context.Background()
	for b.Loop() {
		if _, err := f.Search(ctx, "garcia lop", 20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineReadJSON is the baseline of BenchmarkOpen and
// BenchmarkGenerateAndWrite: read and decode the same register files as
// untyped JSON, with no validation or index.
func BenchmarkBaselineReadJSON(b *testing.B) {
	dir, _ := writeOpen(b, generate(b, Config{}))
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		b.Fatal(files, err)
	}
	for b.Loop() {
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkBaselineScan is the baseline of BenchmarkSearch: the query as two
// substring tests over every lower-cased name of the 1,200-citizen census.
func BenchmarkBaselineScan(b *testing.B) {
	dir, _ := writeOpen(b, generate(b, Config{}))
	raw, err := os.ReadFile(filepath.Join(dir, "census.json"))
	if err != nil {
		b.Fatal(err)
	}
	var f struct {
		Records []struct{ GivenName, FamilyName, SecondFamilyName string } `json:"records"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		b.Fatal(err)
	}
	names := make([]string, len(f.Records))
	for i, r := range f.Records {
		names[i] = strings.ToLower(r.GivenName + " " + r.FamilyName + " " + r.SecondFamilyName)
	}
	for b.Loop() {
		n := 0
		for _, s := range names {
			if strings.Contains(s, "garcia") && strings.Contains(s, "lop") {
				n++
			}
		}
		_ = n
	}
}
