package verifier_test

import (
	"context"
	"crypto/elliptic"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	at "github.com/espai/espai/internal/attacktest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/internal/statuslist"
	"github.com/espai/espai/internal/verdict"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/verifier"
)

// validityAttacks: credentials outside their validity window, even when the
// issuer's own key signed them.
func (e *attackEnv) validityAttacks(t *testing.T) {
	ctx := context.Background()
	jwt, rest := splitSD(e.census)
	_, payload, _, _ := at.SplitJWS(t, jwt)
	now := e.clk.now()
	// resign signs a changed payload with the Ajuntament's real key, as if
	// the issuer itself had made the mistake (or been tricked into it).
	resign := func(p map[string]any) string {
		s, err := e.a.Issuer.SignJWT(ctx, girona, sdjwt.TypSDJWTVC, p)
		if err != nil {
			t.Fatal(err)
		}
		return s + rest
	}
	clockAt := func(c *verifier.Checker, tm time.Time) *verifier.Checker {
		cc := *c
		cc.Now = func() time.Time { return tm }
		return &cc
	}
	ld := e.issue(t, credential.Census, credential.JSONLD)
	for _, c := range []struct {
		name    string
		checker *verifier.Checker
		input   string
		check   string
		detail  string
	}{
		{"expired: verified after exp and the skew", clockAt(e.a.Checker, e.censusRec.ExpiresAt.Add(2*time.Minute)), e.census, verdict.Validity, "expired at"},
		{"expired: exp in the past, signed by the issuer", e.a.Checker, resign(with(payload, "exp", now.Add(-2*time.Minute).Unix())), verdict.Validity, "expired at"},
		{"not yet valid: nbf beyond the skew", e.a.Checker, resign(with(payload, "nbf", now.Add(2*time.Minute).Unix())), verdict.Validity, "not valid before"},
		{"not yet valid: iat beyond the skew", e.a.Checker, resign(with(payload, "iat", now.Add(2*time.Minute).Unix())), verdict.Validity, "issued in the future"},
		{"not yet valid: nbf a year ahead", e.a.Checker, resign(with(payload, "nbf", now.AddDate(1, 0, 0).Unix())), verdict.Validity, "not valid before"},
		{"exp not a NumericDate", e.a.Checker, resign(with(payload, "exp", "2099-12-31")), verdict.Parse, "NumericDate"},
		{"nbf negative", e.a.Checker, resign(with(payload, "nbf", -1)), verdict.Parse, "NumericDate"},
		{"JSON-LD expired", clockAt(e.a.Checker, ld.ExpiresAt.Add(2*time.Minute)), ld.Credential, verdict.Validity, "expired at"},
		{"JSON-LD verified before its issuance", clockAt(e.a.Checker, ld.IssuedAt.Add(-2*time.Minute)), ld.Credential, verdict.Validity, "issued in the future"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := c.checker.VerifyCredential(ctx, []byte(c.input))
			if err != nil {
				t.Fatal(err)
			}
			wantRefused(t, v, c.check, c.detail)
		})
	}
	// Within the skew is not an attack: the same forgeries 30 s off pass.
	for name, in := range map[string]string{
		"nbf within the skew": resign(with(payload, "nbf", now.Add(30*time.Second).Unix())),
		"exp within the skew": resign(with(payload, "exp", now.Add(-30*time.Second).Unix())),
	} {
		if v := e.verifyCredential(t, in); !v.Valid {
			t.Errorf("%s: %+v", name, v.Checks)
		}
	}
}

// with is attacktest.With, short for the tables.
var with = at.With

