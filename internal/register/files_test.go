package register

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyTestdata copies testdata/*.json into a fresh directory and returns it.
func copyTestdata(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, src := range Sources {
		b, err := os.ReadFile(filepath.Join("testdata", src.File()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, src, b)
	}
	return dir
}

func writeFile(t *testing.T, dir string, src Source, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, src.File()), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// mutate rewrites record i of src's testdata file with f.
func mutate(t *testing.T, dir string, src Source, i int, f func(rec map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, src.File()))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc["records"].([]any)[i].(map[string]any))
	b, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, src, b)
}

func openTest(t *testing.T, dir string) *Files {
	t.Helper()
	f, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestOpenTestdata(t *testing.T) {
	ctx := context.Background()
	f := openTest(t, "testdata")
	if p := f.Problems(); len(p) != 0 {
		t.Fatalf("testdata has problems: %v", p)
	}
	c, err := f.Census(ctx, "12345678-z")
	if err != nil {
		t.Fatal(err)
	}
	if c.FullName() != "Laia Puig Serra" || c.MunicipalitySlug != "girona" || c.BirthDate != (Date{2000, 5, 14}) {
		t.Errorf("census = %+v", c)
	}
	m, err := f.Census(ctx, "87654321X")
	if err != nil || m.SocialServices == nil || len(m.Household) != 3 || m.Household[0].ID != "11111111H" {
		t.Fatalf("census of the family = %+v, %v", m, err)
	}
	tax, err := f.TaxCompliance(ctx, "87654321X")
	if err != nil || tax.UpToDate || !strings.Contains(tax.Debt, "1.240,00") {
		t.Errorf("tax = %+v, %v", tax, err)
	}
	deg, err := f.Degrees(ctx, "12345678Z")
	if err != nil || len(deg) != 1 || deg[0].Grade != 8.42 || deg[0].ECTS != 240 {
		t.Errorf("degrees = %+v, %v", deg, err)
	}
	wl, err := f.WorkLife(ctx, "12345678Z")
	if err != nil || wl.TotalDays != 977 || !wl.Periods[1].Open() || wl.Periods[0].Open() {
		t.Errorf("worklife = %+v, %v", wl, err)
	}
	ids, err := f.IDs(ctx, SourceCensus)
	if err != nil || strings.Join(ids, ",") != "12345678Z,87654321X,X1234567L" {
		t.Errorf("IDs = %v, %v", ids, err)
	}
	if _, err := f.IDs(ctx, "padro"); err == nil {
		t.Error("IDs of an unknown source succeeded")
	}
}

func TestLookupErrors(t *testing.T) {
	f := openTest(t, "testdata")
	ctx := context.Background()
	_, err := f.Degrees(ctx, "X1234567L")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "NIE X1234567L") {
		t.Errorf("unknown citizen: %v, want ErrNotFound naming the NIE", err)
	}
	if _, err := f.TaxCompliance(ctx, "12345678A"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("invalid id: %v, want ErrInvalidID", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Census(cctx, "12345678Z"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	f := openTest(t, "testdata")
	ctx := context.Background()
	c, _ := f.Census(ctx, "87654321X")
	c.Household[0].Name = "changed"
	c.SocialServices.Programme = "changed"
	w, _ := f.WorkLife(ctx, "12345678Z")
	w.Periods[0].Days = -1
	c2, _ := f.Census(ctx, "87654321X")
	w2, _ := f.WorkLife(ctx, "12345678Z")
	if c2.Household[0].Name == "changed" || c2.SocialServices.Programme == "changed" || w2.Periods[0].Days == -1 {
		t.Fatal("a caller's change reached the register")
	}
}

func TestQuarantine(t *testing.T) {
	set := func(k string, v any) func(map[string]any) { return func(r map[string]any) { r[k] = v } }
	del := func(k string) func(map[string]any) { return func(r map[string]any) { delete(r, k) } }
	nested := func(list string, i int, k string, v any) func(map[string]any) {
		return func(r map[string]any) { r[list].([]any)[i].(map[string]any)[k] = v }
	}
	tests := []struct {
		name   string
		src    Source
		mut    func(map[string]any)
		id     string // quarantined id ("" when the id itself is bad)
		field  string
		reason string
	}{
		{"missing given name", SourceCensus, del("givenName"), "12345678Z", "givenName", "required"},
		{"blank family name", SourceCensus, set("familyName", "  "), "12345678Z", "familyName", "required"},
		{"wrong DNI letter", SourceCensus, set("nationalId", "12345678A"), "", "nationalId", "invalid DNI check letter"},
		{"impossible date", SourceCensus, set("birthDate", "2000-02-30"), "12345678Z", "birthDate", "not a YYYY-MM-DD calendar date"},
		{"date as number", SourceCensus, set("birthDate", 20000514), "12345678Z", "birthDate", "not a YYYY-MM-DD"},
		{"registered before birth", SourceCensus, set("registrationDate", "1999-01-01"), "12345678Z", "registrationDate", "before the birth date"},
		{"postal code of another province", SourceCensus, set("postalCode", "08001"), "12345678Z", "postalCode", "not in the province of Girona"},
		{"unknown province", SourceCensus, set("province", "Osca"), "12345678Z", "province", "not Barcelona"},
		{"bad slug", SourceCensus, set("municipalitySlug", "Girona"), "12345678Z", "municipalitySlug", "slug"},
		{"unknown field", SourceCensus, set("birth_date", "2000-05-14"), "12345678Z", "birth_date", "unknown field"},
		{"household id wrong", SourceCensus, set("household", []any{map[string]any{"name": "Pere Puig", "id": "11111111A", "relationship": "pare", "birthYear": 1970}}), "12345678Z", "household[0].id", "check letter"},
		{"control character", SourceCensus, set("address", "Carrer\u0000 de la Força"), "12345678Z", "address", "control"},
		{"tax validity before check", SourceTax, set("validUntil", "2026-01-01"), "12345678Z", "validUntil", "not after the check date"},
		{"tax debt without description", SourceTax, set("upToDate", false), "12345678Z", "debtDescription", "required when upToDate is false"},
		{"tax no obligations", SourceTax, set("obligationsChecked", []any{}), "12345678Z", "obligationsChecked", "at least one"},
		{"tax upToDate as string", SourceTax, set("upToDate", "yes"), "12345678Z", "upToDate", "want true or false"},
		{"ects out of range", SourceDegree, nested("degrees", 0, "ects", 400), "12345678Z", "degrees[0].ects", "outside 30..360"},
		{"grade out of range", SourceDegree, nested("degrees", 0, "grade", 10.5), "12345678Z", "degrees[0].grade", "outside 5.00..10.00"},
		{"grade with 3 decimals", SourceDegree, nested("degrees", 0, "grade", 8.425), "12345678Z", "degrees[0].grade", "more than 2 decimals"},
		{"no degrees", SourceDegree, set("degrees", []any{}), "12345678Z", "degrees", "at least one"},
		{"end before start", SourceWorkLife, nested("employment", 0, "endDate", "2021-06-01"), "12345678Z", "employment[0].endDate", "before the start date"},
		{"end after report", SourceWorkLife, nested("employment", 0, "endDate", "2027-01-01"), "12345678Z", "employment[0].endDate", "after the report date"},
		{"too many days", SourceWorkLife, nested("employment", 0, "daysContributed", 78), "12345678Z", "employment[0].daysContributed", "outside 0..77"},
		{"bad CIF", SourceWorkLife, nested("employment", 1, "employerTaxId", "Q17000019"), "12345678Z", "employment[1].employerTaxId", "wrong control"},
		{"bad regime", SourceWorkLife, nested("employment", 1, "regime", "autònom"), "12345678Z", "employment[1].regime", "is not"},
		{"total mismatch", SourceWorkLife, set("totalDaysContributed", 978), "12345678Z", "totalDaysContributed", "not the sum"},
		{"empty record", SourceWorkLife, func(r map[string]any) { clear(r) }, "", "nationalId", "required"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyTestdata(t)
			mutate(t, dir, tt.src, 0, tt.mut)
			f := openTest(t, dir)
			probs := f.Problems()
			if len(probs) != 1 {
				t.Fatalf("Problems = %v, want one", probs)
			}
			p := probs[0]
			if p.Source != tt.src || p.Index != 0 || p.Field != tt.field || !strings.Contains(p.Reason, tt.reason) {
				t.Fatalf("problem = %#v, want field %q reason ~%q", p, tt.field, tt.reason)
			}
			if !strings.HasPrefix(p.Error(), tt.src.File()+" record 0") {
				t.Errorf("Error() = %q does not name the file and record", p.Error())
			}
			// Laia's record in that register is not issuable; others still are.
			_, err := lookupAny(ctx, f, tt.src, "12345678Z")
			var re *RecordError
			if tt.id != "" && (!errors.As(err, &re) || re.Field != tt.field) {
				t.Errorf("lookup of the quarantined citizen = %v, want the RecordError", err)
			}
			if tt.id == "" && !errors.Is(err, ErrNotFound) {
				t.Errorf("lookup of a citizen whose id was bad = %v, want ErrNotFound", err)
			}
			other := "X1234567L"
			if tt.src == SourceTax {
				other = "87654321X"
			}
			if tt.src != SourceDegree {
				if _, err := lookupAny(ctx, f, tt.src, other); err != nil {
					t.Errorf("valid record %s: %v", other, err)
				}
			}
		})
	}
}

func lookupAny(ctx context.Context, f *Files, src Source, id string) (any, error) {
	switch src {
	case SourceCensus:
		return f.Census(ctx, id)
	case SourceTax:
		return f.TaxCompliance(ctx, id)
	case SourceDegree:
		return f.Degrees(ctx, id)
	}
	return f.WorkLife(ctx, id)
}

func TestRecordErrorMessage(t *testing.T) {
	e := &RecordError{Source: SourceCensus, Index: 17, ID: "1234567A", Field: "nationalId", Reason: "invalid DNI check letter"}
	if got, want := e.Error(), "census.json record 17 (DNI 1234567A): nationalId: invalid DNI check letter"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if strings.Contains(e.LogValue().String(), "1234567A") {
		t.Error("LogValue leaks the id")
	}
}

func TestDuplicateQuarantines(t *testing.T) {
	dir := copyTestdata(t)
	b, _ := os.ReadFile(filepath.Join(dir, "tax.json"))
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	recs := doc["records"].([]any)
	doc["records"] = append(recs, recs[0])
	b, _ = json.Marshal(doc)
	writeFile(t, dir, SourceTax, b)
	f := openTest(t, dir)
	_, err := f.TaxCompliance(context.Background(), "12345678Z")
	var re *RecordError
	if !errors.As(err, &re) || re.Index != 2 || !strings.Contains(re.Reason, "duplicate of record 0") {
		t.Fatalf("duplicate: %v", err)
	}
	if ids, _ := f.IDs(context.Background(), SourceTax); len(ids) != 2 {
		t.Errorf("IDs = %v, want each id once", ids)
	}
}

func TestOpenBadFiles(t *testing.T) {
	tests := []struct {
		name string
		src  Source
		data string // "" removes the file
		want string
	}{
		{"missing", SourceDegree, "", "degrees.json"},
		{"syntax", SourceCensus, "{\n  \"register\": \"census\",\n  \"version\": 1,\n  \"records\": [ {\"nationalId\": } ]\n}", "invalid JSON at byte 73 (line 4, column 31)"},
		{"truncated", SourceTax, `{"register": "tax", "version": 1, "records": [`, "invalid JSON"},
		{"trailing", SourceTax, `{"register": "tax", "version": 1, "records": []} x`, "invalid JSON"},
		{"not an object", SourceTax, `[1, 2]`, "want a JSON object"},
		{"wrong register", SourceTax, `{"register": "census", "version": 1, "records": []}`, `"register" must be "tax"`},
		{"wrong version", SourceTax, `{"register": "tax", "version": 2, "records": []}`, `"version" must be 1`},
		{"records missing", SourceTax, `{"register": "tax", "version": 1}`, `"records" must be an array`},
		{"unknown top-level", SourceTax, `{"register": "tax", "version": 1, "records": [], "x": 1}`, `unknown top-level field "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyTestdata(t)
			path := filepath.Join(dir, tt.src.File())
			if tt.data == "" {
				os.Remove(path)
			} else {
				writeFile(t, dir, tt.src, []byte(tt.data))
			}
			f, err := Open(dir)
			if f != nil || !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), tt.src.File()) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open = %v, want ErrBadFile naming %s and %q", err, tt.src.File(), tt.want)
			}
		})
	}
}

func TestRecordNotAnObject(t *testing.T) {
	dir := copyTestdata(t)
	writeFile(t, dir, SourceDegree, []byte(`{"register": "degree", "version": 1, "records": [5, "12345678Z",
		{"nationalId": "12345678Z", "degrees": [{"degreeTitle": "Grau en Dret", "university": "Universitat de Lleida",
		 "universitySlug": "udl", "awardDate": "2020-07-01", "ects": 240, "grade": 7}]}]}`))
	f := openTest(t, dir)
	probs := f.Problems()
	if len(probs) != 2 || probs[0].Reason != "want an object, got number" || probs[1].Index != 1 {
		t.Fatalf("Problems = %#v", probs)
	}
	if d, err := f.Degrees(context.Background(), "12345678Z"); err != nil || d[0].University != "Universitat de Lleida" {
		t.Fatalf("Degrees = %v, %v", d, err)
	}
}
