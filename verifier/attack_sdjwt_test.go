package verifier_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	at "github.com/espai/espai/internal/attacktest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/verifier"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

// issuerHeaderAttacks: alg none in every spelling, algorithm confusion, and
// header tricks on the issuer-signed JWT of a real census SD-JWT VC. None of
// them may make the verifier use a key other than the issuer's DID document
// key for assertion, and none may make it fetch anything.
func (e *attackEnv) issuerHeaderAttacks(t *testing.T) {
	ctx := context.Background()
	jwt, rest := splitSD(e.census)
	hdr, payload, pseg, sig := at.SplitJWS(t, jwt)
	iss, kid := payload["iss"].(string), hdr["kid"].(string)
	doc, err := e.a.Resolver.ResolveDID(ctx, iss)
	if err != nil {
		t.Fatal(err)
	}
	// The administration's other key: Ed25519, for its JSON-LD proofs, also
	// listed for assertion in the same document.
	var edKid string
	var pubJWK json.RawMessage
	for _, vm := range doc.VerificationMethod {
		if vm.Type == did.TypeEd25519Key2020 && edKid == "" {
			edKid = vm.ID
		}
		if vm.ID == kid {
			pubJWK = vm.PublicKeyJwk
		}
	}
	if edKid == "" || pubJWK == nil {
		t.Fatalf("document of %s lacks the keys the attacks need: %+v", iss, doc)
	}
	pk, err := doc.Key(kid, did.AssertionMethod)
	if err != nil {
		t.Fatal(err)
	}
	pub := pk.(*ecdsa.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	ecdhPub, err := pub.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	rawPoint := ecdhPub.Bytes()

	attacker := at.ECKey(t, elliptic.P256())
	attackerEd := at.EdKey(t)
	attackerRSA := at.RSAKey(t)
	attackerPub, err := json.Marshal(map[string]any{"kty": "EC", "crv": "P-256",
		"x": b64u.EncodeToString(attacker.X.FillBytes(make([]byte, 32))), "y": b64u.EncodeToString(attacker.Y.FillBytes(make([]byte, 32)))})
	if err != nil {
		t.Fatal(err)
	}
	var attackerJWK map[string]any
	_ = json.Unmarshal(attackerPub, &attackerJWK)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: iss},
		NotBefore: e.clk.now().Add(-time.Hour), NotAfter: e.clk.now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &attacker.PublicKey, attacker)
	if err != nil {
		t.Fatal(err)
	}
	trapHost := strings.TrimPrefix(e.trap.URL, "http://")
	trapDID := did.Web(strings.ReplaceAll(trapHost, ":", "%3A"), "issuers", girona)
	otherAdminKid := e.a.Issuer.DID("atc") + "#es256-1"

	var cases []attackCase
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		h := at.With(hdr, "alg", none)
		cases = append(cases,
			attackCase{"alg " + none + " keeping the issuer's signature", at.Unsigned(t, h, pseg, sig) + rest, verdict.Parse, "unsigned JWTs are refused"},
			attackCase{"alg " + none + " with a junk signature", at.Unsigned(t, h, pseg, "AAAA") + rest, verdict.Parse, "unsigned JWTs are refused"},
			attackCase{"alg " + none + " with an empty signature", at.Unsigned(t, h, pseg, "") + rest, verdict.Parse, ""},
		)
	}
	for _, mac := range []struct {
		name string
		alg  string
		key  []byte
	}{
		{"HS256 keyed with the issuer's public JWK (JSON)", "HS256", pubJWK},
		{"HS256 keyed with the issuer's public key (PEM)", "HS256", pemKey},
		{"HS256 keyed with the issuer's public key (DER)", "HS256", der},
		{"HS256 keyed with the issuer's public key (raw point)", "HS256", rawPoint},
		{"HS384 keyed with the issuer's public JWK", "HS384", pubJWK},
		{"HS512 keyed with the issuer's public JWK", "HS512", pubJWK},
		{"hs256 (lower case) keyed with the issuer's public JWK", "hs256", pubJWK},
	} {
		cases = append(cases, attackCase{mac.name, at.JWS(t, at.With(hdr, "alg", mac.alg), pseg, mac.key) + rest, verdict.Parse, "MAC algorithms are refused"})
	}
	cases = append(cases,
		attackCase{"ES256 header on the issuer's Ed25519 key", at.JWS(t, at.With(hdr, "kid", edKid), pseg, attacker) + rest, verdict.Signature, "does not match the Ed25519 key"},
		attackCase{"EdDSA header on the issuer's P-256 key", at.JWS(t, at.With(hdr, "alg", "EdDSA"), pseg, attackerEd) + rest, verdict.Signature, "does not match the EC P-256 key"},
		attackCase{"ES384 header on the issuer's P-256 key", at.JWS(t, at.With(hdr, "alg", "ES384"), pseg, at.ECKey(t, elliptic.P384())) + rest, verdict.Signature, "does not match"},
		attackCase{"ES512 header on the issuer's P-256 key", at.JWS(t, at.With(hdr, "alg", "ES512"), pseg, at.ECKey(t, elliptic.P521())) + rest, verdict.Signature, "does not match"},
		attackCase{"RS256 header on the issuer's P-256 key", at.JWS(t, at.With(hdr, "alg", "RS256"), pseg, attackerRSA) + rest, verdict.Signature, "does not match"},
		attackCase{"PS256 header on the issuer's P-256 key", at.JWS(t, at.With(hdr, "alg", "PS256"), pseg, attackerRSA) + rest, verdict.Signature, "does not match"},
		attackCase{"es256 (lower case) header", at.JWS(t, at.With(hdr, "alg", "es256"), pseg, attacker) + rest, verdict.Signature, "does not match"},
		attackCase{"signed by an attacker's P-256 key", at.JWS(t, hdr, pseg, attacker) + rest, verdict.Signature, "signature does not verify"},

		// kid substitution.
		attackCase{"kid of another administration's key", at.JWS(t, at.With(hdr, "kid", otherAdminKid), pseg, attacker) + rest, verdict.IssuerKey, "does not belong to issuer"},
		attackCase{"kid of a key generation that does not exist", at.JWS(t, at.With(hdr, "kid", iss+"#es256-2"), pseg, attacker) + rest, verdict.IssuerKey, "not found"},
		attackCase{"kid with a path in its fragment", at.JWS(t, at.With(hdr, "kid", iss+"#../../atc/es256-1"), pseg, attacker) + rest, verdict.IssuerKey, "not a DID URL"},
		attackCase{"kid as a relative path", at.JWS(t, at.With(hdr, "kid", "../../issuers/atc/did.json#es256-1"), pseg, attacker) + rest, verdict.IssuerKey, "not a DID URL"},
		attackCase{"kid as an http URL", at.JWS(t, at.With(hdr, "kid", e.trap.URL+"/keys/es256-1.json"), pseg, attacker) + rest, verdict.Parse, "kid is a URL"},
		attackCase{"kid with a space", at.JWS(t, at.With(hdr, "kid", kid+" "), pseg, attacker) + rest, verdict.Parse, "not a plain identifier"},
		attackCase{"iss and kid at a did:web the attacker serves", at.JWS(t, at.With(hdr, "kid", trapDID+"#es256-1"), at.Seg(t, at.With(payload, "iss", trapDID)), attacker) + rest, verdict.IssuerKey, "not on the trust list"},
		attackCase{"iss of another administration with the original kid and signature", at.Unsigned(t, hdr, at.Seg(t, at.With(payload, "iss", e.a.Issuer.DID("atc"))), sig) + rest, verdict.IssuerKey, "does not belong to issuer"},

		// Keys or key locations in the header: refused before any lookup.
		attackCase{"embedded jwk header with the attacker's key", at.JWS(t, at.With(hdr, "jwk", attackerJWK), pseg, attacker) + rest, verdict.Parse, `"jwk" refused`},
		attackCase{"embedded jwk header with the issuer's own key", at.Unsigned(t, at.With(hdr, "jwk", json.RawMessage(pubJWK)), pseg, sig) + rest, verdict.Parse, `"jwk" refused`},
		attackCase{"jku header at the attacker's server", at.JWS(t, at.With(hdr, "jku", e.trap.URL+"/jwks.json"), pseg, attacker) + rest, verdict.Parse, `"jku" refused`},
		attackCase{"x5u header at the attacker's server", at.JWS(t, at.With(hdr, "x5u", e.trap.URL+"/cert.pem"), pseg, attacker) + rest, verdict.Parse, `"x5u" refused`},
		attackCase{"x5c chain with the attacker's certificate", at.JWS(t, at.With(hdr, "x5c", []string{b64std(cert)}), pseg, attacker) + rest, verdict.Parse, `"x5c" refused`},
		attackCase{"crit header", at.JWS(t, at.With(hdr, "crit", []string{"exp"}, "exp", 1), pseg, attacker) + rest, verdict.Parse, `"crit" refused`},
		attackCase{"b64 false header", at.JWS(t, at.With(hdr, "b64", false), pseg, attacker) + rest, verdict.Parse, `"b64" refused`},

		// Type confusion: other JWTs the deployment signs are not credentials.
		attackCase{"typ JWT", at.Unsigned(t, at.With(hdr, "typ", "JWT"), pseg, sig) + rest, verdict.Parse, "typ"},
		attackCase{"typ kb+jwt", at.Unsigned(t, at.With(hdr, "typ", "kb+jwt"), pseg, sig) + rest, verdict.Parse, "typ"},
		attackCase{"typ statuslist+jwt", at.Unsigned(t, at.With(hdr, "typ", "statuslist+jwt"), pseg, sig) + rest, verdict.Parse, "typ"},
		attackCase{"vct changed under the issuer's signature", at.Unsigned(t, hdr, at.Seg(t, at.With(payload, "vct", credential.Tax.VCT())), sig) + rest, verdict.Signature, "signature does not verify"},
	)
	// A request object the administration really signed is not a credential.
	obj, err := e.a.Issuer.SignJWT(ctx, girona, verifier.RequestTyp, map[string]any{"iss": iss, "vct": credential.Census.VCT()})
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, attackCase{"a signed request object passed off as a credential", obj + "~", verdict.Parse, "typ"})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, e.verifyCredential(t, c.input), c.check, c.detail)
		})
	}
}

