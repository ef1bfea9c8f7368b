package sdjwt

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/verdict"
)

// Disclosure digests published in RFC 9901 (§4.2.1, §4.2.2 and the main
// example of §5): the digest is over the base64url string exactly as given.
func TestSpecDisclosureDigests(t *testing.T) {
	for _, tc := range []struct {
		disclosure, digest, name string
		value                    any
		element                  bool
	}{
		{"WyI2cU1RdlJMNWhhaiIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0", "uutlBuYeMDyjLLTpf6Jxi7yNkEF35jdyWMn9U7b_RYY", "family_name", "Möbius", false},
		{"WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0", "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs", "", "FR", true},
		{"WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd", "jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4", "given_name", "John", false},
	} {
		t.Run(tc.digest, func(t *testing.T) {
			if got := Digest(tc.disclosure); got != tc.digest {
				t.Fatalf("Digest = %s, want %s", got, tc.digest)
			}
			d, err := ParseDisclosure(tc.disclosure)
			if err != nil {
				t.Fatal(err)
			}
			if d.Digest != tc.digest || d.Name != tc.name || d.Element != tc.element || d.Value != tc.value {
				t.Fatalf("parsed %+v", d)
			}
		})
	}
}

func TestParseDisclosureRefuses(t *testing.T) {
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }
	for name, in := range map[string]string{
		"empty":            "",
		"padding":          enc(`["s","n","v"]`) + "==",
		"standard base64":  "WyJzIiwibiIsIjw_Pz4iXQ+/",
		"not JSON":         enc(`["s","n"`),
		"object":           enc(`{"s":"n"}`),
		"one element":      enc(`["s"]`),
		"four elements":    enc(`["s","n","v","x"]`),
		"salt number":      enc(`[1,"n","v"]`),
		"name number":      enc(`["s",2,"v"]`),
		"name _sd":         enc(`["s","_sd","v"]`),
		"name ...":         enc(`["s","...","v"]`),
		"trailing":         enc(`["s","n","v"] x`),
		"bad value":        enc(`["s","n",tru]`),
		"null salt":        enc(`[null,"n","v"]`),
		"non-zero pad bit": "WyJzIiwibiIsInYiXR",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseDisclosure(in); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseDisclosure(%q) = %v, want ErrMalformed", in, err)
			}
		})
	}
}

