package register

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	f := openTest(t, "testdata")
	tests := []struct {
		query string
		limit int
		want  string // comma-separated ids
	}{
		{"laia", 0, "12345678Z"},
		{"LAIA puig", 0, "12345678Z"},
		{"puig laia", 0, "12345678Z"},
		{"lopez", 0, "87654321X"},  // accent-insensitive
		{"garcía", 0, "87654321X"}, // accent in the query too
		{"el amr", 0, "X1234567L"}, // word prefixes
		{"x12", 0, "X1234567L"},    // id prefix
		{"1234", 0, "12345678Z"},   // id prefix
		{"8765-4321", 0, "87654321X"},
		{"", 0, ""},
		{"  ", 0, ""},
		{"laia serra x", 0, ""},         // every word must match
		{"l", 0, "12345678Z,87654321X"}, // Laia, López: ordered by name
		{"l", 1, "12345678Z"},
		{"y", 0, "X1234567L"}, // a name, not an NIE prefix
		{"z", 0, ""},          // could start a NIE; no name word starts with z
		{"12345678z", 0, "12345678Z"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%d", tt.query, tt.limit), func(t *testing.T) {
			got, err := f.Search(context.Background(), tt.query, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m.ID)
			}
			if strings.Join(ids, ",") != tt.want {
				t.Errorf("Search(%q) = %v, want %s", tt.query, ids, tt.want)
			}
		})
	}
}

func TestFoldWords(t *testing.T) {
	tests := map[string]string{
		"Martí Ferrer i Soler":  "marti ferrer i soler",
		"Col·legi d'Urgell":     "collegi d urgell",
		"Garcia-López NÚÑEZ":    "garcia lopez nunez",
		"Çà, è; ï? ü!":          "ca e i u",
		"L'Hospitalet de Llobr": "l hospitalet de llobr",
	}
	for in, want := range tests {
		if got := strings.Join(foldWords(in), " "); got != want {
			t.Errorf("foldWords(%q) = %q, want %q", in, got, want)
		}
	}
}
