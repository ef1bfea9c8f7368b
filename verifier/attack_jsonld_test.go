package verifier_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	at "github.com/espai/espai/internal/attacktest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/verifier"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// editJSON decodes raw, lets edit change it and encodes it again.
func editJSON(t *testing.T, raw []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// issuerJWK is the public JWK (JSON) of an administration's key kid.
func (e *attackEnv) issuerJWK(t *testing.T, kid string) []byte {
	t.Helper()
	d, _, _ := strings.Cut(kid, "#")
	doc, err := e.a.Resolver.ResolveDID(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range doc.VerificationMethod {
		if vm.ID == kid && vm.PublicKeyJwk != nil {
			return vm.PublicKeyJwk
		}
	}
	t.Fatalf("no JWK %s", kid)
	return nil
}

// laiaLD is Laia's JSON-LD holder signer (her did:key).
func (e *attackEnv) laiaLD(t *testing.T) jsonld.Signer {
	t.Helper()
	k, err := e.laia.HolderKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return jsonld.Signer{MethodID: e.laia.PublicKeys().HolderMethod, Key: k}
}

// attackerLD is a signer with a fresh did:key.
func attackerLD(t *testing.T) jsonld.Signer {
	k := at.EdKey(t)
	_, method := did.KeyDID(k.Public().(ed25519.PublicKey))
	return jsonld.Signer{MethodID: method, Key: k}
}

// presentLDAs wraps credentials in a VP signed by holder.
func (e *attackEnv) presentLDAs(t *testing.T, holder jsonld.Signer, aud, nonce string, creds ...[]byte) string {
	t.Helper()
	vp, err := e.a.Checker.LD.Present(context.Background(), holder, creds, nonce, aud, e.clk.now())
	if err != nil {
		t.Fatal(err)
	}
	return string(vp)
}

// presentLD is Laia's honest JSON-LD presentation of cred.
func (e *attackEnv) presentLD(t *testing.T, cred, aud, nonce string) string {
	t.Helper()
	return e.presentLDAs(t, e.laiaLD(t), aud, nonce, []byte(cred))
}

// jsonLDAttacks: context injection, signature stripping, foreign keys and
// presentations that do not bind the credential to its holder.
func (e *attackEnv) jsonLDAttacks(t *testing.T) {
	ctx := context.Background()
	ld := []byte(e.issue(t, credential.Census, credential.JSONLD).Credential)
	var orig map[string]any
	if err := json.Unmarshal(ld, &orig); err != nil {
		t.Fatal(err)
	}
	vm := orig["proof"].(map[string]any)["verificationMethod"].(string)
	iss, frag, _ := strings.Cut(vm, "#")
	atcDID := e.a.Issuer.DID("atc")
	subject := func(m map[string]any) map[string]any { return m["credentialSubject"].(map[string]any) }
	proof := func(m map[string]any) map[string]any { return m["proof"].(map[string]any) }
	addContext := func(m map[string]any, extra ...any) { m["@context"] = append(m["@context"].([]any), extra...) }
	edit := func(f func(m map[string]any)) string { return string(editJSON(t, ld, f)) }

	cases := []attackCase{
		{"inline @context redefining municipality", edit(func(m map[string]any) {
			addContext(m, map[string]any{"municipality": "https://evil.example/vocab#municipality"})
		}), verdict.Parse, "inline @context"},
		{"inline @context with @vocab for an undefined term", edit(func(m map[string]any) {
			addContext(m, map[string]any{"@vocab": "https://evil.example/vocab#"})
			subject(m)["favouriteColour"] = "blau"
		}), verdict.Parse, "inline @context"},
		{"scoped @context in the subject unprotecting a term", edit(func(m map[string]any) {
			subject(m)["@context"] = map[string]any{"municipality": map[string]any{"@id": "https://evil.example/vocab#m", "@protected": false}}
		}), verdict.Parse, "inline @context"},
		{"undefined term", edit(func(m map[string]any) { subject(m)["favouriteColour"] = "blau" }), verdict.Parse, "no context defines"},
		{"unknown context URL (never fetched)", edit(func(m map[string]any) { addContext(m, e.trap.URL+"/contexts/v1") }), verdict.Parse, "unknown JSON-LD context " + e.trap.URL},
		{"a known context Espai does not allow", edit(func(m map[string]any) { addContext(m, "https://w3id.org/security/v1") }), verdict.Parse, "not allowed"},
		{"Espai's context before the VC context", edit(func(m map[string]any) {
			c := m["@context"].([]any)
			c[0], c[len(c)-1] = c[len(c)-1], c[0]
		}), verdict.Parse, "first @context"},
		{"relative @type", edit(func(m map[string]any) { m["type"] = append(m["type"].([]any), "Passport") }), verdict.Parse, "not defined by any context"},
		{"relative subject id", edit(func(m map[string]any) { subject(m)["id"] = "laia" }), verdict.Parse, "relative IRI"},
		{"@type keyword in the subject", edit(func(m map[string]any) { subject(m)["@type"] = "Person" }), verdict.Parse, "keyword"},
		{"municipality as an absolute IRI property", edit(func(m map[string]any) {
			subject(m)["https://espai.localhost/vocab#municipality"] = "Lleida"
		}), verdict.Parse, "is an IRI"},
		{"proof removed (signature stripping)", edit(func(m map[string]any) { delete(m, "proof") }), verdict.Parse, "no proof"},
		{"proofValue removed", edit(func(m map[string]any) { delete(proof(m), "proofValue") }), verdict.Parse, "no proofValue"},
		{"empty proof", edit(func(m map[string]any) { m["proof"] = map[string]any{} }), verdict.Parse, "proof has no type"},
		{"two proofs", edit(func(m map[string]any) { m["proof"] = []any{m["proof"], m["proof"]} }), verdict.Parse, "2 proofs"},
		{"proof of another suite", edit(func(m map[string]any) { proof(m)["type"] = "Ed25519Signature2018" }), verdict.Parse, "proof type"},
		{"proof member the signature does not cover", edit(func(m map[string]any) { proof(m)["expires"] = "2099-01-01T00:00:00Z" }), verdict.Parse, "not allowed"},
		{"verification method as a URL", edit(func(m map[string]any) { proof(m)["verificationMethod"] = e.trap.URL + "/keys#1" }), verdict.Parse, "not a DID URL"},
		{"verification method of another administration", edit(func(m map[string]any) { proof(m)["verificationMethod"] = atcDID + "#" + frag }), verdict.IssuerKey, "does not belong to issuer"},
		{"verification method: the issuer's P-256 key", edit(func(m map[string]any) { proof(m)["verificationMethod"] = iss + "#es256-1" }), verdict.IssuerKey, "not an Ed25519 key"},
		{"verification method that does not exist", edit(func(m map[string]any) { proof(m)["verificationMethod"] = iss + "#ed25519-9" }), verdict.IssuerKey, "not found"},
		{"proof purpose authentication", edit(func(m map[string]any) { proof(m)["proofPurpose"] = jsonld.PurposeAuthentication }), verdict.ProofPurpose, "want assertionMethod"},
		{"claim changed under the proof", edit(func(m map[string]any) { subject(m)["municipality"] = "Lleida" }), verdict.Signature, ""},
		{"issuer and method moved to another administration", edit(func(m map[string]any) {
			m["issuer"] = atcDID
			proof(m)["verificationMethod"] = atcDID + "#" + frag
		}), verdict.Signature, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, e.verifyCredential(t, c.input), c.check, c.detail)
		})
	}

	// Presentations.
	nonce := newNonce(t)
	req := gironaRequest(nonce)
	if v := e.verifyPresentation(t, e.presentLD(t, string(ld), attackAudience, nonce), req); !v.Valid {
		t.Fatalf("the honest JSON-LD presentation fails: %+v", v.Checks)
	}
	laia, mallory := e.laiaLD(t), attackerLD(t)
	unsignedVP := func(holder string, creds ...[]byte) []byte {
		vcs := make([]any, len(creds))
		for i, c := range creds {
			var m map[string]any
			_ = json.Unmarshal(c, &m)
			vcs[i] = m
		}
		raw, _ := json.Marshal(map[string]any{
			"@context": []any{jsonld.ContextCredentialsV1, jsonld.ContextEd25519Signature2020},
			"type":     []any{jsonld.TypeVerifiablePresentation}, "holder": holder, "verifiableCredential": vcs,
		})
		return raw
	}
	sign := func(doc []byte, s jsonld.Signer, purpose string) string {
		out, err := e.a.Checker.LD.Sign(ctx, doc, s, jsonld.ProofOptions{Purpose: purpose, Created: e.clk.now(), Challenge: nonce, Domain: attackAudience})
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	good := e.presentLD(t, string(ld), attackAudience, nonce)
	vps := []attackCase{
		{"unsigned VC inside a signed VP", e.presentLDAs(t, laia, attackAudience, nonce, editJSON(t, ld, func(m map[string]any) { delete(m, "proof") })), verdict.Parse, "credential 0: "},
		{"tampered VC inside a VP the holder signed", e.presentLDAs(t, laia, attackAudience, nonce, editJSON(t, ld, func(m map[string]any) {
			m["credentialSubject"].(map[string]any)["municipality"] = "Lleida"
		})), verdict.Signature, "credential 0: "},
		{"VP whose holder is not the credential's subject", e.presentLDAs(t, mallory, attackAudience, nonce, ld), verdict.HolderBinding, "is not the holder"},
		{"VP naming another holder, signed by the subject", sign(unsignedVP(mallory.DID(), ld), laia, jsonld.PurposeAuthentication), verdict.HolderBinding, "does not belong to holder"},
		{"VP without proof", string(editJSON(t, []byte(good), func(m map[string]any) { delete(m, "proof") })), verdict.Parse, "no proof"},
		{"VP signed for assertion, not authentication", sign(unsignedVP(laia.DID(), ld), laia, jsonld.PurposeAssertion), verdict.ProofPurpose, "want authentication"},
		{"VP for another challenge", e.presentLD(t, string(ld), attackAudience, newNonce(t)), verdict.Nonce, "challenge does not match"},
		{"VP for another verifier", e.presentLD(t, string(ld), verifier.ClientIDPrefix+atcDID, nonce), verdict.Audience, "domain"},
		{"VP with two credentials", e.presentLDAs(t, laia, attackAudience, nonce, ld, ld), verdict.RequestedClaim, "holds 2 credentials"},
	}
	for _, c := range vps {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, e.verifyPresentation(t, c.input, req), c.check, c.detail)
		})
	}
}

