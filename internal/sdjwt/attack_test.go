package sdjwt

// The SD-JWT part of the attack suite (issue 8; docs/security-attacks.md):
// every attack is refused, the verdict's first failed check is named, and
// the error is a *CheckError for that check wrapping ErrInvalid (and
// ErrMalformed for what is refused while parsing).

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	at "github.com/espai/espai/internal/attacktest"
	"github.com/espai/espai/internal/verdict"
)

// atkKeys is an IssuerKeys that records every lookup: an attack refused
// while parsing must not even reach the key lookup.
type atkKeys struct {
	inner IssuerKeys
	mu    sync.Mutex
	asked []string
}

func (k *atkKeys) IssuerKey(ctx context.Context, iss, kid string) (IssuerKey, error) {
	k.mu.Lock()
	k.asked = append(k.asked, kid)
	k.mu.Unlock()
	return k.inner.IssuerKey(ctx, iss, kid)
}

// atkCase is one attack on an SD-JWT.
type atkCase struct {
	name   string
	input  string
	check  string
	detail string // in the error
}

// atkRefused checks the outcome of Verify or VerifyPresentation.
func atkRefused(t *testing.T, c atkCase, v *verdict.Verdict, cred *Credential, err error) {
	t.Helper()
	if err == nil || cred != nil || v == nil || v.Valid || v.Claims != nil {
		t.Fatalf("ACCEPTED (err %v): %+v", err, v)
	}
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Check != c.check || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want a %s CheckError wrapping ErrInvalid", err, c.check)
	}
	if c.check == verdict.Parse && !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	if !strings.Contains(err.Error(), c.detail) {
		t.Fatalf("err = %v, want %q in it", err, c.detail)
	}
	if f := v.FirstFailure(); f == nil || f.Name != c.check {
		t.Fatalf("first failure %+v, want %s", f, c.check)
	}
}

func atkSplit(s string) (jwt, rest string) {
	i := strings.IndexByte(s, '~')
	return s[:i], s[i:]
}

// atkRawHeader builds a JWS from a header written as raw JSON (to smuggle
// duplicate members past any JSON encoder).
func atkRawHeader(rawHeader, payloadSeg, sig string) string {
	return b64.EncodeToString([]byte(rawHeader)) + "." + payloadSeg + "." + sig
}

func atkPubBytes(t *testing.T, pub any) (raw, pemKey []byte) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return k, pemKey
	case *ecdsa.PublicKey:
		e, err := k.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		return e.Bytes(), pemKey
	}
	t.Fatalf("key %T", pub)
	return nil, nil
}

