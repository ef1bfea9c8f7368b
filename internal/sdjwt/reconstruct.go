package sdjwt

import (
	"errors"
	"fmt"
)

// maxDepth bounds the nesting of claims and recursive disclosures processed.
const maxDepth = 32

// reconstruction is the result of processing the issuer-signed payload with
// the presented disclosures (RFC 9901 §7.1 steps 3–5).
type reconstruction struct {
	claims map[string]any
	paths  []string // paths[i]: where disclosure i was found ("address.street", "nationalities[]")
	parent []int    // parent[i]: index of the disclosure whose value held disclosure i, -1 for the payload
}

type reconstructor struct {
	discs    []Disclosure
	byDigest map[string]int
	seen     map[string]bool
	rec      reconstruction
}

// reconstruct replaces every digest that a disclosure matches by the
// disclosed claim, and enforces: each digest appears at most once in the
// payload and the disclosures it references; a property disclosure is
// referenced from an _sd array and an element disclosure from {"...": d};
// a disclosed name does not clash with a plaintext or another disclosed name;
// plaintext-only claims are not disclosed at the top level; every disclosure
// is referenced; "..." appears only as the sole key of an array element.
func reconstruct(payload map[string]any, discs []Disclosure) (reconstruction, error) {
	r := &reconstructor{
		discs:    discs,
		byDigest: make(map[string]int, len(discs)),
		seen:     make(map[string]bool, len(discs)+8),
		rec: reconstruction{
			paths:  make([]string, len(discs)),
			parent: make([]int, len(discs)),
		},
	}
	for i, d := range discs {
		if j, dup := r.byDigest[d.Digest]; dup {
			return r.rec, fmt.Errorf("disclosure %d repeats disclosure %d", i+1, j+1)
		}
		r.byDigest[d.Digest] = i
		r.rec.parent[i] = -2 // not referenced yet
	}
	out, err := r.object(payload, "", -1, 0)
	if err != nil {
		return r.rec, err
	}
	delete(out, "_sd_alg")
	for i, p := range r.rec.parent {
		if p == -2 {
			return r.rec, fmt.Errorf("disclosure %d (%s) is not referenced by the issuer-signed JWT", i+1, describe(discs[i]))
		}
	}
	r.rec.claims = out
	return r.rec, nil
}

func describe(d Disclosure) string {
	if d.Element {
		return "an array element"
	}
	return fmt.Sprintf("claim %q", d.Name)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (r *reconstructor) value(v any, path string, owner, depth int) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		return r.object(x, path, owner, depth)
	case []any:
		return r.array(x, path, owner, depth)
	default:
		return v, nil
	}
}

func (r *reconstructor) use(dg string) (int, bool, error) {
	if r.seen[dg] {
		return 0, false, fmt.Errorf("digest %s appears more than once", dg)
	}
	r.seen[dg] = true
	i, ok := r.byDigest[dg]
	return i, ok, nil
}

func (r *reconstructor) object(obj map[string]any, path string, owner, depth int) (map[string]any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("claims nested deeper than %d", maxDepth)
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if k == "_sd" {
			continue
		}
		if k == "..." {
			return nil, errors.New(`"..." used outside an array element`)
		}
		pv, err := r.value(v, join(path, k), owner, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = pv
	}
	sd, has := obj["_sd"]
	if !has {
		return out, nil
	}
	list, ok := sd.([]any)
	if !ok {
		return nil, fmt.Errorf("_sd at %q is not an array", path)
	}
	for _, e := range list {
		dg, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("_sd at %q holds a non-string", path)
		}
		i, found, err := r.use(dg)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // a decoy, or a claim the holder did not disclose
		}
		d := r.discs[i]
		if d.Element {
			return nil, fmt.Errorf("disclosure %d is an array element but is referenced from _sd", i+1)
		}
		if depth == 0 && plaintextOnly[d.Name] {
			return nil, fmt.Errorf("claim %q must not be selectively disclosed", d.Name)
		}
		if _, clash := out[d.Name]; clash {
			return nil, fmt.Errorf("disclosed claim %q clashes with a claim already present", join(path, d.Name))
		}
		p := join(path, d.Name)
		r.rec.paths[i], r.rec.parent[i] = p, owner
		pv, err := r.value(d.Value, p, i, depth+1)
		if err != nil {
			return nil, err
		}
		out[d.Name] = pv
	}
	return out, nil
}

func (r *reconstructor) array(arr []any, path string, owner, depth int) ([]any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("claims nested deeper than %d", maxDepth)
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		m, isObj := e.(map[string]any)
		ref, isRef := m["..."]
		if !isObj || !isRef {
			pv, err := r.value(e, path+"[]", owner, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, pv)
			continue
		}
		if len(m) != 1 {
			return nil, fmt.Errorf(`array element at %q mixes "..." with other keys`, path)
		}
		dg, ok := ref.(string)
		if !ok {
			return nil, fmt.Errorf(`"..." at %q is not a string`, path)
		}
		i, found, err := r.use(dg)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // undisclosed element: removed
		}
		d := r.discs[i]
		if !d.Element {
			return nil, fmt.Errorf("disclosure %d is a claim %q but is referenced as an array element", i+1, d.Name)
		}
		p := path + "[]"
		r.rec.paths[i], r.rec.parent[i] = p, owner
		pv, err := r.value(d.Value, p, i, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, pv)
	}
	return out, nil
}