// untrustedIssuerAttacks: credentials whose signature verifies, from issuers
// the trust list does not allow. They fail issuer_trusted, and the status
// list they name (an attacker's URL) is never fetched, even by a verifier
// that fetches status lists over HTTP.
func (e *attackEnv) untrustedIssuerAttacks(t *testing.T) {
	ctx := context.Background()
	_, payload, _, _ := at.SplitJWS(t, strings.SplitN(e.census, "~", 2)[0])
	now := e.clk.now()
	// A verifier that fetches what is not its own over HTTP: status lists,
	// and DID documents of did:web DIDs other than this deployment's.
	httpChecker := e.checkerWith(verifier.HTTPStatusFetcher{})
	httpChecker.Resolver = did.Methods{Web: webResolver{local: e.a.Issuer, remote: did.HTTPResolver{Base: e.trap.URL}, domain: e.a.Settings.DIDDomain}}
	trapStatus := map[string]any{"status_list": map[string]any{"idx": 7, "uri": e.trap.URL + "/status/1"}}

	// A self-issued census credential: did:key issuer, valid signature.
	mallory := attackerLD(t)
	mk, err := jwk.FromRaw(mallory.Key)
	if err != nil {
		t.Fatal(err)
	}
	selfSD, err := sdjwt.Issue(sdjwt.Signer{Key: mk, KeyID: mallory.MethodID}, map[string]any{
		"iss": mallory.DID(), "vct": credential.Census.VCT(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"cnf": payload["cnf"], "status": trapStatus,
		"municipality": "Girona", "address": "Plaça del Vi 1", "postalCode": "17004",
	}, gironaClaims)
	if err != nil {
		t.Fatal(err)
	}
	selfLD, err := e.a.Checker.LD.Issue(ctx, jsonld.Credential{
		ID: jsonld.NewID(), Types: []string{jsonld.TypeVerifiableCredential, credential.Census.LDType()},
		Issuer: mallory.DID(), IssuanceDate: now, ExpirationDate: now.Add(time.Hour), SubjectID: e.laia.PublicKeys().HolderDID,
		Claims: map[string]any{"municipality": "Girona", "address": "Plaça del Vi 1", "postalCode": "17004"},
		Status: &jsonld.StatusEntry{ID: e.trap.URL + "/status/1/ld#7", Type: jsonld.TypeStatusEntry, StatusPurpose: "message",
			StatusListIndex: "7", StatusListCredential: e.trap.URL + "/status/1/ld", StatusSize: 2,
			StatusMessage: []jsonld.StatusMessage{{Status: "0x0", Message: "valid"}, {Status: "0x1", Message: "revoked"}, {Status: "0x2", Message: "suspended"}}},
	}, mallory)
	if err != nil {
		t.Fatal(err)
	}
	// A trusted administration signing a type it may not issue: the
	// Universitat de Girona and a tax certificate.
	udgTax, err := e.a.Issuer.SignJWT(ctx, "udg", sdjwt.TypSDJWTVC, map[string]any{
		"iss": e.a.Issuer.DID("udg"), "vct": credential.Tax.VCT(), "_sd_alg": "sha-256", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"cnf": payload["cnf"], "status": trapStatus, "nationalId": "12345678Z", "upToDate": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// An issuer on a did:web the deployment does not know.
	evil := "did:web:evil.example"
	evilSD := at.JWS(t, map[string]any{"alg": "EdDSA", "typ": sdjwt.TypSDJWTVC, "kid": evil + "#key-1"},
		at.Seg(t, with(payload, "iss", evil)), mallory.Key) + "~"

	n := newNonce(t)
	for _, c := range []struct {
		name, input, check, detail string
		presentation               bool
	}{
		{"self-issued did:key SD-JWT VC", selfSD, verdict.IssuerTrusted, "not on the trust list", false},
		{"self-issued did:key SD-JWT VC, presented", e.present(t, selfSD, gironaClaims, attackAudience, n), verdict.IssuerTrusted, "not on the trust list", true},
		{"self-issued did:key JSON-LD VC", string(selfLD), verdict.IssuerTrusted, "not on the trust list", false},
		{"self-issued did:key JSON-LD VC, presented", e.presentLD(t, string(selfLD), attackAudience, n), verdict.IssuerTrusted, "not on the trust list", true},
		{"a university's tax credential", udgTax + "~", verdict.IssuerTrusted, "may not issue tax", false},
		{"an issuer at an unknown did:web", evilSD, verdict.IssuerKey, "not on the trust list", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var (
				v   *verdict.Verdict
				err error
			)
			if c.presentation {
				v, err = httpChecker.VerifyPresentation(ctx, []byte(c.input), gironaRequest(n))
			} else {
				v, err = httpChecker.VerifyCredential(ctx, []byte(c.input))
			}
			if err != nil {
				t.Fatal(err)
			}
			wantRefused(t, v, c.check, c.detail)
			if c.check == verdict.IssuerTrusted && !v.Passed(verdict.Signature) {
				t.Fatalf("the forged credential should carry a valid signature: %+v", v.Checks)
			}
			e.trap.Check(t)
		})
	}
}

// webResolver resolves this deployment's did:web DIDs locally and any other
// over HTTP (remote): what a verifier outside the deployment does.
type webResolver struct {
	local, remote did.Resolver
	domain        string
}

func (w webResolver) ResolveDID(ctx context.Context, id string) (*did.Document, error) {
	if strings.HasPrefix(id, "did:web:"+w.domain+":") {
		return w.local.ResolveDID(ctx, id)
	}
	return w.remote.ResolveDID(ctx, id)
}