// statusAttacks: revoked and suspended credentials, and a status list that
// cannot be fetched.
func (e *attackEnv) statusAttacks(t *testing.T) {
	ctx := context.Background()
	change := func(f credential.Format, to byte) *issuer.Issued {
		is := e.issue(t, credential.Census, f)
		if _, err := e.a.ChangeStatus(ctx, is.ID, to, "prova d'atac"); err != nil {
			t.Fatal(err)
		}
		return is
	}
	revoked, suspended := change(credential.SDJWT, issuer.StatusRevoked), change(credential.SDJWT, issuer.StatusSuspended)
	revokedLD, suspendedLD := change(credential.JSONLD, issuer.StatusRevoked), change(credential.JSONLD, issuer.StatusSuspended)
	for _, c := range []struct {
		name, input, detail string
	}{
		{"revoked SD-JWT VC", revoked.Credential, "revoked by the issuer"},
		{"suspended SD-JWT VC", suspended.Credential, "suspended by the issuer"},
		{"revoked JSON-LD VC", revokedLD.Credential, "revoked by the issuer"},
		{"suspended JSON-LD VC", suspendedLD.Credential, "suspended by the issuer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, e.verifyCredential(t, c.input), verdict.Status, c.detail)
		})
	}
	t.Run("revoked SD-JWT VC presented", func(t *testing.T) {
		n := newNonce(t)
		p := e.present(t, revoked.Credential, gironaClaims, attackAudience, n)
		wantRefused(t, e.verifyPresentation(t, p, gironaRequest(n)), verdict.Status, "revoked by the issuer")
	})
	t.Run("suspended JSON-LD VC presented", func(t *testing.T) {
		n := newNonce(t)
		vp := e.presentLD(t, suspendedLD.Credential, attackAudience, n)
		wantRefused(t, e.verifyPresentation(t, vp, gironaRequest(n)), verdict.Status, "suspended by the issuer")
	})

	// The status list cannot be fetched: fail closed, and say so (the wallet
	// keeps such a delivery to check again; a verifier refuses).
	down := e.checkerWith(statusFetcher(func(context.Context, string) ([]byte, error) {
		return nil, errors.New("dial tcp: connection refused")
	}))
	for name, in := range map[string]string{"SD-JWT": e.census, "JSON-LD": e.issue(t, credential.Census, credential.JSONLD).Credential} {
		t.Run("unreachable status list, "+name, func(t *testing.T) {
			v, err := down.VerifyCredential(ctx, []byte(in))
			if err != nil {
				t.Fatal(err)
			}
			wantRefused(t, v, verdict.Status, verifier.ErrStatusUnavailable.Error())
			if !verifier.StatusUnavailable(v) {
				t.Fatalf("StatusUnavailable does not recognise the outage: %+v", v.Checks)
			}
		})
	}
}

