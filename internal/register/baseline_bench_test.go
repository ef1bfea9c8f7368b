package register

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// naiveNames reads the census file of dir as plain JSON and returns each
// record's lower-cased full name: what a search with no index, accent
// folding or ranking would scan.
func naiveNames(b *testing.B, dir string) []string {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "census.json"))
	if err != nil {
		b.Fatal(err)
	}
	var f struct {
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		b.Fatal(err)
	}
	names := make([]string, 0, len(f.Records))
	for _, r := range f.Records {
		var parts []string
		for _, k := range []string{"givenName", "familyName", "secondFamilyName"} {
			if s, ok := r[k].(string); ok {
				parts = append(parts, s)
			}
		}
		names = append(names, strings.ToLower(strings.Join(parts, " ")))
	}
	return names
}

// BenchmarkBaselineScan is the baseline of BenchmarkSearch: the same query
// as two substring tests over every lower-cased name, nothing more.
func BenchmarkBaselineScan(b *testing.B) {
	names := naiveNames(b, "testdata")
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
