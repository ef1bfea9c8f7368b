package jsonld

import (
	"encoding/json"
	"fmt"
	"strings"

	gold "github.com/piprate/json-gold/ld"
)

// allowedContext reports whether u may appear in an @context of a document
// this package signs or verifies. Every allowed context is @protected, none
// defines @vocab, and the loader holds each of them.
func allowedContext(u string) bool {
	switch u {
	case ContextCredentialsV1, ContextEd25519Signature2020, ContextEspaiV1:
		return true
	}
	return false
}

// decode parses raw JSON into a generic object.
func decode(raw []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %v", ErrMalformed, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	return m, nil
}

// strict checks that every value of raw is signed for what it says. aries'
// WithStrictValidation compares a compaction round trip by structure only
// (it skips scalars and arrays of objects) and json-gold v0.4 has no safe
// mode, so the rules are enforced here:
//
//   - every @context, at any depth, is a URL string or an array of URL
//     strings, the first being the VC 1.1 base context, each allowed and held
//     by the loader: no inline context objects, hence no @vocab and no
//     redefinition of protected terms;
//   - no other JSON-LD keyword appears as a key and no key is an IRI or a
//     compact IRI: every property is a term a context defines;
//   - no null values (expansion drops them silently);
//   - expansion keeps every value: the number of scalar values in the
//     document equals the number of values, @id and @type entries in its
//     expanded form, so no term was dropped as undefined;
//   - every @id and @type in the expanded form is an absolute IRI.
func (l *Loader) strict(raw []byte) error {
	doc, err := decode(raw)
	if err != nil {
		return err
	}
	want, err := l.countInput(doc, "")
	if err != nil {
		return err
	}
	opts := gold.NewJsonLdOptions("")
	opts.ProcessingMode = gold.JsonLd_1_1
	opts.DocumentLoader = l
	expanded, err := gold.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		return fmt.Errorf("%w: JSON-LD expansion: %v", ErrMalformed, err)
	}
	got, err := countExpanded(expanded)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: %d of %d values use terms no context defines", ErrMalformed, want-got, want)
	}
	return nil
}

// countInput counts the scalar values of v and enforces the key and
// @context rules. path names the position for error messages.
func (l *Loader) countInput(v any, path string) (int, error) {
	switch t := v.(type) {
	case nil:
		return 0, fmt.Errorf("%w: null value at %s", ErrMalformed, pathOrRoot(path))
	case string, float64, bool:
		return 1, nil
	case []any:
		n := 0
		for i, x := range t {
			c, err := l.countInput(x, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return 0, err
			}
			n += c
		}
		return n, nil
	case map[string]any:
		n := 0
		for k, x := range t {
			p := path + "." + k
			switch {
			case k == "@context":
				if err := l.checkContext(x, p); err != nil {
					return 0, err
				}
				continue
			case strings.HasPrefix(k, "@"):
				return 0, fmt.Errorf("%w: keyword %s not allowed (at %s)", ErrMalformed, k, p)
			case strings.Contains(k, ":"):
				return 0, fmt.Errorf("%w: property %q is an IRI, not a term (at %s)", ErrMalformed, k, p)
			case k == "":
				return 0, fmt.Errorf("%w: empty property name at %s", ErrMalformed, pathOrRoot(path))
			}
			c, err := l.countInput(x, p)
			if err != nil {
				return 0, err
			}
			n += c
		}
		return n, nil
	default:
		return 0, fmt.Errorf("%w: unexpected JSON value %T at %s", ErrMalformed, v, pathOrRoot(path))
	}
}

func (l *Loader) checkContext(v any, path string) error {
	var list []any
	switch t := v.(type) {
	case string:
		list = []any{t}
	case []any:
		list = t
	default:
		return fmt.Errorf("%w: inline @context at %s (only context URLs are accepted)", ErrMalformed, path)
	}
	if len(list) == 0 {
		return fmt.Errorf("%w: empty @context at %s", ErrMalformed, path)
	}
	seen := make(map[string]bool, len(list))
	for i, c := range list {
		u, ok := c.(string)
		if !ok {
			return fmt.Errorf("%w: inline @context at %s[%d] (only context URLs are accepted)", ErrMalformed, path, i)
		}
		if !l.Known(u) {
			return fmt.Errorf("%w %s", ErrUnknownContext, u)
		}
		if !allowedContext(u) {
			return fmt.Errorf("%w: JSON-LD context %s is not allowed in Espai documents", ErrMalformed, u)
		}
		if i == 0 && u != ContextCredentialsV1 {
			return fmt.Errorf("%w: first @context must be %s", ErrMalformed, ContextCredentialsV1)
		}
		if seen[u] {
			return fmt.Errorf("%w: @context %s listed twice", ErrMalformed, u)
		}
		seen[u] = true
	}
	return nil
}

// countExpanded counts the values, @id and @type entries of an expanded
// document and checks that identifiers are absolute IRIs.
func countExpanded(v any) (int, error) {
	switch t := v.(type) {
	case []any:
		n := 0
		for _, x := range t {
			c, err := countExpanded(x)
			if err != nil {
				return 0, err
			}
			n += c
		}
		return n, nil
	case map[string]any:
		if _, ok := t["@value"]; ok {
			// A value object; its @type is the datatype the context coerces
			// to, not a value of the input.
			if dt, ok := t["@type"].(string); ok && !absoluteIRI(dt) {
				return 0, fmt.Errorf("%w: relative datatype IRI %q", ErrMalformed, dt)
			}
			return 1, nil
		}
		n := 0
		for k, x := range t {
			switch k {
			case "@id":
				s, _ := x.(string)
				if !absoluteIRI(s) {
					return 0, fmt.Errorf("%w: relative IRI %q (identifiers must be absolute)", ErrMalformed, s)
				}
				n++
			case "@type":
				types, _ := x.([]any)
				if s, ok := x.(string); ok {
					types = []any{s}
				}
				for _, ty := range types {
					s, _ := ty.(string)
					if !absoluteIRI(s) {
						return 0, fmt.Errorf("%w: type %q is not defined by any context", ErrMalformed, s)
					}
					n++
				}
			case "@list", "@set", "@graph":
				c, err := countExpanded(x)
				if err != nil {
					return 0, err
				}
				n += c
			default:
				if strings.HasPrefix(k, "@") || !absoluteIRI(k) {
					return 0, fmt.Errorf("%w: unexpected %q after expansion", ErrMalformed, k)
				}
				c, err := countExpanded(x)
				if err != nil {
					return 0, err
				}
				n += c
			}
		}
		return n, nil
	default:
		return 0, fmt.Errorf("%w: unexpected expanded value %T", ErrMalformed, v)
	}
}

// absoluteIRI reports whether s starts with an RFC 3986 scheme. Blank node
// identifiers ("_:b0") are refused: Espai documents name every node.
func absoluteIRI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i < 1 || i == len(s)-1 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func pathOrRoot(p string) string {
	if p == "" {
		return "the document root"
	}
	return p
}
