package jsonld

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	ariesjsonld "github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/signer"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
)

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editJSON decodes raw, applies edit and re-encodes.
func editJSON(t testing.TB, raw []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	mustUnmarshal(t, raw, &m)
	edit(m)
	return mustMarshal(t, m)
}

func withoutProof(t testing.TB, raw []byte) []byte {
	return editJSON(t, raw, func(m map[string]any) { delete(m, "proof") })
}

func twoProofs(t testing.TB, raw []byte) []byte {
	return editJSON(t, raw, func(m map[string]any) { m["proof"] = []any{m["proof"], m["proof"]} })
}

// resign signs an unsigned document through the package's Sign.
func resign(t testing.TB, unsigned []byte, s Signer, o ProofOptions) []byte {
	t.Helper()
	out, err := testProcessor(t).Sign(context.Background(), unsigned, s, o)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return out
}

// ariesSign signs with aries directly, bypassing this package's strict
// checks: it shows what an attacker or a careless issuer can produce (aries
// silently signs documents with undefined terms).
func ariesSign(t testing.TB, unsigned []byte, s Signer, o ProofOptions) []byte {
	t.Helper()
	created := o.Created
	out, err := signer.New(ed25519signature2020.New(suite.WithSigner(edSigner{s.Key}))).Sign(&signer.Context{
		SignatureType: ProofType, Created: &created, VerificationMethod: s.MethodID,
		Purpose: o.Purpose, Challenge: o.Challenge, Domain: o.Domain,
	}, unsigned, ariesjsonld.WithDocumentLoader(testProcessor(t).Loader()))
	if err != nil {
		t.Fatalf("aries sign: %v", err)
	}
	return out
}

type leaf struct {
	path  []any // string keys and int indexes
	value any
}

func leaves(v any, path []any) []leaf {
	var out []leaf
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			out = append(out, leaves(x, append(append([]any(nil), path...), k))...)
		}
	case []any:
		for i, x := range t {
			out = append(out, leaves(x, append(append([]any(nil), path...), i))...)
		}
	default:
		out = append(out, leaf{path, v})
	}
	return out
}

// variants are the single-character changes of the leaf's value.
func (l leaf) variants() []any {
	switch v := l.value.(type) {
	case bool:
		return []any{!v}
	case float64:
		return []any{v + 1}
	case string:
		var out []any
		seen := map[int]bool{}
		for _, i := range []int{0, len(v) / 2, len(v) - 1} {
			if i < 0 || seen[i] {
				continue
			}
			seen[i] = true
			b := []byte(v)
			if b[i] == 'x' {
				b[i] = 'y'
			} else {
				b[i] = 'x'
			}
			out = append(out, string(b))
		}
		if v == "" {
			out = append(out, "x")
		}
		return out
	}
	panic(fmt.Sprintf("unexpected leaf %T", l.value))
}

func setPath(root map[string]any, path []any, v any) {
	var cur any = root
	for i, p := range path {
		last := i == len(path)-1
		switch k := p.(type) {
		case string:
			m := cur.(map[string]any)
			if last {
				m[k] = v
				return
			}
			cur = m[k]
		case int:
			a := cur.([]any)
			if last {
				a[k] = v
				return
			}
			cur = a[k]
		}
	}
}

// proofObject returns the single proof of a document, object or one-element array.
func proofObject(m map[string]any) map[string]any {
	if a, ok := m["proof"].([]any); ok {
		return a[0].(map[string]any)
	}
	return m["proof"].(map[string]any)
}