// TestAttackIssuerJWT: alg none in every spelling, algorithm confusion and
// header tricks on the issuer-signed JWT, for a P-256 and an Ed25519 issuer.
func TestAttackIssuerJWT(t *testing.T) {
	trap := at.NewTrap(t)
	for _, issuerKind := range []string{"P-256", "Ed25519"} {
		t.Run(issuerKind+" issuer", func(t *testing.T) {
			var raw any = ecKey(t)
			if issuerKind == "Ed25519" {
				raw = edKey(t)
			}
			f := newFixture(t, raw, edKey(t))
			keys := &atkKeys{inner: f.keys}
			jwt, rest := atkSplit(issue(t, f))
			hdr, payload, pseg, sig := at.SplitJWS(t, jwt)
			pubJWK, err := json.Marshal(publicJWK(t, f.issuer.Key))
			if err != nil {
				t.Fatal(err)
			}
			var pub any
			if err := publicJWK(t, f.issuer.Key).Raw(&pub); err != nil {
				t.Fatal(err)
			}
			rawPub, pemPub := atkPubBytes(t, pub)
			attackerEC, attackerEd := at.ECKey(t, elliptic.P256()), at.EdKey(t)
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: testIss},
				NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
			cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &attackerEC.PublicKey, attackerEC)
			if err != nil {
				t.Fatal(err)
			}
			// Another key type of the issuer's: the confusion the header tries.
			other, otherAlg, wrongKind := any(attackerEd), "EdDSA", "EC P-256"
			if issuerKind == "Ed25519" {
				other, otherAlg, wrongKind = any(attackerEC), "ES256", "Ed25519"
			}

			var cases []atkCase
			for _, none := range []string{"none", "None", "NONE", "nOnE"} {
				h := at.With(hdr, "alg", none)
				cases = append(cases,
					atkCase{"alg " + none + " keeping the signature", at.Unsigned(t, h, pseg, sig) + rest, verdict.Parse, "unsigned JWTs are refused"},
					atkCase{"alg " + none + " with a junk signature", at.Unsigned(t, h, pseg, "AAAA") + rest, verdict.Parse, "unsigned JWTs are refused"},
				)
			}
			for _, m := range []struct {
				name, alg string
				key       []byte
			}{
				{"HS256 keyed with the public JWK (JSON)", "HS256", pubJWK},
				{"HS256 keyed with the public key (PEM)", "HS256", pemPub},
				{"HS256 keyed with the raw public key", "HS256", rawPub},
				{"HS384 keyed with the public JWK", "HS384", pubJWK},
				{"HS512 keyed with the public JWK", "HS512", pubJWK},
				{"Hs256 keyed with the public JWK", "Hs256", pubJWK},
			} {
				cases = append(cases, atkCase{m.name, at.JWS(t, at.With(hdr, "alg", m.alg), pseg, m.key) + rest, verdict.Parse, "MAC algorithms are refused"})
			}
			cases = append(cases,
				atkCase{otherAlg + " header on the " + issuerKind + " key", at.JWS(t, at.With(hdr, "alg", otherAlg), pseg, other) + rest, verdict.Signature, "does not match the " + wrongKind + " key"},
				atkCase{"ES384 header", at.JWS(t, at.With(hdr, "alg", "ES384"), pseg, at.ECKey(t, elliptic.P384())) + rest, verdict.Signature, "does not match"},
				atkCase{"ES512 header", at.JWS(t, at.With(hdr, "alg", "ES512"), pseg, at.ECKey(t, elliptic.P521())) + rest, verdict.Signature, "does not match"},
				atkCase{"RS256 header", at.JWS(t, at.With(hdr, "alg", "RS256"), pseg, at.RSAKey(t)) + rest, verdict.Signature, "does not match"},
				atkCase{"PS256 header", at.JWS(t, at.With(hdr, "alg", "PS256"), pseg, at.RSAKey(t)) + rest, verdict.Signature, "does not match"},
				atkCase{"alg absent", at.Unsigned(t, at.With(hdr, "alg", nil), pseg, sig) + rest, verdict.Parse, "no alg"},
				atkCase{"alg not a string", at.Unsigned(t, at.With(hdr, "alg", []string{"ES256"}), pseg, sig) + rest, verdict.Parse, "no alg"},
				atkCase{"duplicate alg member (none last)", atkRawHeader(`{"alg":"`+hdr["alg"].(string)+`","kid":"`+testKid+`","typ":"dc+sd-jwt","alg":"none"}`, pseg, sig) + rest, verdict.Parse, "duplicate member"},
				atkCase{"duplicate iss member in the payload", jwt[:strings.IndexByte(jwt, '.')] + "." + b64.EncodeToString([]byte(`{"iss":"`+testIss+`","vct":"x","iss":"did:web:evil.example"}`)) + "." + sig + rest, verdict.Parse, "duplicate member"},

				atkCase{"kid of another issuer", at.JWS(t, at.With(hdr, "kid", "did:web:atc.example.cat#key-1"), pseg, other) + rest, verdict.IssuerKey, "unknown issuer key"},
				atkCase{"kid of a key generation that does not exist", at.JWS(t, at.With(hdr, "kid", testIss+"#key-2"), pseg, other) + rest, verdict.IssuerKey, "unknown issuer key"},
				atkCase{"kid with a path", at.JWS(t, at.With(hdr, "kid", testIss+"#../../atc/key-1"), pseg, other) + rest, verdict.IssuerKey, "unknown issuer key"},
				atkCase{"kid as a URL", at.JWS(t, at.With(hdr, "kid", trap.URL+"/key.json"), pseg, other) + rest, verdict.Parse, "kid is a URL"},
				atkCase{"kid with a space", at.Unsigned(t, at.With(hdr, "kid", "key 1"), pseg, sig) + rest, verdict.Parse, "not a plain identifier"},
				atkCase{"kid with a quote", at.Unsigned(t, at.With(hdr, "kid", `key"1`), pseg, sig) + rest, verdict.Parse, "not a plain identifier"},
				atkCase{"kid of 600 bytes", at.Unsigned(t, at.With(hdr, "kid", strings.Repeat("k", 600)), pseg, sig) + rest, verdict.Parse, "kid must be"},
				atkCase{"kid not a string", at.Unsigned(t, at.With(hdr, "kid", 1), pseg, sig) + rest, verdict.Parse, "kid is not a string"},
				atkCase{"embedded jwk header with the attacker's key", at.JWS(t, at.With(hdr, "alg", "ES256", "jwk", map[string]any{"kty": "EC", "crv": "P-256"}), pseg, attackerEC) + rest, verdict.Parse, `"jwk" refused`},
				atkCase{"jku header", at.JWS(t, at.With(hdr, "jku", trap.URL+"/jwks.json"), pseg, other) + rest, verdict.Parse, `"jku" refused`},
				atkCase{"x5u header", at.JWS(t, at.With(hdr, "x5u", trap.URL+"/cert.pem"), pseg, other) + rest, verdict.Parse, `"x5u" refused`},
				atkCase{"x5c chain", at.JWS(t, at.With(hdr, "alg", "ES256", "x5c", []string{base64.StdEncoding.EncodeToString(cert)}), pseg, attackerEC) + rest, verdict.Parse, `"x5c" refused`},
				atkCase{"crit header", at.Unsigned(t, at.With(hdr, "crit", []string{"exp"}), pseg, sig) + rest, verdict.Parse, `"crit" refused`},
				atkCase{"empty crit header", at.Unsigned(t, at.With(hdr, "crit", []string{}), pseg, sig) + rest, verdict.Parse, `"crit" refused`},
				atkCase{"b64 false header", at.Unsigned(t, at.With(hdr, "b64", false), pseg, sig) + rest, verdict.Parse, `"b64" refused`},
				atkCase{"typ kb+jwt", at.Unsigned(t, at.With(hdr, "typ", TypKB), pseg, sig) + rest, verdict.Parse, "typ"},
				atkCase{"payload changed under the signature", at.Unsigned(t, hdr, at.Seg(t, at.With(payload, "vct", "urn:espai:credential:tax:1")), sig) + rest, verdict.Signature, "signature does not verify"},
				atkCase{"iss of another issuer under the signature", at.Unsigned(t, hdr, at.Seg(t, at.With(payload, "iss", "did:web:atc.example.cat")), sig) + rest, verdict.IssuerKey, "unknown issuer key"},
			)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					keys.asked = nil
					v, cred, err := Verify(context.Background(), c.input, keys, testNow)
					atkRefused(t, c, v, cred, err)
					if c.check == verdict.Parse && len(keys.asked) != 0 {
						t.Fatalf("refused while parsing, yet the key lookup was asked for %v", keys.asked)
					}
				})
			}
			trap.Check(t)
		})
	}
}