func b64std(b []byte) string { return base64.StdEncoding.EncodeToString(b) } // x5c is padded standard base64

// keyBindingAttacks: the KB-JWT of a presentation, forged or replaced.
func (e *attackEnv) keyBindingAttacks(t *testing.T) {
	ctx := context.Background()
	nonce := newNonce(t)
	req := gironaRequest(nonce)
	pres := e.present(t, e.census, gironaClaims, attackAudience, nonce)
	if v := e.verifyPresentation(t, pres, req); !v.Valid {
		t.Fatalf("the honest presentation fails: %+v", v.Checks)
	}
	i := strings.LastIndexByte(pres, '~')
	presented, kb := pres[:i+1], pres[i+1:]
	kh, kp, kseg, ksig := at.SplitJWS(t, kb)
	_, payload, _, _ := at.SplitJWS(t, strings.SplitN(e.census, "~", 2)[0])
	holderJWK, err := json.Marshal(payload["cnf"].(map[string]any)["jwk"])
	if err != nil {
		t.Fatal(err)
	}
	laiaKey, err := e.laia.HolderKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	js, err := e.a.Wallet.Unlock(ctx, jordi, jordiPass)
	if err != nil {
		t.Fatal(err)
	}
	defer js.Lock()
	jordiKey, err := js.HolderKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	attackerEd := at.EdKey(t)
	attacker := at.ECKey(t, elliptic.P256())
	laiaKB := func(claims map[string]any) string { return at.JWS(t, kh, at.Seg(t, claims), laiaKey) }

	// Jordi's census credential, presented with a KB-JWT signed by Laia.
	jcreds, _, err := js.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var jordiPresented string
	for _, c := range jcreds {
		if c.Type == credential.Census && c.Format == credential.SDJWT {
			jk, err := js.HolderJWK(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p, err := sdjwt.Present(string(c.Raw), gironaClaims, sdjwt.Signer{Key: jk, Alg: jwa.EdDSA}, attackAudience, nonce, e.clk.now())
			if err != nil {
				t.Fatal(err)
			}
			jordiPresented = p[:strings.LastIndexByte(p, '~')+1]
		}
	}
	if jordiPresented == "" {
		t.Fatal("Jordi holds no SD-JWT census credential")
	}
	other := e.present(t, e.census, []string{"municipality"}, attackAudience, nonce)

	var cases []attackCase
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		cases = append(cases, attackCase{"KB-JWT alg " + none, presented + at.Unsigned(t, at.With(kh, "alg", none), kseg, ksig), verdict.HolderBinding, "unsigned JWTs are refused"})
	}
	cases = append(cases,
		attackCase{"KB-JWT HS256 keyed with the holder's public JWK", presented + at.JWS(t, at.With(kh, "alg", "HS256"), kseg, holderJWK), verdict.HolderBinding, "MAC algorithms are refused"},
		attackCase{"KB-JWT signed by an attacker's Ed25519 key", presented + at.JWS(t, kh, kseg, attackerEd), verdict.HolderBinding, "signature does not verify"},
		attackCase{"KB-JWT signed by another citizen's holder key", presented + at.JWS(t, kh, kseg, jordiKey), verdict.HolderBinding, "signature does not verify"},
		attackCase{"KB-JWT ES256 header on the Ed25519 cnf key", presented + at.JWS(t, at.With(kh, "alg", "ES256"), kseg, attacker), verdict.HolderBinding, "does not match"},
		attackCase{"KB-JWT with the attacker's key in a jwk header", presented + at.JWS(t, at.With(kh, "alg", "ES256", "jwk", map[string]any{"kty": "EC"}), kseg, attacker), verdict.HolderBinding, `"jwk" refused`},
		attackCase{"KB-JWT with a jku header", presented + at.JWS(t, at.With(kh, "jku", e.trap.URL+"/jwks"), kseg, laiaKey), verdict.HolderBinding, `"jku" refused`},
		attackCase{"KB-JWT typ JWT", presented + at.JWS(t, at.With(kh, "typ", "JWT"), kseg, laiaKey), verdict.HolderBinding, "typ"},
		attackCase{"issuer JWT replayed as the KB-JWT", presented + strings.SplitN(e.census, "~", 2)[0], verdict.HolderBinding, "typ"},
		attackCase{"KB-JWT dropped", presented, verdict.HolderBinding, "no key-binding JWT"},
		attackCase{"KB-JWT sd_hash of other disclosures", presented + laiaKB(at.With(kp, "sd_hash", sdjwt.Digest(other[:strings.LastIndexByte(other, '~')+1]))), verdict.SDHash, "does not cover"},
		attackCase{"KB-JWT without sd_hash", presented + laiaKB(at.With(kp, "sd_hash", nil)), verdict.SDHash, "does not cover"},
		attackCase{"KB-JWT of another presentation", presented + other[strings.LastIndexByte(other, '~')+1:], verdict.SDHash, "does not cover"},
		attackCase{"another citizen's credential with Laia's KB-JWT", jordiPresented + laiaKB(at.With(kp, "sd_hash", sdjwt.Digest(jordiPresented))), verdict.HolderBinding, "signature does not verify"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, e.verifyPresentation(t, c.input, req), c.check, c.detail)
		})
	}
}