// forgedStatusListAttacks serves forged status lists for a credential's
// status URI: every one must fail the status check, closed.
func (e *attackEnv) forgedStatusListAttacks(t *testing.T) {
	ctx := context.Background()
	now := e.clk.now()
	// A revoked credential: a forged list would have to say "valid".
	rv := e.issue(t, credential.Census, credential.SDJWT)
	if _, err := e.a.ChangeStatus(ctx, rv.ID, issuer.StatusRevoked, "prova d'atac"); err != nil {
		t.Fatal(err)
	}
	uri := e.a.Issuer.StatusURI(&rv.Record)
	tok, err := e.a.Issuer.StatusListToken(ctx, girona, rv.List)
	if err != nil {
		t.Fatal(err)
	}
	th, tp, tseg, tsig := at.SplitJWS(t, tok)
	atcDID := e.a.Issuer.DID("atc")
	atcTok, err := e.a.Issuer.StatusListToken(ctx, "atc", 1)
	if err != nil {
		t.Fatal(err)
	}
	otherURI := strings.TrimSuffix(uri, fmt.Sprint(rv.List)) + fmt.Sprint(rv.List+1)
	signAs := func(admin string, claims map[string]any) string {
		s, err := e.a.Issuer.SignJWT(ctx, admin, statuslist.TypToken, claims)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	list := func(entries, bits int) map[string]any {
		l, err := statuslist.NewList(entries, bits)
		if err != nil {
			t.Fatal(err)
		}
		c, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return map[string]any{"bits": c.Bits, "lst": c.Lst}
	}
	allValid := list(issuer.ListSize, 2)
	const bombSize = 256 << 20 // inflates to 256 MiB; 64 times the decoder's limit
	bomb := map[string]any{"bits": 2, "lst": b64u.EncodeToString(at.ZlibBomb(bombSize))}
	pubJWK := e.issuerJWK(t, th["kid"].(string))

	cases := []struct {
		name, list, detail string
	}{
		{"another administration's list", atcTok, "is not the list's URI"},
		{"signed by another administration for this URI", signAs("atc", with(tp, "iss", atcDID)), "signed by " + atcDID},
		{"another list of the same administration", signAs(girona, with(tp, "sub", otherURI)), "is not the list's URI"},
		{"signed by an attacker's key under the issuer's kid", at.JWS(t, th, at.Seg(t, with(tp, "status_list", allValid)), at.ECKey(t, elliptic.P256())), "signature does not verify"},
		{"tampered bitstring under the issuer's signature", at.Unsigned(t, th, at.Seg(t, with(tp, "status_list", allValid)), tsig), "signature does not verify"},
		{"alg none", at.Unsigned(t, with(th, "alg", "none"), tseg, tsig), "unsigned JWTs are refused"},
		{"HS256 keyed with the issuer's public JWK", at.JWS(t, with(th, "alg", "HS256"), at.Seg(t, with(tp, "status_list", allValid)), pubJWK), "MAC algorithms are refused"},
		{"jku header at the attacker's server", at.JWS(t, with(th, "jku", e.trap.URL+"/jwks"), tseg, at.ECKey(t, elliptic.P256())), `"jku" refused`},
		{"a credential passed off as a list", strings.SplitN(e.census, "~", 2)[0], "typ"},
		{"expired list", signAs(girona, with(tp, "iat", now.Add(-26*time.Hour).Unix(), "exp", now.Add(-2*time.Hour).Unix())), "expired at"},
		{"list issued in the future", signAs(girona, with(tp, "iat", now.Add(time.Hour).Unix())), "issued in the future"},
		{"1-bit entries", signAs(girona, with(tp, "status_list", list(issuer.ListSize, 1))), "1-bit entries"},
		{"a list too short for the index", signAs(girona, with(tp, "status_list", list(4, 2))), "out of range"},
		{"compression bomb signed by the issuer", signAs(girona, with(tp, "status_list", bomb)), "exceeds the size limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fetches := 0
			ck := e.checkerWith(statusFetcher(func(_ context.Context, u string) ([]byte, error) {
				fetches++
				if u != uri {
					return nil, fmt.Errorf("unexpected status URI %s", u)
				}
				return []byte(c.list), nil
			}))
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			v, err := ck.VerifyCredential(ctx, []byte(rv.Credential))
			runtime.ReadMemStats(&ms1)
			if err != nil {
				t.Fatal(err)
			}
			wantRefused(t, v, verdict.Status, c.detail)
			// A list that fails verification reads as "status unknown" (the
			// wallet then retries later); one that verified but does not
			// vouch for this credential is a plain refusal.
			unavailable := !strings.Contains(c.detail, "signed by") && !strings.Contains(c.detail, "out of range")
			if unavailable != strings.HasPrefix(v.FirstFailure().Detail, verifier.ErrStatusUnavailable.Error()) {
				t.Errorf("unavailable should be %v: %s", unavailable, v.FirstFailure().Detail)
			}
			if fetches != 1 {
				t.Errorf("%d fetches", fetches)
			}
			// The bomb stops at the 4 MiB limit: nothing near its 256 MiB is allocated.
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 64<<20 {
				t.Errorf("verification allocated %d MiB", alloc>>20)
			}
		})
	}

	// An oversized download is cut off by the HTTP fetcher itself.
	t.Run("oversized status list download", func(t *testing.T) {
		big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			chunk := []byte(strings.Repeat("A", 1<<16))
			for range 40 { // 2.5 MiB
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}))
		defer big.Close()
		ck := e.checkerWith(verifier.HTTPStatusFetcher{From: e.a.Issuer.PublicBase(), To: big.URL})
		v, err := ck.VerifyCredential(ctx, []byte(rv.Credential))
		if err != nil {
			t.Fatal(err)
		}
		wantRefused(t, v, verdict.Status, "larger than")
	})

	// JSON-LD: the Bitstring Status List credential.
	ld := e.issue(t, credential.Census, credential.JSONLD)
	lduri := e.a.Issuer.StatusURI(&ld.Record)
	atcLD, err := e.a.Issuer.BitstringStatusCredential(ctx, "atc", 1)
	if err != nil {
		t.Fatal(err)
	}
	gironaLD, err := e.a.Issuer.BitstringStatusCredential(ctx, girona, ld.List)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := statuslist.NewBitstring(issuer.ListSize, 2)
	if err != nil {
		t.Fatal(err)
	}
	emptyList, err := empty.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		list   []byte
		detail string
	}{
		{"another administration's Bitstring list", atcLD, "status list credential id"},
		{"tampered encodedList under the issuer's proof", editJSON(t, gironaLD, func(m map[string]any) {
			m["credentialSubject"].(map[string]any)["encodedList"] = emptyList
		}), "signature"},
		{"Bitstring list without its proof", editJSON(t, gironaLD, func(m map[string]any) { delete(m, "proof") }), "no proof"},
		{"Bitstring list for another purpose", editJSON(t, gironaLD, func(m map[string]any) {
			m["credentialSubject"].(map[string]any)["statusPurpose"] = "revocation"
		}), "signature"},
		{"Bitstring list with an inline context", editJSON(t, gironaLD, func(m map[string]any) {
			m["@context"] = append(m["@context"].([]any), map[string]any{"encodedList": "https://evil.example/#list"})
		}), "inline @context"},
		{"Bitstring compression bomb", editJSON(t, gironaLD, func(m map[string]any) {
			m["credentialSubject"].(map[string]any)["encodedList"] = "u" + b64u.EncodeToString(at.GzipBomb(bombSize))
		}), "signature"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ck := e.checkerWith(statusFetcher(func(_ context.Context, u string) ([]byte, error) {
				if u != lduri {
					return nil, fmt.Errorf("unexpected status URI %s", u)
				}
				return c.list, nil
			}))
			v, err := ck.VerifyCredential(ctx, []byte(ld.Credential))
			if err != nil {
				t.Fatal(err)
			}
			wantRefused(t, v, verdict.Status, c.detail)
		})
	}
}