// atkDisclosure encodes a disclosure array as given.
func atkDisclosure(t *testing.T, parts ...any) string {
	t.Helper()
	raw, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	return b64.EncodeToString(raw)
}

// TestAttackDisclosures: tampered, duplicated, dropped, foreign and
// malformed disclosures, decoys, and _sd / "..." structures the issuer's
// payload should never have held.
func TestAttackDisclosures(t *testing.T) {
	f := newFixture(t, ecKey(t), edKey(t))
	issued := issue(t, f)
	jwt, _ := atkSplit(issued)
	hdr, payload, _, _ := at.SplitJWS(t, jwt)
	sd, err := Parse(issued)
	if err != nil {
		t.Fatal(err)
	}
	var given Disclosure
	for _, d := range sd.Disclosures {
		if d.Name == "given_name" {
			given = d
		}
	}
	all := func(except string, extra ...string) string {
		s := jwt + "~"
		for _, d := range sd.Disclosures {
			if d.Encoded != except {
				s += d.Encoded + "~"
			}
		}
		for _, e := range extra {
			s += e + "~"
		}
		return s
	}
	// sign makes an issuer-signed JWT of p with the fixture's real key: the
	// issuer's payload itself is hostile (a compromised or buggy issuer).
	issuerKey := func() any {
		var k any
		if err := f.issuer.Key.Raw(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}()
	sign := func(p map[string]any, discs ...string) string {
		s := at.JWS(t, hdr, at.Seg(t, p), issuerKey) + "~"
		for _, d := range discs {
			s += d + "~"
		}
		return s
	}
	salt := b64.EncodeToString([]byte("0123456789abcdef"))
	// A decoy: the digest of random bytes, as Issue makes them. Its
	// preimage, presented as a disclosure, is not a disclosure.
	decoy := b64.EncodeToString([]byte("random-decoy-16b"))
	withSD := func(extra ...any) map[string]any {
		return at.With(payload, "_sd", append(append([]any(nil), payload["_sd"].([]any)...), extra...))
	}
	elem := atkDisclosure(t, salt, "ES")
	prop := atkDisclosure(t, salt, "nationality", "ES")
	arr := func(items ...any) map[string]any { return at.With(payload, "nationalities", items) }
	// 40 nested disclosures, each value an object whose _sd holds the next.
	nested := make([]string, 40)
	next := ""
	for i := len(nested) - 1; i >= 0; i-- {
		var v any = "deep"
		if next != "" {
			v = map[string]any{"_sd": []any{Digest(next)}}
		}
		nested[i] = atkDisclosure(t, salt, "n", v)
		next = nested[i]
	}

	cases := []atkCase{
		{"changed value", all(given.Encoded, atkDisclosure(t, given.Salt, "given_name", "Pere")), verdict.Disclosures, "not referenced"},
		{"changed salt", all(given.Encoded, atkDisclosure(t, salt, "given_name", given.Value)), verdict.Disclosures, "not referenced"},
		{"changed claim name", all(given.Encoded, atkDisclosure(t, given.Salt, "family_name", given.Value)), verdict.Disclosures, "not referenced"},
		{"same content, other encoding", all(given.Encoded, b64.EncodeToString([]byte(`["`+given.Salt+`", "given_name", "`+given.Value.(string)+`"]`))), verdict.Disclosures, "not referenced"},
		{"duplicated disclosure", all("", given.Encoded), verdict.Disclosures, "repeats"},
		{"disclosure for a digest not in the payload", all("", atkDisclosure(t, salt, "nationality", "ES")), verdict.Disclosures, "not referenced"},
		{"disclosure of another credential", all("", func() string { o, _ := Parse(issue(t, f)); return o.Disclosures[0].Encoded }()), verdict.Disclosures, "not referenced"},
		{"a decoy's preimage as a disclosure", sign(withSD(Digest(decoy)), decoy), verdict.Parse, "not a JSON array"},
		{"disclosure named _sd", all("", atkDisclosure(t, salt, "_sd", []any{})), verdict.Parse, "reserved"},
		{`disclosure named "..."`, all("", atkDisclosure(t, salt, "...", "x")), verdict.Parse, "reserved"},
		{"disclosure of one element", all("", atkDisclosure(t, salt)), verdict.Parse, "1 elements"},
		{"disclosure of four elements", all("", atkDisclosure(t, salt, "a", "b", "c")), verdict.Parse, "4 elements"},
		{"disclosure with a numeric salt", all("", atkDisclosure(t, 1, "a", "b")), verdict.Parse, "salt"},
		{"disclosure with a numeric name", all("", atkDisclosure(t, salt, 1, "b")), verdict.Parse, "claim name"},
		{"disclosure padded base64", all("", atkDisclosure(t, salt, "a", "b")+"="), verdict.Parse, "not base64url"},
		{"empty disclosure (~~)", jwt + "~~", verdict.Parse, "empty disclosure"},
		{"two key-binding JWTs", all("") + "a.b.c~a.b.c", verdict.Parse, "not base64url"},

		{"_sd holding a number", sign(withSD(42.0)), verdict.Disclosures, "non-string"},
		{"_sd holding null", sign(withSD(nil)), verdict.Disclosures, "non-string"},
		{"_sd holding an object", sign(withSD(map[string]any{"...": Digest(prop)}), prop), verdict.Disclosures, "non-string"},
		{"_sd holding an array", sign(withSD([]any{Digest(prop)}), prop), verdict.Disclosures, "non-string"},
		{"_sd a string", sign(at.With(payload, "_sd", Digest(prop)), prop), verdict.Disclosures, "not an array"},
		{"digest twice in _sd", sign(withSD(Digest(prop), Digest(prop)), prop), verdict.Disclosures, "more than once"},
		{"decoy twice in _sd", sign(withSD(Digest(decoy), Digest(decoy))), verdict.Disclosures, "more than once"},
		{"array element referenced from _sd", sign(withSD(Digest(elem)), elem), verdict.Disclosures, "array element but is referenced from _sd"},
		{"property referenced as an array element", sign(arr(map[string]any{"...": Digest(prop)}), prop), verdict.Disclosures, "referenced as an array element"},
		{`"..." not a string`, sign(arr(map[string]any{"...": 7.0})), verdict.Disclosures, "not a string"},
		{`"..." beside another key`, sign(arr(map[string]any{"...": Digest(elem), "x": 1.0}), elem), verdict.Disclosures, "mixes"},
		{"array element twice", sign(arr(map[string]any{"...": Digest(elem)}, map[string]any{"...": Digest(elem)}), elem), verdict.Disclosures, "more than once"},
		{"tampered array element", sign(arr(map[string]any{"...": Digest(elem)}), atkDisclosure(t, salt, "FR")), verdict.Disclosures, "not referenced"},
		{`"..." outside an array`, sign(at.With(payload, "x", map[string]any{"...": Digest(elem)}), elem), verdict.Disclosures, "outside an array"},
		{"name clash with a plaintext claim", sign(at.With(withSD(Digest(prop)), "nationality", "FR"), prop), verdict.Disclosures, "clashes"},
		{"disclosures nested 40 deep", sign(at.With(payload, "_sd", []any{Digest(nested[0])}), nested...), verdict.Disclosures, "nested deeper than"},
	}
	for _, name := range []string{"iss", "vct", "cnf", "status", "exp", "iat", "nbf", "_sd_alg"} {
		d := atkDisclosure(t, salt, name, "did:web:evil.example")
		cases = append(cases, atkCase{"plaintext-only claim " + name + " disclosed", sign(withSD(Digest(d)), d), verdict.Disclosures, "must not be selectively disclosed"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, cred, err := Verify(context.Background(), c.input, f.keys, testNow)
			atkRefused(t, c, v, cred, err)
		})
	}

	// Dropped disclosures: the claim is absent, never present (not null,
	// not an empty value), and not listed as disclosed.
	t.Run("dropped disclosure is absent", func(t *testing.T) {
		v, cred, err := Verify(context.Background(), all(given.Encoded), f.keys, testNow)
		if err != nil {
			t.Fatalf("%v %+v", err, v.Checks)
		}
		if _, ok := cred.Claims["given_name"]; ok || slices.Contains(cred.Disclosed, "given_name") {
			t.Fatalf("claims %v, disclosed %v", cred.Claims, cred.Disclosed)
		}
		if _, ok := v.Claims["given_name"]; ok {
			t.Fatalf("verdict claims %v", v.Claims)
		}
	})
	t.Run("dropped array element is absent", func(t *testing.T) {
		fr := atkDisclosure(t, b64.EncodeToString([]byte("fedcba9876543210")), "FR")
		in := sign(arr(map[string]any{"...": Digest(elem)}, map[string]any{"...": Digest(fr)}, "IT"), fr)
		_, cred, err := Verify(context.Background(), in, f.keys, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if got := cred.Claims["nationalities"].([]any); !slices.Equal(got, []any{"FR", "IT"}) {
			t.Fatalf("nationalities %v, want [FR IT]", got)
		}
	})
}

// TestAttackKeyBinding: forged, replaced and mismatched key-binding JWTs.
func TestAttackKeyBinding(t *testing.T) {
	f := newFixture(t, ecKey(t), edKey(t))
	issued := issue(t, f)
	pres, err := Present(issued, []string{"given_name"}, f.holder, testAud, testNon, testNow)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(pres, '~')
	presented, kb := pres[:i+1], pres[i+1:]
	kh, kp, kseg, ksig := at.SplitJWS(t, kb)
	holderPub, err := json.Marshal(publicJWK(t, f.holder.Key))
	if err != nil {
		t.Fatal(err)
	}
	var holderKey any
	if err := f.holder.Key.Raw(&holderKey); err != nil {
		t.Fatal(err)
	}
	holderKB := func(c map[string]any) string { return presented + at.JWS(t, kh, at.Seg(t, c), holderKey) }
	other, err := Present(issued, []string{"birthdate"}, f.holder, testAud, testNon, testNow)
	if err != nil {
		t.Fatal(err)
	}
	otherPresented := other[:strings.LastIndexByte(other, '~')+1]
	// Credentials re-signed by the issuer without cnf, or with an unusable one.
	var issuerKey any
	if err := f.issuer.Key.Raw(&issuerKey); err != nil {
		t.Fatal(err)
	}
	jwt, rest := atkSplit(presented)
	ih, ip, _, _ := at.SplitJWS(t, jwt)
	resigned := func(p map[string]any) string {
		pr := at.JWS(t, ih, at.Seg(t, p), issuerKey) + rest
		return pr + at.JWS(t, kh, at.Seg(t, at.With(kp, "sd_hash", Digest(pr))), holderKey)
	}

	var cases []atkCase
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		cases = append(cases,
			atkCase{"KB-JWT alg " + none, presented + at.Unsigned(t, at.With(kh, "alg", none), kseg, ksig), verdict.HolderBinding, "unsigned JWTs are refused"},
			atkCase{"KB-JWT alg " + none + ", no signature", presented + at.Unsigned(t, at.With(kh, "alg", none), kseg, "AA"), verdict.HolderBinding, "unsigned JWTs are refused"},
		)
	}
	cases = append(cases,
		atkCase{"KB-JWT HS256 keyed with the holder's public JWK", presented + at.JWS(t, at.With(kh, "alg", "HS256"), kseg, holderPub), verdict.HolderBinding, "MAC algorithms are refused"},
		atkCase{"KB-JWT signed by another key", presented + at.JWS(t, kh, kseg, at.EdKey(t)), verdict.HolderBinding, "signature does not verify"},
		atkCase{"KB-JWT ES256 on the Ed25519 cnf key", presented + at.JWS(t, at.With(kh, "alg", "ES256"), kseg, at.ECKey(t, elliptic.P256())), verdict.HolderBinding, "does not match"},
		atkCase{"KB-JWT with the attacker's key in a jwk header", presented + at.JWS(t, at.With(kh, "jwk", map[string]any{"kty": "OKP"}), kseg, at.EdKey(t)), verdict.HolderBinding, `"jwk" refused`},
		atkCase{"KB-JWT with a kid URL", presented + at.JWS(t, at.With(kh, "kid", "https://evil.example/k"), kseg, holderKey), verdict.HolderBinding, "kid is a URL"},
		atkCase{"KB-JWT typ JWT", presented + at.JWS(t, at.With(kh, "typ", "JWT"), kseg, holderKey), verdict.HolderBinding, "typ"},
		atkCase{"KB-JWT without typ", presented + at.JWS(t, at.With(kh, "typ", nil), kseg, holderKey), verdict.HolderBinding, "typ"},
		atkCase{"KB-JWT sd_hash of other disclosures", holderKB(at.With(kp, "sd_hash", Digest(otherPresented))), verdict.SDHash, "does not cover"},
		atkCase{"KB-JWT sd_hash with SHA-512", holderKB(at.With(kp, "sd_hash", base64.RawURLEncoding.EncodeToString(make([]byte, 64)))), verdict.SDHash, "does not cover"},
		atkCase{"KB-JWT without sd_hash", holderKB(at.With(kp, "sd_hash", nil)), verdict.SDHash, "does not cover"},
		atkCase{"KB-JWT of another presentation", presented + other[len(otherPresented):], verdict.SDHash, "does not cover"},
		atkCase{"KB-JWT aud an array", holderKB(at.With(kp, "aud", []any{testAud})), verdict.Audience, "aud"},
		atkCase{"KB-JWT nonce a number", holderKB(at.With(kp, "nonce", 1)), verdict.Nonce, "nonce"},
		atkCase{"KB-JWT iat a string", holderKB(at.With(kp, "iat", "now")), verdict.Freshness, "iat"},
		atkCase{"credential without cnf", resigned(at.With(ip, "cnf", nil)), verdict.HolderBinding, "no cnf.jwk"},
		atkCase{"cnf with a symmetric key", resigned(at.With(ip, "cnf", map[string]any{"jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}})), verdict.Parse, "cnf.jwk"},
		atkCase{"cnf with an RSA key", resigned(at.With(ip, "cnf", map[string]any{"jwk": map[string]any{"kty": "RSA", "n": "sXch", "e": "AQAB"}})), verdict.Parse, "cnf.jwk"},
		atkCase{"cnf without jwk", resigned(at.With(ip, "cnf", map[string]any{"kid": "https://evil.example/k"})), verdict.Parse, "cnf has no jwk"},
	)
	req := PresentationRequest{Audience: testAud, Nonce: testNon}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, cred, err := VerifyPresentation(context.Background(), c.input, f.keys, req, testNow)
			atkRefused(t, c, v, cred, err)
		})
	}
	// A presentation is not an issued credential.
	t.Run("presentation given to Verify", func(t *testing.T) {
		v, cred, err := Verify(context.Background(), pres, f.keys, testNow)
		atkRefused(t, atkCase{check: verdict.Parse, detail: "this is a presentation"}, v, cred, err)
	})
}
