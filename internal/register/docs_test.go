package register

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestDocsExamples keeps the examples of docs/registers.md valid: every
// ```json block that is a register file must open with zero record errors.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/registers.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	blocks := strings.Split(string(doc), "```json\n")[1:]
	seen := 0
	for _, b := range blocks {
		b = b[:strings.Index(b, "```")]
		var env struct {
			Register Source `json:"register"`
			Records  []struct {
				ID string `json:"nationalId"`
			} `json:"records"`
		}
		if json.Unmarshal([]byte(b), &env) != nil || env.Register == "" {
			continue
		}
		seen++
		t.Run(string(env.Register), func(t *testing.T) {
			dir := copyTestdata(t)
			writeFile(t, dir, env.Register, []byte(b))
			f := openTest(t, dir)
			if p := f.Problems(); len(p) != 0 {
				t.Fatalf("example has record errors: %v", p)
			}
			if _, err := lookupAny(context.Background(), f, env.Register, env.Records[0].ID); err != nil {
				t.Fatal(err)
			}
		})
	}
	if seen != len(Sources) {
		t.Errorf("found %d register examples, want %d", seen, len(Sources))
	}
}
