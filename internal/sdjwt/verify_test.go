package sdjwt

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/verdict"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// resign decodes the issuer JWT of an issued SD-JWT, lets mutate change its
// header and payload, signs it again with key/alg and keeps the disclosures.
func resign(t *testing.T, issued string, key any, alg jwa.SignatureAlgorithm, mutate func(h jws.Headers, p map[string]any)) string {
	t.Helper()
	sd, err := Parse(issued)
	if err != nil {
		t.Fatal(err)
	}
	hdr, payload, err := ParseJWT(sd.IssuerJWT)
	if err != nil {
		t.Fatal(err)
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, hdr.Typ)
	_ = h.Set(jws.KeyIDKey, hdr.Kid)
	mutate(h, payload)
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := jws.Sign(raw, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(jwt) + sd.Presented()[len(sd.IssuerJWT):]
}

// unsigned builds "<header>.<payload>.<sig>" with any header at all.
func unsigned(t *testing.T, header map[string]any, issued, sig string) string {
	t.Helper()
	sd, _ := Parse(issued)
	parts := strings.Split(sd.IssuerJWT, ".")
	hb, _ := json.Marshal(header)
	return b64.EncodeToString(hb) + "." + parts[1] + "." + sig + sd.Presented()[len(sd.IssuerJWT):]
}

func TestVerifyRejects(t *testing.T) {
	ed := edKey(t)
	f := newFixture(t, ed, ecKey(t))        // Ed25519 issuer
	fe := newFixture(t, ecKey(t), ecKey(t)) // P-256 issuer
	issued := issue(t, f)
	issuedEC := issue(t, fe)
	edPriv := f.issuer.Key
	ecPriv := fe.issuer.Key
	other := jwkOf(t, ecKey(t))
	sd, _ := Parse(issued)
	d0, d1 := sd.Disclosures[0].Encoded, sd.Disclosures[1].Encoded
	pubBytes := []byte(ed.Public().(ed25519.PublicKey))
	ecPub, _ := json.Marshal(publicJWK(t, ecPriv))

	type tc struct {
		in    string
		keys  staticKeys
		check string
	}
	cases := map[string]tc{
		"duplicated disclosure":            {issued + d0 + "~", f.keys, verdict.Disclosures},
		"unreferenced disclosure":          {issued + b64.EncodeToString([]byte(`["c2FsdHNhbHRzYWx0","x","y"]`)) + "~", f.keys, verdict.Disclosures},
		"disclosure from other credential": {issued + func() string { o, _ := Parse(issue(t, f)); return o.Disclosures[0].Encoded }() + "~", f.keys, verdict.Disclosures},
		"key-binding on issued":            {issued + "a.b.c", f.keys, verdict.Parse},
		"HS256 with public key bytes":      {resign(t, issued, pubBytes, jwa.HS256, func(jws.Headers, map[string]any) {}), f.keys, verdict.Parse},
		"HS256 with EC JWK bytes":          {resign(t, issuedEC, ecPub, jwa.HS256, func(jws.Headers, map[string]any) {}), fe.keys, verdict.Parse},
		"ES256 header on Ed25519 key":      {resign(t, issued, ecPriv, jwa.ES256, func(jws.Headers, map[string]any) {}), f.keys, verdict.Signature},
		"EdDSA header on P-256 key":        {resign(t, issuedEC, edPriv, jwa.EdDSA, func(jws.Headers, map[string]any) {}), fe.keys, verdict.Signature},
		"ES384 header on P-256 key":        {unsigned(t, map[string]any{"alg": "ES384", "typ": TypSDJWTVC, "kid": testKid}, issuedEC, "AAAA"), fe.keys, verdict.Signature},
		"signed by another key":            {resign(t, issuedEC, other, jwa.ES256, func(jws.Headers, map[string]any) {}), fe.keys, verdict.Signature},
		"lookup fails":                     {issued, staticKeys{err: errors.New("DID document unreachable")}, verdict.IssuerKey},
		"payload tampered": {func() string {
			p := strings.Split(issued, ".")
			_, payload, _ := ParseJWT(strings.Split(issued, "~")[0])
			payload["iss"] = testIss
			payload["municipality"] = "Barcelona"
			raw, _ := json.Marshal(payload)
			return p[0] + "." + b64.EncodeToString(raw) + "." + p[2]
		}(), f.keys, verdict.Signature},
		"typ JWT":        {resign(t, issued, edPriv, jwa.EdDSA, func(h jws.Headers, _ map[string]any) { _ = h.Set(jws.TypeKey, "JWT") }), f.keys, verdict.Parse},
		"no typ":         {unsigned(t, map[string]any{"alg": "EdDSA", "kid": testKid}, issued, "AAAA"), f.keys, verdict.Parse},
		"no kid":         {unsigned(t, map[string]any{"alg": "EdDSA", "typ": TypSDJWTVC}, issued, "AAAA"), f.keys, verdict.Parse},
		"kid URL":        {resign(t, issued, edPriv, jwa.EdDSA, func(h jws.Headers, _ map[string]any) { _ = h.Set(jws.KeyIDKey, "https://evil.example/k") }), f.keys, verdict.Parse},
		"kid with space": {resign(t, issued, edPriv, jwa.EdDSA, func(h jws.Headers, _ map[string]any) { _ = h.Set(jws.KeyIDKey, "key 1") }), f.keys, verdict.Parse},
		"jku header":     {resign(t, issued, edPriv, jwa.EdDSA, func(h jws.Headers, _ map[string]any) { _ = h.Set(jws.JWKSetURLKey, "https://evil.example/jwks") }), f.keys, verdict.Parse},
		"x5u header":     {resign(t, issued, edPriv, jwa.EdDSA, func(h jws.Headers, _ map[string]any) { _ = h.Set(jws.X509URLKey, "https://evil.example/cert") }), f.keys, verdict.Parse},
		"jwk header":     {resign(t, issued, edPriv, jwa.EdDSA, func(h jws.Headers, _ map[string]any) { _ = h.Set(jws.JWKKey, publicJWK(t, edPriv)) }), f.keys, verdict.Parse},
		"b64 header":     {resign(t, issued, edPriv, jwa.EdDSA, func(h jws.Headers, _ map[string]any) { _ = h.Set("b64", true) }), f.keys, verdict.Parse},
		"crit header":    {resign(t, issued, edPriv, jwa.EdDSA, func(h jws.Headers, _ map[string]any) { _ = h.Set("crit", []string{"exp"}) }), f.keys, verdict.Parse},
		"expired": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["exp"] = testNow.Add(-2 * ClockSkew).Unix()
		}), f.keys, verdict.Validity},
		"not yet valid": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["nbf"] = testNow.Add(2 * ClockSkew).Unix()
		}), f.keys, verdict.Validity},
		"issued in the future": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["iat"] = testNow.Add(2 * ClockSkew).Unix()
		}), f.keys, verdict.Validity},
		"exp not a number": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) { p["exp"] = "tomorrow" }), f.keys, verdict.Parse},
		"_sd_alg sha-512":  {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) { p["_sd_alg"] = "sha-512" }), f.keys, verdict.Parse},
		"no vct":           {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) { delete(p, "vct") }), f.keys, verdict.Parse},
		"bad status idx": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["status"] = map[string]any{"status_list": map[string]any{"idx": -1, "uri": "x"}}
		}), f.keys, verdict.Parse},
		"cnf private key": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["cnf"] = map[string]any{"jwk": other}
		}), f.keys, verdict.Parse},
		"digest twice in _sd": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			sd := p["_sd"].([]any)
			p["_sd"] = append(sd, sd[0])
		}), f.keys, verdict.Disclosures},
		"undisclosed digest twice": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["_sd"] = append(p["_sd"].([]any), "decoy", "decoy")
		}), f.keys, verdict.Disclosures},
		"plaintext clash": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["given_name"] = "Pere"
		}), f.keys, verdict.Disclosures},
		"_sd not an array": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) { p["_sd"] = "x" }), f.keys, verdict.Disclosures},
		"property referenced as element": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["_sd"] = p["_sd"].([]any)[:0]
			p["list"] = []any{map[string]any{"...": Digest(d0)}}
		}), f.keys, verdict.Disclosures},
		"... outside array": {resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
			p["x"] = map[string]any{"...": "a"}
		}), f.keys, verdict.Disclosures},
		"reserved claim disclosed": func() tc {
			d, _ := newDisclosure("exp", testNow.Add(time.Hour).Unix())
			in := resign(t, issued, edPriv, jwa.EdDSA, func(_ jws.Headers, p map[string]any) {
				delete(p, "exp")
				p["_sd"] = append(p["_sd"].([]any), d.Digest)
			})
			return tc{in + d.Encoded + "~", f.keys, verdict.Disclosures}
		}(),
		"alg none empty sig": {unsigned(t, map[string]any{"alg": "none", "typ": TypSDJWTVC, "kid": testKid}, issued, ""), f.keys, verdict.Parse},
	}
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		cases["alg "+none] = tc{unsigned(t, map[string]any{"alg": none, "typ": TypSDJWTVC, "kid": testKid}, issued, "AAAA"), f.keys, verdict.Parse}
	}
	_ = d1
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			v, cred, err := Verify(context.Background(), c.in, c.keys, testNow)
			if err == nil || cred != nil || v.Valid || v.Claims != nil {
				t.Fatalf("accepted: %+v", v.Checks)
			}
			var ce *CheckError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) || ce.Check != c.check {
				t.Fatalf("err = %v, want a %s CheckError", err, c.check)
			}
			if ff := v.FirstFailure(); ff == nil || ff.Name != c.check {
				t.Fatalf("first failure %+v, want %s", ff, c.check)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	f := newFixture(t, ecKey(t), ecKey(t))
	issued := issue(t, f)
	sd, _ := Parse(issued)
	priv := f.issuer.Key
	dropped := sd.IssuerJWT + "~"
	for _, d := range sd.Disclosures {
		if d.Name == "given_name" || d.Name == "birthdate" {
			dropped += d.Encoded + "~"
		}
	}
	for name, in := range map[string]string{
		"issued":              issued,
		"dropped disclosures": dropped,
		"no disclosures":      sd.IssuerJWT + "~",
		"legacy typ":          resign(t, issued, priv, jwa.ES256, func(h jws.Headers, _ map[string]any) { _ = h.Set(jws.TypeKey, TypLegacyVC) }),
		"within skew":         resign(t, issued, priv, jwa.ES256, func(_ jws.Headers, p map[string]any) { p["exp"] = testNow.Add(-ClockSkew / 2).Unix() }),
		"no exp":              resign(t, issued, priv, jwa.ES256, func(_ jws.Headers, p map[string]any) { delete(p, "exp") }),
	} {
		t.Run(name, func(t *testing.T) {
			v, _, err := Verify(context.Background(), in, f.keys, testNow)
			if err != nil {
				t.Fatalf("%v\n%+v", err, v.Checks)
			}
		})
	}
	_, c, err := Verify(context.Background(), dropped, f.keys, testNow)
	if err != nil || len(c.Disclosed) != 2 || c.Claims["family_name"] != nil {
		t.Fatalf("disclosed %v", c.Disclosed)
	}
}

