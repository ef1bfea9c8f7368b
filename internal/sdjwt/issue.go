package sdjwt

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Header typ values (SD-JWT VC §3.2.1). Espai issues TypSDJWTVC and accepts
// the legacy TypLegacyVC from older issuers.
const (
	TypSDJWTVC  = "dc+sd-jwt"
	TypLegacyVC = "vc+sd-jwt"
	TypKB       = "kb+jwt"
)

// plaintextOnly are the claims SD-JWT VC §3.2.2 forbids to disclose
// selectively (the verifier needs them before any disclosure: who issued it,
// when it is valid, what type it is, who holds it, where its status is), plus
// _sd_alg, which describes the disclosures themselves.
var plaintextOnly = map[string]bool{
	"iss": true, "iat": true, "exp": true, "nbf": true, "vct": true,
	"cnf": true, "status": true, "_sd_alg": true,
}

// DecoyBucket sets the number of decoy digests: every _sd array is padded
// with at least one decoy up to the next multiple of DecoyBucket. A verifier
// then learns only that the real count lies in a range of 4: every Espai
// census credential (9 to 11 claims, depending on a second surname and a
// household) carries 12 digests, so the count does not reveal either. The
// cost, 1–4 extra digests, keeps a three-claim census presentation inside a
// version-25 QR code.
const DecoyBucket = 4

// Issue makes an SD-JWT VC of claims, signed by s with the header
// typ dc+sd-jwt and kid s.KeyID (or the key's kid). disclosable names the
// claims to make selectively disclosable: top-level names ("given_name") or
// one level down ("address.street", where address is a plaintext or itself
// disclosable object). iss and vct must be strings; _sd_alg is added.
//
// The result is "<issuer-jwt>~<disclosure>~...~" with one disclosure per
// disclosable claim; the _sd arrays hold their digests and decoys, sorted so
// that their order reveals nothing.
func Issue(s Signer, claims map[string]any, disclosable []string) (string, error) {
	if iss, _ := claims["iss"].(string); iss == "" {
		return "", fmt.Errorf("%w: iss must be a non-empty string", ErrNotDisclosable)
	}
	if vct, _ := claims["vct"].(string); vct == "" {
		return "", fmt.Errorf("%w: vct must be a non-empty string", ErrNotDisclosable)
	}
	if err := checkReservedKeys(claims, 0); err != nil {
		return "", err
	}
	top, nested, err := splitPaths(claims, disclosable)
	if err != nil {
		return "", err
	}
	payload := make(map[string]any, len(claims)+2)
	for k, v := range claims {
		payload[k] = v
	}
	var discs []Disclosure
	// Nested first: a disclosable parent's disclosure then carries the
	// child's digest (recursive disclosure, RFC 9901 §4.2.6).
	parents := make([]string, 0, len(nested))
	for p := range nested {
		parents = append(parents, p)
	}
	sort.Strings(parents)
	for _, p := range parents {
		orig := claims[p].(map[string]any) // checked by splitPaths
		obj := make(map[string]any, len(orig)+1)
		for k, v := range orig {
			obj[k] = v
		}
		ds, err := conceal(obj, nested[p])
		if err != nil {
			return "", err
		}
		discs = append(discs, ds...)
		payload[p] = obj
	}
	ds, err := conceal(payload, top)
	if err != nil {
		return "", err
	}
	discs = append(discs, ds...)
	payload["_sd_alg"] = HashAlg

	raw, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("sdjwt: issue: %w", err)
	}
	kid := s.kid()
	if kid == "" {
		return "", fmt.Errorf("%w: an issuer signer needs a kid", ErrBadSigner)
	}
	jwt, err := signJWS(s, TypSDJWTVC, kid, raw)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(jwt) + 1 + len(discs)*96)
	b.WriteString(jwt)
	b.WriteByte('~')
	for _, d := range discs {
		b.WriteString(d.Encoded)
		b.WriteByte('~')
	}
	return b.String(), nil
}

// conceal replaces the named members of obj by disclosures and writes the
// sorted _sd array (digests plus decoys) into obj.
func conceal(obj map[string]any, names []string) ([]Disclosure, error) {
	if len(names) == 0 {
		return nil, nil
	}
	sort.Strings(names)
	total := (len(names) + 1 + DecoyBucket - 1) / DecoyBucket * DecoyBucket
	digests := make([]any, 0, total)
	sorted := make([]string, 0, total)
	discs := make([]Disclosure, 0, len(names))
	for _, n := range names {
		d, err := newDisclosure(n, obj[n])
		if err != nil {
			return nil, err
		}
		delete(obj, n)
		discs = append(discs, d)
		sorted = append(sorted, d.Digest)
	}
	for len(sorted) < total {
		dd, err := decoyDigest()
		if err != nil {
			return nil, err
		}
		sorted = append(sorted, dd)
	}
	sort.Strings(sorted)
	for _, d := range sorted {
		digests = append(digests, d)
	}
	obj["_sd"] = digests
	return discs, nil
}

// splitPaths validates the disclosable paths: top-level names, and nested
// names grouped by parent.
func splitPaths(claims map[string]any, paths []string) (top []string, nested map[string][]string, err error) {
	seen := make(map[string]bool, len(paths))
	nested = map[string][]string{}
	for _, p := range paths {
		if seen[p] {
			return nil, nil, fmt.Errorf("%w: %q listed twice", ErrNotDisclosable, p)
		}
		seen[p] = true
		parent, child, isNested := strings.Cut(p, ".")
		if plaintextOnly[parent] {
			return nil, nil, fmt.Errorf("%w: %q must stay plaintext (SD-JWT VC)", ErrNotDisclosable, parent)
		}
		v, ok := claims[parent]
		if !ok {
			return nil, nil, fmt.Errorf("%w: no claim %q", ErrNotDisclosable, parent)
		}
		if !isNested {
			top = append(top, p)
			continue
		}
		if child == "" || strings.Contains(child, ".") {
			return nil, nil, fmt.Errorf("%w: %q: only one level of nesting (parent.child) is supported", ErrNotDisclosable, p)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("%w: %q: %q is not an object", ErrNotDisclosable, p, parent)
		}
		if _, ok := obj[child]; !ok {
			return nil, nil, fmt.Errorf("%w: no claim %q", ErrNotDisclosable, p)
		}
		nested[parent] = append(nested[parent], child)
	}
	return top, nested, nil
}

// checkReservedKeys refuses claim sets that already use the names SD-JWT
// gives meaning to (_sd and "..." anywhere, _sd_alg at the top).
func checkReservedKeys(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: claims nested deeper than %d", ErrNotDisclosable, maxDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "_sd" || k == "..." || (depth == 0 && k == "_sd_alg") {
				return fmt.Errorf("%w: claim name %q is reserved by SD-JWT", ErrNotDisclosable, k)
			}
			if err := checkReservedKeys(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkReservedKeys(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
