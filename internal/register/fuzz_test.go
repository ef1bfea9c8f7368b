package register

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the parser of every register file. It
// must never panic; and every record it accepts must be canonical (its id
// valid) and survive a JSON round trip unchanged and still valid.
func FuzzDecode(f *testing.F) {
	for i, src := range Sources {
		b, err := os.ReadFile(filepath.Join("testdata", src.File()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(0), []byte(`{"register":"census","version":1,"records":[{"nationalId":"12345678Z","birthDate":"2000-02-30"}]}`))
	f.Add(uint8(3), []byte(`{"register":"worklife","version":1,"records":[{"nationalId":"X1234567L","employment":[{"endDate":"1"}]}]}`))
	f.Add(uint8(0), []byte(`{"register":"census","version":1,"records":[{"nationalId":"12345678z","givenName":"A","familyName":"B","birthDate":"2000-01-01","address":"C","postalCode":"08001","municipality":"Barcelona","municipalitySlug":"barcelona","province":"Barcelona","registrationDate":"2000-01-01","household":[]}]}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		switch Sources[int(which)%len(Sources)] {
		case SourceCensus:
			checkDecode[Census](t, SourceCensus, data)
		case SourceTax:
			checkDecode[TaxCompliance](t, SourceTax, data)
		case SourceDegree:
			checkDecode[Degrees](t, SourceDegree, data)
		case SourceWorkLife:
			checkDecode[WorkLife](t, SourceWorkLife, data)
		}
	})
}

func checkDecode[T any, P recordPtr[T]](t *testing.T, src Source, data []byte) {
	tab, err := decodeTable[T, P](src, data)
	if err != nil {
		return
	}
	for id, s := range tab.byID {
		if ValidID(id) != nil {
			t.Fatalf("indexed an invalid id %q", id)
		}
		if (s.rec == nil) == (s.err == nil) {
			t.Fatalf("slot %s has both or neither record and error", id)
		}
		if s.rec == nil {
			continue
		}
		if P(s.rec).key() != id {
			t.Fatalf("record under %s has id %s", id, P(s.rec).key())
		}
		b, err := json.Marshal(s.rec)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, rerr := decodeRecord[T, P](src, 0, b)
		if rerr != nil {
			t.Fatalf("a valid record no longer validates after a round trip: %v\n%s", rerr, b)
		}
		if !reflect.DeepEqual(again, s.rec) {
			t.Fatalf("round trip changed the record:\n%+v\n%+v", s.rec, again)
		}
	}
}
