package jsonld

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/espai/espai/internal/verdict"
)

// TestStrictJSONLD signs each hostile document with aries directly (so the
// signature is valid) and checks that Verify refuses it at parse, and that
// Sign refuses to sign it.
func TestStrictJSONLD(t *testing.T) {
	p := testProcessor(t)
	f := fixtures()[0]
	unsigned := withoutProof(t, issueFixture(t, f))
	subject := func(m map[string]any) map[string]any { return m["credentialSubject"].(map[string]any) }
	ctxs := func(m map[string]any, extra ...any) { m["@context"] = append(m["@context"].([]any), extra...) }

	tests := []struct {
		name string
		edit func(m map[string]any)
		want string // in the error
	}{
		{"undefined term", func(m map[string]any) { subject(m)["favouriteColour"] = "blau" }, "no context defines"},
		{"undefined term in an array of objects", func(m map[string]any) {
			subject(m)["household"].([]any)[0].(map[string]any)["shoeSize"] = 42.0
		}, "no context defines"},
		{"undefined term at top level", func(m map[string]any) { m["evidence2"] = "x" }, "no context defines"},
		{"@vocab injection", func(m map[string]any) {
			ctxs(m, map[string]any{"@vocab": "https://evil.example/#"})
			subject(m)["favouriteColour"] = "blau"
		}, "inline @context"},
		{"inline redefinition of a protected term", func(m map[string]any) {
			ctxs(m, map[string]any{"givenName": "https://evil.example/#nickname"})
		}, "inline @context"},
		{"nested inline context", func(m map[string]any) {
			subject(m)["@context"] = map[string]any{"@vocab": "https://evil.example/#"}
		}, "inline @context"},
		{"relative @type", func(m map[string]any) {
			m["type"] = []any{"VerifiableCredential", "CensusCredential", "Passport"}
		}, "not defined by any context"},
		{"relative subject id", func(m map[string]any) { subject(m)["id"] = "maria" }, "relative IRI"},
		{"relative status list", func(m map[string]any) {
			m["credentialStatus"].(map[string]any)["statusListCredential"] = "status/1"
		}, "relative IRI"},
		{"compact IRI as key", func(m map[string]any) { subject(m)["evil:nickname"] = "x" }, "is an IRI"},
		{"keyword as key", func(m map[string]any) { subject(m)["@included"] = []any{} }, "keyword"},
		{"unknown context", func(m map[string]any) { ctxs(m, "https://example.com/contexts/unknown/v1") }, "unknown JSON-LD context https://example.com/contexts/unknown/v1"},
		{"known but disallowed context", func(m map[string]any) { ctxs(m, "https://w3id.org/security/v1") }, "not allowed"},
		{"base context not first", func(m map[string]any) {
			c := m["@context"].([]any)
			c[0], c[1] = c[1], c[0]
		}, "first @context"},
		{"null value", func(m map[string]any) { subject(m)["givenName"] = nil }, "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := editJSON(t, unsigned, tt.edit)
			if _, err := p.Sign(context.Background(), bad, issuerSigner(f.issuer), ProofOptions{Purpose: PurposeAssertion, Created: issued}); err == nil {
				t.Error("Sign accepted it")
			}
			signed := ariesSignOrRaw(t, bad, f)
			v, _, err := p.Verify(context.Background(), signed, testKeys(), verifyAt)
			if err == nil {
				t.Fatalf("verified: %+v", v.Checks)
			}
			ff := v.FirstFailure()
			if ff == nil || ff.Name != verdict.Parse || !strings.Contains(ff.Detail, tt.want) {
				t.Errorf("first failure %+v, want parse with %q", ff, tt.want)
			}
		})
	}
}

// ariesSignOrRaw signs with aries when aries can (it refuses unknown
// contexts and protected redefinitions itself); otherwise it grafts the good
// proof on, which is as good for a parse test.
func ariesSignOrRaw(t *testing.T, bad []byte, f fixture) []byte {
	t.Helper()
	if out, ok := tryAriesSign(t, bad, f); ok {
		return out
	}
	good := issueFixture(t, f)
	var gm map[string]any
	mustUnmarshal(t, good, &gm)
	return editJSON(t, bad, func(m map[string]any) { m["proof"] = gm["proof"] })
}

func tryAriesSign(t *testing.T, bad []byte, f fixture) (out []byte, ok bool) {
	t.Helper()
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	ft := &fakeT{T: t}
	out = ariesSign(ft, bad, issuerSigner(f.issuer), ProofOptions{Purpose: PurposeAssertion, Created: issued})
	return out, !ft.failed
}

// fakeT turns Fatalf into a panic caught by tryAriesSign.
type fakeT struct {
	*testing.T
	failed bool
}

func (f *fakeT) Fatalf(string, ...any) { f.failed = true; panic("aries refused") }

// TestNoNetwork serves a context over HTTP and checks that a document naming
// it is refused without a single request.
func TestNoNetwork(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/ld+json")
		_, _ = w.Write([]byte(`{"@context":{"@vocab":"https://evil.example/#"}}`))
	}))
	defer srv.Close()
	p := testProcessor(t)
	f := fixtures()[0]
	bad := editJSON(t, issueFixture(t, f), func(m map[string]any) {
		m["@context"] = append(m["@context"].([]any), srv.URL+"/context.jsonld")
	})
	_, _, err := p.Verify(context.Background(), bad, testKeys(), verifyAt)
	if err == nil || !strings.Contains(err.Error(), "unknown JSON-LD context "+srv.URL) {
		t.Errorf("got %v", err)
	}
	if _, err := p.Loader().LoadDocument(srv.URL + "/context.jsonld"); !errors.Is(err, ErrUnknownContext) {
		t.Errorf("loader: %v", err)
	}
	if hits.Load() != 0 {
		t.Errorf("%d HTTP requests made", hits.Load())
	}
}

func TestLoader(t *testing.T) {
	l := testProcessor(t).Loader()
	for _, u := range []string{ContextCredentialsV1, ContextEd25519Signature2020, ContextEspaiV1, "https://w3id.org/vc/status-list/2021/v1"} {
		if _, err := l.LoadDocument(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if len(l.URLs()) < 20 {
		t.Errorf("only %d contexts", len(l.URLs()))
	}
}

func TestAbsoluteIRI(t *testing.T) {
	for s, want := range map[string]bool{
		"https://a/b": true, "did:key:z6Mk": true, "urn:uuid:1": true, "a+b.c-d:x": true,
		"": false, "Foo": false, ":x": false, "x:": false, "_:b0": false, "1a:x": false, "/a:b": false,
	} {
		if got := absoluteIRI(s); got != want {
			t.Errorf("absoluteIRI(%q) = %v", s, got)
		}
	}
}