func TestParseCompact(t *testing.T) {
	f := newFixture(t, ecKey(t), ecKey(t))
	issued := issue(t, f)
	sd, err := Parse(issued)
	if err != nil {
		t.Fatal(err)
	}
	if sd.KeyBinding != "" || len(sd.Disclosures) != len(censusDisclosable) || sd.String() != issued || sd.Presented() != issued {
		t.Fatalf("parsed %d disclosures, kb %q", len(sd.Disclosures), sd.KeyBinding)
	}
	jwt := sd.IssuerJWT
	for name, in := range map[string]string{
		"no tilde":          jwt,
		"empty disclosure":  jwt + "~~",
		"two-part jwt":      "a.b~",
		"four-part jwt":     jwt + ".x~",
		"space":             jwt + " ~",
		"bad kb":            jwt + "~kb",
		"bad disclosure":    jwt + "~!!~",
		"too large":         jwt + "~" + strings.Repeat("A", MaxSize) + "~",
		"empty jwt segment": "a..c~",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(in); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for name, f := range map[string]fixture{
		"ES256":   newFixture(t, ecKey(t), ecKey(t)),
		"EdDSA":   newFixture(t, edKey(t), edKey(t)),
		"mixed":   newFixture(t, ecKey(t), edKey(t)),
		"mixed 2": newFixture(t, edKey(t), ecKey(t)),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			issued := issue(t, f)
			v, c, err := Verify(ctx, issued, f.keys, testNow)
			if err != nil {
				t.Fatalf("Verify: %v\n%+v", err, v.Checks)
			}
			if c.Issuer != testIss || c.VCT != testVCT || c.Status == nil || c.Status.Index != 42 || c.Confirmation == nil {
				t.Fatalf("credential %+v", c)
			}
			if c.Claims["given_name"] != "Mercè" || c.Claims["address"].(map[string]any)["street"] != "Carrer de la Força 7" {
				t.Fatalf("claims %v", c.Claims)
			}
			if _, ok := c.Claims["_sd_alg"]; ok {
				t.Fatal("_sd_alg left in claims")
			}
			for _, name := range []string{verdict.Parse, verdict.IssuerKey, verdict.Signature, verdict.Validity, verdict.Disclosures} {
				if !v.Passed(name) {
					t.Errorf("check %s did not pass", name)
				}
			}

			pres, err := Present(issued, []string{"given_name", "address.street"}, f.holder, testAud, testNon, testNow)
			if err != nil {
				t.Fatal(err)
			}
			v, c, err = VerifyPresentation(ctx, pres, f.keys, PresentationRequest{Audience: testAud, Nonce: testNon}, testNow.Add(time.Minute))
			if err != nil {
				t.Fatalf("VerifyPresentation: %v\n%+v", err, v.Checks)
			}
			got := append([]string(nil), c.Disclosed...)
			sort.Strings(got)
			if want := []string{"address", "address.street", "given_name"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("disclosed %v, want %v", got, want)
			}
			for _, hidden := range []string{"family_name", "birthdate", "municipality", "registered"} {
				if _, ok := c.Claims[hidden]; ok {
					t.Errorf("%s disclosed though not requested", hidden)
				}
			}
			if addr := c.Claims["address"].(map[string]any); addr["postal_code"] != "17004" || addr["street"] == nil {
				t.Errorf("address %v", addr)
			}
			for _, name := range []string{verdict.HolderBinding, verdict.Audience, verdict.Nonce, verdict.Freshness, verdict.SDHash} {
				if !v.Passed(name) {
					t.Errorf("check %s did not pass", name)
				}
			}
			if !reflect.DeepEqual(v.Claims, c.Claims) || !v.Valid {
				t.Error("verdict does not carry the claims")
			}
		})
	}
}

func TestIssueDigestsAndDecoys(t *testing.T) {
	f := newFixture(t, ecKey(t), ecKey(t))
	issued := issue(t, f)
	sd, _ := Parse(issued)
	_, payload, err := ParseJWT(sd.IssuerJWT)
	if err != nil {
		t.Fatal(err)
	}
	top := payload["_sd"].([]any)
	// 6 top-level disclosable claims: padded to 8 (2 decoys).
	if len(top) != 8 || !sort.SliceIsSorted(top, func(i, j int) bool { return top[i].(string) < top[j].(string) }) {
		t.Fatalf("_sd = %v", top)
	}
	if payload["_sd_alg"] != HashAlg {
		t.Fatalf("_sd_alg = %v", payload["_sd_alg"])
	}
	for _, d := range sd.Disclosures {
		if len(d.Salt) != 22 {
			t.Errorf("salt %q is not 128 bits", d.Salt)
		}
	}
	for _, name := range []string{"given_name", "address", "birthdate"} {
		if _, ok := payload[name]; ok {
			t.Errorf("%s in plaintext", name)
		}
	}
	for _, name := range []string{"iss", "vct", "iat", "exp", "cnf", "status"} {
		if _, ok := payload[name]; !ok {
			t.Errorf("%s not in plaintext", name)
		}
	}
	for n, want := range map[int]int{0: 0, 1: 4, 2: 4, 3: 4, 4: 8, 7: 8, 8: 12, 9: 12, 11: 12} {
		obj := map[string]any{}
		var names []string
		for i := range n {
			name := string(rune('a' + i))
			obj[name], names = i, append(names, name)
		}
		if _, err := conceal(obj, names); err != nil {
			t.Fatal(err)
		}
		got := 0
		if sd, ok := obj["_sd"].([]any); ok {
			got = len(sd)
		}
		if got != want {
			t.Errorf("%d claims: %d digests, want %d", n, got, want)
		}
	}
}

