package verifier

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzRequestObject: the payload of a signed request object as the wallet
// reads it (JSON into RequestObject, then Validate, the DCQL query included).
// A request that validates asks for one credential, in a format Espai knows,
// for distinct well-formed top-level claims, answers by direct_post to an
// http(s) URI, lives at most maxRequestTTL; and it survives a JSON round trip.
func FuzzRequestObject(f *testing.F) {
	now := time.Unix(1_790_000_000, 0)
	ok := validObject(now)
	ok.Nonce = "bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2U"
	b, _ := json.Marshal(ok)
	f.Add(b)
	ld := ok
	ld.DCQL = DCQL{Credentials: []DCQLCredential{{ID: "census", Format: FormatLDPVC, Meta: DCQLMeta{TypeValues: [][]string{{"CensusCredential"}}},
		Claims: []DCQLClaim{{Path: []string{"municipality"}}, {Path: []string{"postalCode"}}}}}}
	b, _ = json.Marshal(ld)
	f.Add(b)
	f.Add([]byte(`{"client_id":"decentralized_identifier:did:web:x","response_type":"vp_token","response_mode":"direct_post","dcql_query":{"credentials":[{"claims":[{"path":["a","b"]}]}]}}`))
	f.Add([]byte(`{"dcql_query":{"credentials":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r RequestObject
		if err := json.Unmarshal(b, &r); err != nil {
			return
		}
		if err := r.Validate(now); err != nil {
			if !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrExpired) {
				t.Fatalf("error wraps neither ErrBadRequest nor ErrExpired: %v", err)
			}
			return
		}
		c := r.DCQL.Credentials[0]
		names := r.ClaimNames()
		if len(r.DCQL.Credentials) != 1 || (c.Format != FormatSDJWT && c.Format != FormatLDPVC) || len(names) == 0 || r.VerifierDID() == "" {
			t.Fatalf("validated request %+v", r)
		}
		for i, n := range names {
			if !claimNameRE.MatchString(n) || slices.Contains(names[:i], n) {
				t.Fatalf("claim names %q", names)
			}
		}
		if r.Expires <= now.Unix() || r.Expires-r.IssuedAt > int64(maxRequestTTL/time.Second) {
			t.Fatalf("lifetime %d..%d", r.IssuedAt, r.Expires)
		}
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var r2 RequestObject
		if err := json.Unmarshal(again, &r2); err != nil || r2.Validate(now) != nil || !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, r, r2)
		}
	})
}

// FuzzVPTokenRoundTrip: the presentation a wallet wraps in a vp_token, in
// any of the forms OpenID4VP allows ({"id":["p"]}, {"id":"p"}, the bare
// compact presentation), is the presentation the verifier takes out.
func FuzzVPTokenRoundTrip(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.e30.c2ln~WyJzIiwiYSIsMV0~eyJhbGciOiJFZERTQSJ9.e30.c2ln")
	f.Add(`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiablePresentation"]}`)
	f.Add(" x ")
	f.Add("")
	f.Fuzz(func(t *testing.T, pres string) {
		if !utf8.ValidString(pres) {
			return // JSON cannot carry it (encoding/json writes U+FFFD)
		}
		wrapped := map[string]any{
			"array":  map[string][]string{"census": {pres}},
			"string": map[string]string{"census": pres},
		}
		for form, tok := range wrapped {
			b, err := json.Marshal(tok)
			if err != nil {
				t.Fatal(err)
			}
			got, err := presentationFromToken(string(b), "census")
			if strings.TrimSpace(pres) == "" {
				if err == nil {
					t.Fatalf("%s form: an empty presentation %q accepted", form, pres)
				}
				continue
			}
			if len(b) > maxPresentation+1024 {
				continue
			}
			if err != nil || got != pres {
				t.Fatalf("%s form %s: got %q, %v", form, b, got, err)
			}
		}
		if pres != "" && pres == strings.TrimSpace(pres) && pres[0] != '{' && len(pres) <= maxPresentation {
			if got, err := presentationFromToken(pres, "census"); err != nil || got != pres {
				t.Fatalf("bare: got %q, %v", got, err)
			}
		}
	})
}
