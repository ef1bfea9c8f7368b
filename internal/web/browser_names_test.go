package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowserTestsAreNamedSo: `make test` runs the tests that drive Chromium
// apart (without the race detector, -run Browser) from the rest (with it,
// -skip Browser), by name. A test that starts a browser without "Browser" in
// its name would run under -race twice as slowly, so it fails here.
func TestBrowserTestsAreNamedSo(t *testing.T) {
	files, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	found := 0
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "Test") {
				continue
			}
			starts := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && (id.Name == "newChrome" || id.Name == "openTab" || id.Name == "newTab" || id.Name == "chromedp") {
					starts = true
				}
				return !starts
			})
			if starts {
				found++
				if !strings.Contains(fn.Name.Name, "Browser") {
					t.Errorf("%s (%s) drives Chromium: put Browser in its name", fn.Name.Name, f)
				}
			}
		}
	}
	if found < 5 {
		t.Fatalf("found %d browser tests: the markers no longer match the helpers", found)
	}
}
