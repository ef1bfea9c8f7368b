package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryUsedKeyExists reads every template and Go file of the package for
// literal message keys (.T.T "key", tr.T("key"), T("key")) and checks each is
// in the catalogue, so a page never shows a bare key to a citizen.
func TestEveryUsedKeyExists(t *testing.T) {
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`\.T\.T "([a-z][a-zA-Z0-9_.-]+)"`),
		regexp.MustCompile(`\.T\("([a-z][a-zA-Z0-9_.-]+)"`),
	}
	files, _ := filepath.Glob("templates/*.html")
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if !strings.HasSuffix(f, "_test.go") {
			files = append(files, f)
		}
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range patterns {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				seen++
				key := m[1]
				if strings.HasSuffix(key, ".") { // a prefix completed at run time
					continue
				}
				if messages["ca"][key] == "" {
					t.Errorf("%s uses %q, which no language has", f, key)
				}
			}
		}
	}
	if seen < 200 {
		t.Fatalf("found only %d key uses: the patterns no longer match the code", seen)
	}
}
