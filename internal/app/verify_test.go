package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/issuer"
)

// flip replaces the character at i with another one of the same class, so
// the result stays plausible (base64url stays base64url, JSON stays JSON-ish).
func flip(s string, i int) string {
	c := s[i]
	var r byte
	switch {
	case c >= 'a' && c < 'z', c >= 'A' && c < 'Z', c >= '0' && c < '9':
		r = c + 1
	case c == 'z':
		r = 'a'
	case c == 'Z':
		r = 'A'
	case c == '9':
		r = '0'
	case c == '-':
		r = '_'
	case c == '_':
		r = '-'
	default:
		r = 'x'
	}
	return s[:i] + string(r) + s[i+1:]
}

func TestEveryFlippedCharacterInvalidates(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	for _, f := range []credential.Format{credential.SDJWT, credential.JSONLD} {
		is, err := a.Issue(ctx, issuer.Request{Type: credential.Census, Format: f, Citizen: laia})
		if err != nil {
			t.Fatal(err)
		}
		cred := is.Credential
		step := 1
		if f == credential.JSONLD {
			step = 5 // JSON-LD verification is ~1 ms: every 5th character
		}
		checked := 0
		for i := 0; i < len(cred); i += step {
			if f == credential.SDJWT && i == len(cred)-1 {
				continue // the final "~" separator: removing it is a different test
			}
			mut := flip(cred, i)
			v, err := a.Checker.VerifyCredential(ctx, []byte(mut))
			if err != nil {
				t.Fatal(err)
			}
			if v.Valid {
				t.Fatalf("%s: flipping character %d (%q) still verifies", f, i, cred[max(0, i-10):min(len(cred), i+10)])
			}
			checked++
		}
		t.Logf("%s: %d mutations, all refused", f, checked)
	}
}

func TestWrongIssuerForTypeIsRefused(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	// The Universitat de Girona signs a perfectly well-formed tax credential:
	// its signature is valid, but the trust list does not let it issue tax.
	is, err := a.Issue(ctx, issuer.Request{Type: credential.Degree, Format: credential.SDJWT, Citizen: laia})
	if err != nil {
		t.Fatal(err)
	}
	// Sign the tax claims with the university's real key through the
	// issuer's generic JWT signer, in SD-JWT VC form (all claims plaintext).
	forged, err := a.Issuer.SignJWT(ctx, "udg", "dc+sd-jwt", map[string]any{
		"iss": a.Issuer.DID("udg"), "vct": credential.Tax.VCT(), "_sd_alg": "sha-256",
		"iat": is.IssuedAt.Unix(), "exp": is.IssuedAt.Add(24 * time.Hour).Unix(),
		"status":     map[string]any{"status_list": map[string]any{"idx": is.Index, "uri": a.Issuer.StatusURI(&is.Record)}},
		"nationalId": laia, "upToDate": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Checker.VerifyCredential(ctx, []byte(forged+"~"))
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.FirstFailure().Name != verdict.IssuerTrusted {
		t.Fatalf("tax credential by a university: %+v", v)
	}
	if !v.Passed(verdict.Signature) {
		t.Fatalf("the forged credential should carry a valid signature: %+v", v)
	}
}

func TestExpiredCredentialIsRefused(t *testing.T) {
	ctx := context.Background()
	a := openDemo(t)
	is, err := a.Issue(ctx, issuer.Request{Type: credential.Tax, Format: credential.SDJWT, Citizen: laia})
	if err != nil {
		t.Fatal(err)
	}
	later := *a.Checker
	later.Now = func() time.Time { return is.ExpiresAt.Add(time.Hour) }
	v, err := later.VerifyCredential(ctx, []byte(is.Credential))
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.FirstFailure().Name != verdict.Validity || !strings.Contains(v.FirstFailure().Detail, "expired") {
		t.Fatalf("expired: %+v", v)
	}
}