// kbPresentation builds a presentation with a key-binding JWT of any claims,
// typ and signer.
func kbPresentation(t *testing.T, presented string, claims map[string]any, typ string, key any, alg jwa.SignatureAlgorithm) string {
	t.Helper()
	raw, _ := json.Marshal(claims)
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, typ)
	kb, err := jws.Sign(raw, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return presented + string(kb)
}

func TestVerifyPresentationRejects(t *testing.T) {
	f := newFixture(t, ecKey(t), ecKey(t))
	issued := issue(t, f)
	pres, err := Present(issued, []string{"given_name", "birthdate"}, f.holder, testAud, testNon, testNow)
	if err != nil {
		t.Fatal(err)
	}
	sd, _ := Parse(pres)
	presented := sd.Presented()
	good := func() map[string]any {
		return map[string]any{"aud": testAud, "nonce": testNon, "iat": testNow.Unix(), "sd_hash": Digest(presented)}
	}
	with := func(k string, v any) map[string]any { c := good(); c[k] = v; return c }
	holder := f.holder.Key
	ed := jwkOf(t, edKey(t))
	req := PresentationRequest{Audience: testAud, Nonce: testNon}
	for name, c := range map[string]struct {
		in    string
		req   PresentationRequest
		now   time.Time
		check string
	}{
		"no key-binding JWT":          {presented, req, testNow, verdict.HolderBinding},
		"KB signed by another key":    {kbPresentation(t, presented, good(), TypKB, jwkOf(t, ecKey(t)), jwa.ES256), req, testNow, verdict.HolderBinding},
		"KB EdDSA with P-256 cnf":     {kbPresentation(t, presented, good(), TypKB, ed, jwa.EdDSA), req, testNow, verdict.HolderBinding},
		"KB typ JWT":                  {kbPresentation(t, presented, good(), "JWT", holder, jwa.ES256), req, testNow, verdict.HolderBinding},
		"KB HS256 with holder bytes":  {kbPresentation(t, presented, good(), TypKB, []byte("holder-public-key"), jwa.HS256), req, testNow, verdict.HolderBinding},
		"wrong aud":                   {kbPresentation(t, presented, with("aud", "did:web:other.example"), TypKB, holder, jwa.ES256), req, testNow, verdict.Audience},
		"aud array":                   {kbPresentation(t, presented, with("aud", []string{testAud}), TypKB, holder, jwa.ES256), req, testNow, verdict.Audience},
		"wrong nonce":                 {kbPresentation(t, presented, with("nonce", "other"), TypKB, holder, jwa.ES256), req, testNow, verdict.Nonce},
		"no nonce":                    {kbPresentation(t, presented, with("nonce", nil), TypKB, holder, jwa.ES256), req, testNow, verdict.Nonce},
		"stale iat":                   {pres, req, testNow.Add(DefaultMaxAge + time.Second), verdict.Freshness},
		"stale for a short window":    {pres, PresentationRequest{Audience: testAud, Nonce: testNon, MaxAge: 30 * time.Second}, testNow.Add(31 * time.Second), verdict.Freshness},
		"future iat":                  {pres, req, testNow.Add(-2 * ClockSkew), verdict.Freshness},
		"iat string":                  {kbPresentation(t, presented, with("iat", "now"), TypKB, holder, jwa.ES256), req, testNow, verdict.Freshness},
		"tampered sd_hash":            {kbPresentation(t, presented, with("sd_hash", Digest(presented+"x")), TypKB, holder, jwa.ES256), req, testNow, verdict.SDHash},
		"disclosure dropped after KB": {sd.IssuerJWT + "~" + sd.Disclosures[0].Encoded + "~" + sd.KeyBinding, req, testNow, verdict.SDHash},
		"disclosure added after KB": {func() string {
			full, _ := Parse(issued)
			for _, d := range full.Disclosures {
				if d.Name == "family_name" {
					return presented + d.Encoded + "~" + sd.KeyBinding
				}
			}
			t.Fatal("no family_name")
			return ""
		}(), req, testNow, verdict.SDHash},
		"issuer part expired": {pres, req, testNow.Add(91 * 24 * time.Hour), verdict.Validity},
	} {
		t.Run(name, func(t *testing.T) {
			now := c.now
			v, cred, err := VerifyPresentation(context.Background(), c.in, f.keys, c.req, now)
			if err == nil || cred != nil || v.Valid {
				t.Fatalf("accepted: %+v", v.Checks)
			}
			if ff := v.FirstFailure(); ff == nil || ff.Name != c.check {
				t.Fatalf("first failure %+v, want %s (%v)", ff, c.check, err)
			}
		})
	}
	for name, bad := range map[string]PresentationRequest{
		"no audience": {Nonce: testNon},
		"no nonce":    {Audience: testAud},
		"negative":    {Audience: testAud, Nonce: testNon, MaxAge: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			v, _, err := VerifyPresentation(context.Background(), pres, f.keys, bad, testNow)
			if !errors.Is(err, ErrBadRequest) || v.Valid {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// Any single-character change anywhere in a presentation must make it fail.
func TestEveryCharacterFlipFails(t *testing.T) {
	f := newFixture(t, ecKey(t), edKey(t))
	pres, err := Present(issue(t, f), []string{"given_name", "address.street"}, f.holder, testAud, testNon, testNow)
	if err != nil {
		t.Fatal(err)
	}
	req := PresentationRequest{Audience: testAud, Nonce: testNon}
	ctx := context.Background()
	if _, _, err := VerifyPresentation(ctx, pres, f.keys, req, testNow); err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := []byte(pres)
	for i := range b {
		orig := b[i]
		next := byte('A')
		if j := strings.IndexByte(alphabet, orig); j >= 0 {
			next = alphabet[(j+1)%len(alphabet)]
		}
		for _, c := range []byte{next, orig ^ 0x01} {
			b[i] = c
			if v, _, err := VerifyPresentation(ctx, string(b), f.keys, req, testNow); err == nil || v.Valid {
				t.Fatalf("flipping byte %d (%q -> %q) still verifies", i, orig, c)
			}
		}
		b[i] = orig
	}
}