func TestIssueRefuses(t *testing.T) {
	f := newFixture(t, ecKey(t), ecKey(t))
	for _, name := range []string{"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "_sd_alg", "status.status_list", "nope", "address.nope", "given_name.x", "address.street.x", "address.", "given_name,given_name"} {
		t.Run(name, func(t *testing.T) {
			claims := censusClaims(t, f.holder)
			claims["nbf"] = 1
			if _, err := Issue(f.issuer, claims, strings.Split(name, ",")); !errors.Is(err, ErrNotDisclosable) {
				t.Fatalf("Issue(%s) = %v, want ErrNotDisclosable", name, err)
			}
		})
	}
	for name, mutate := range map[string]func(map[string]any){
		"no iss":     func(c map[string]any) { delete(c, "iss") },
		"no vct":     func(c map[string]any) { c["vct"] = 3 },
		"_sd claim":  func(c map[string]any) { c["_sd"] = []any{} },
		"nested ...": func(c map[string]any) { c["x"] = []any{map[string]any{"...": "a"}} },
	} {
		t.Run(name, func(t *testing.T) {
			claims := censusClaims(t, f.holder)
			mutate(claims)
			if _, err := Issue(f.issuer, claims, nil); !errors.Is(err, ErrNotDisclosable) {
				t.Fatalf("Issue = %v, want ErrNotDisclosable", err)
			}
		})
	}
	t.Run("public key", func(t *testing.T) {
		s := Signer{Key: publicJWK(t, f.issuer.Key), KeyID: testKid}
		if _, err := Issue(s, censusClaims(t, f.holder), nil); !errors.Is(err, ErrBadSigner) {
			t.Fatalf("Issue = %v, want ErrBadSigner", err)
		}
	})
	t.Run("alg mismatch", func(t *testing.T) {
		s := f.issuer
		s.Alg = "EdDSA"
		if _, err := Issue(s, censusClaims(t, f.holder), nil); !errors.Is(err, ErrBadSigner) {
			t.Fatalf("Issue = %v, want ErrBadSigner", err)
		}
	})
	t.Run("URL kid", func(t *testing.T) {
		s := f.issuer
		s.KeyID = "https://evil.example/key.json"
		if _, err := Issue(s, censusClaims(t, f.holder), nil); !errors.Is(err, ErrBadSigner) {
			t.Fatalf("Issue = %v, want ErrBadSigner", err)
		}
	})
	t.Run("does not modify input", func(t *testing.T) {
		claims := censusClaims(t, f.holder)
		before := len(claims)
		if _, err := Issue(f.issuer, claims, censusDisclosable); err != nil {
			t.Fatal(err)
		}
		if len(claims) != before || claims["address"].(map[string]any)["street"] == nil {
			t.Fatal("Issue modified the caller's claims")
		}
	})
}

func TestPresentSelection(t *testing.T) {
	f := newFixture(t, ecKey(t), ecKey(t))
	issued := issue(t, f)
	for _, tc := range []struct {
		claims []string
		want   []string
	}{
		{nil, nil},
		{[]string{"iss", "vct"}, nil},
		{[]string{"birthdate"}, []string{"birthdate"}},
		{[]string{"address"}, []string{"address", "address.street"}},
		{[]string{"address.postal_code"}, []string{"address"}},
		{[]string{"address.street", "municipality"}, []string{"address", "address.street", "municipality"}},
	} {
		t.Run(strings.Join(tc.claims, ","), func(t *testing.T) {
			pres, err := Present(issued, tc.claims, f.holder, testAud, testNon, testNow)
			if err != nil {
				t.Fatal(err)
			}
			_, c, err := VerifyPresentation(context.Background(), pres, f.keys, PresentationRequest{Audience: testAud, Nonce: testNon}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			got := append([]string(nil), c.Disclosed...)
			sort.Strings(got)
			if len(got) != len(tc.want) || (len(got) > 0 && !reflect.DeepEqual(got, tc.want)) {
				t.Fatalf("disclosed %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := Present(issued, []string{"salary"}, f.holder, testAud, testNon, testNow); !errors.Is(err, ErrUnknownClaim) {
		t.Fatalf("unknown claim: %v", err)
	}
	other := Signer{Key: jwkOf(t, ecKey(t))}
	if _, err := Present(issued, nil, other, testAud, testNon, testNow); !errors.Is(err, ErrBadSigner) {
		t.Fatalf("foreign holder key: %v", err)
	}
	if _, err := Present(issued, nil, f.holder, "", testNon, testNow); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("no audience: %v", err)
	}
}