// disclosureAttacks: tampered, duplicated, dropped and foreign disclosures.
func (e *attackEnv) disclosureAttacks(t *testing.T) {
	ctx := context.Background()
	nonce := newNonce(t)
	req := gironaRequest(nonce)
	pres := e.present(t, e.census, gironaClaims, attackAudience, nonce)
	parts := strings.Split(pres, "~") // jwt, 3 disclosures, kb
	if len(parts) != 5 {
		t.Fatalf("presentation with %d parts", len(parts))
	}
	laiaKey, err := e.laia.HolderKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kh, kp, _, _ := at.SplitJWS(t, parts[4])
	// rebind re-signs the KB-JWT over presented, as a dishonest holder can.
	rebind := func(presented string) string {
		return presented + at.JWS(t, kh, at.Seg(t, at.With(kp, "sd_hash", sdjwt.Digest(presented))), laiaKey)
	}
	decode := func(enc string) []any {
		raw, err := b64u.DecodeString(enc)
		if err != nil {
			t.Fatal(err)
		}
		var d []any
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	encode := func(d []any) string { return at.Seg(t, d) }
	muni := -1
	for i := 1; i <= 3; i++ {
		if decode(parts[i])[1] == "municipality" {
			muni = i
		}
	}
	if muni < 0 {
		t.Fatal("no municipality disclosure")
	}
	// replace swaps disclosure muni for d; the KB-JWT is kept (a
	// man in the middle) or re-signed (a dishonest holder).
	replace := func(d string, resign bool) string {
		p := append([]string(nil), parts...)
		p[muni] = d
		if !resign {
			return strings.Join(p, "~")
		}
		return rebind(strings.Join(p[:4], "~") + "~")
	}
	orig := decode(parts[muni])
	salt, _ := orig[0].(string)
	otherSalt := b64u.EncodeToString([]byte("0123456789abcdef"))
	reencoded := b64u.EncodeToString([]byte(`["` + salt + `", "municipality", "` + orig[2].(string) + `"]`))
	// A disclosure of another credential of Laia's: the same claim, another salt.
	second := e.issue(t, credential.Census, credential.SDJWT).Credential
	var foreign string
	for _, d := range strings.Split(second, "~")[1:] {
		if d != "" && decode(d)[1] == "municipality" {
			foreign = d
		}
	}
	// Without municipality: the holder drops a requested claim.
	var dropped []string
	for i := 1; i <= 3; i++ {
		if i != muni {
			dropped = append(dropped, parts[i])
		}
	}
	withoutMuni := parts[0] + "~" + strings.Join(dropped, "~") + "~"
	var birth string
	for _, d := range strings.Split(e.census, "~")[1:] {
		if d != "" && decode(d)[1] == "birthDate" {
			birth = d
		}
	}

	cases := []attackCase{
		{"changed value, KB-JWT kept", replace(encode([]any{salt, "municipality", "Lleida"}), false), verdict.Disclosures, "not referenced"},
		{"changed value, KB-JWT re-signed", replace(encode([]any{salt, "municipality", "Lleida"}), true), verdict.Disclosures, "not referenced"},
		{"changed salt", replace(encode([]any{otherSalt, "municipality", orig[2]}), true), verdict.Disclosures, "not referenced"},
		{"changed claim name", replace(encode([]any{salt, "province", orig[2]}), true), verdict.Disclosures, "not referenced"},
		{"same content, other JSON encoding", replace(reencoded, true), verdict.Disclosures, "not referenced"},
		{"disclosure of another credential", replace(foreign, true), verdict.Disclosures, "not referenced"},
		{"disclosure for a digest not in the payload", replace(encode([]any{otherSalt, "nationalId", "00000000T"}), true), verdict.Disclosures, "not referenced"},
		{"array-element disclosure nothing references", replace(encode([]any{otherSalt, "Girona"}), true), verdict.Disclosures, "not referenced"},
		{"disclosure naming _sd", replace(encode([]any{otherSalt, "_sd", []any{}}), true), verdict.Parse, "reserved"},
		{"disclosure with four elements", replace(encode([]any{salt, "municipality", "Girona", "x"}), true), verdict.Parse, "4 elements"},
		{"disclosure with a numeric salt", replace(encode([]any{7, "municipality", "Girona"}), true), verdict.Parse, "salt"},
		{"duplicated disclosure", rebind(strings.Join(parts[:4], "~") + "~" + parts[muni] + "~"), verdict.Disclosures, "repeats"},
		{"dropped requested disclosure", rebind(withoutMuni), verdict.RequestedClaim, "not disclosed: municipality"},
		{"extra disclosure beyond the request", rebind(strings.Join(parts[:4], "~") + "~" + birth + "~"), verdict.RequestedClaim, "beyond the request: birthDate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, e.verifyPresentation(t, c.input, req), c.check, c.detail)
		})
	}

	// A dropped disclosure makes the claim absent, never present.
	t.Run("dropped disclosure is absent", func(t *testing.T) {
		var kept []string
		for _, d := range strings.Split(e.census, "~")[1:] {
			if d != "" && decode(d)[1] != "municipality" {
				kept = append(kept, d)
			}
		}
		v, got, err := e.a.Checker.Check(ctx, []byte(strings.SplitN(e.census, "~", 2)[0]+"~"+strings.Join(kept, "~")+"~"))
		if err != nil || !v.Valid {
			t.Fatalf("the credential without one disclosure is still valid: %v %+v", err, v)
		}
		if _, ok := v.Claims["municipality"]; ok {
			t.Fatalf("the verdict claims a municipality that was not disclosed: %v", v.Claims)
		}
		if _, ok := got.Claims["municipality"]; ok {
			t.Fatalf("Verified claims a municipality that was not disclosed: %v", got.Claims)
		}
		if _, ok := v.Claims["givenName"]; !ok {
			t.Fatalf("the other claims are missing: %v", v.Claims)
		}
		// Presented without it to a request that does not ask for it: valid,
		// and still absent.
		n := newNonce(t)
		p := e.present(t, e.census, []string{"address", "postalCode"}, attackAudience, n)
		v = e.verifyPresentation(t, p, verifier.PresentationRequest{Audience: attackAudience, Nonce: n, Type: credential.Census, Claims: []string{"address", "postalCode"}})
		if !v.Valid {
			t.Fatalf("%+v", v.Checks)
		}
		var personal []string
		for k := range v.Claims {
			switch k {
			case "iss", "vct", "iat", "exp", "nbf", "cnf", "status":
			default:
				personal = append(personal, k)
			}
		}
		if slices.Sort(personal); !slices.Equal(personal, []string{"address", "postalCode"}) {
			t.Fatalf("presentation claims %v, want exactly address and postalCode", personal)
		}
	})
}
