package verifier

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/espai/espai/internal/verdict"
)

func validObject(now time.Time) RequestObject {
	return RequestObject{
		ClientID: ClientIDPrefix + "did:web:espai.localhost:issuers:ajuntament-girona", ResponseType: "vp_token", ResponseMode: "direct_post",
		ResponseURI: "https://espai.localhost/verifier/requests/abc/response", Nonce: newNonce(), State: "abc",
		DCQL:     DCQL{Credentials: []DCQLCredential{{ID: "census", Format: FormatSDJWT, Claims: []DCQLClaim{{Path: []string{"municipality"}}}}}},
		Purpose:  PurposeInfo{ID: "preinscripcio-escolar", Title: "Preinscripció", LegalBasis: "Llei 12/2009", RetentionDays: 365},
		IssuedAt: now.Unix(), Expires: now.Add(5 * time.Minute).Unix(),
	}
}

func TestRequestObjectValidate(t *testing.T) {
	now := time.Now()
	ok := validObject(now)
	if err := ok.Validate(now); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*RequestObject){
		"client id":      func(r *RequestObject) { r.ClientID = "did:web:x" },
		"response mode":  func(r *RequestObject) { r.ResponseMode = "fragment" },
		"short nonce":    func(r *RequestObject) { r.Nonce = "abc" },
		"no state":       func(r *RequestObject) { r.State = "" },
		"two creds":      func(r *RequestObject) { r.DCQL.Credentials = append(r.DCQL.Credentials, r.DCQL.Credentials[0]) },
		"no legal basis": func(r *RequestObject) { r.Purpose.LegalBasis = "" },
		"too long":       func(r *RequestObject) { r.Expires = r.IssuedAt + 3600 },
		"expired": func(r *RequestObject) {
			r.IssuedAt, r.Expires = now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		},
		"response uri":   func(r *RequestObject) { r.ResponseURI = "javascript:alert(1)" },
		"format":         func(r *RequestObject) { r.DCQL.Credentials[0].Format = "mso_mdoc" },
		"no claims":      func(r *RequestObject) { r.DCQL.Credentials[0].Claims = nil },
		"nested path":    func(r *RequestObject) { r.DCQL.Credentials[0].Claims[0].Path = []string{"a", "b"} },
		"odd claim name": func(r *RequestObject) { r.DCQL.Credentials[0].Claims[0].Path = []string{"$..x"} },
		"repeated claim": func(r *RequestObject) {
			r.DCQL.Credentials[0].Claims = append(r.DCQL.Credentials[0].Claims, r.DCQL.Credentials[0].Claims[0])
		},
	} {
		r := validObject(now)
		r.DCQL.Credentials = append([]DCQLCredential(nil), r.DCQL.Credentials...)
		r.DCQL.Credentials[0].Claims = append([]DCQLClaim(nil), r.DCQL.Credentials[0].Claims...)
		mut(&r)
		if err := r.Validate(now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestQRURIRoundTrip(t *testing.T) {
	u := QRURI("decentralized_identifier:did:web:x", "https://espai.localhost/verifier/requests/a/object")
	c, r, err := ParseQRURI(u)
	if err != nil || c != "decentralized_identifier:did:web:x" || !strings.HasSuffix(r, "/object") {
		t.Fatalf("%q %q %v", c, r, err)
	}
	w := WalletLink("https://espai.example.cat", "decentralized_identifier:did:web:x", "https://espai.localhost/verifier/requests/a/object")
	if c2, r2, err := ParseQRURI(w); err != nil || c2 != c || r2 != r {
		t.Fatalf("wallet link %q: %q %q %v", w, c2, r2, err)
	}
	for _, bad := range []string{"https://x", "https://x/other?client_id=a&request_uri=https://y/o", "https://x/requests?client_id=a", "openid4vp://?client_id=a", "openid4vp://?client_id=a&request_uri=file:///etc/passwd", strings.Repeat("a", 3000)} {
		if _, _, err := ParseQRURI(bad); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPresentationFromToken(t *testing.T) {
	for tok, want := range map[string]string{
		"eyJ.eyJ.sig~d~kb":            "eyJ.eyJ.sig~d~kb",
		`{"census":["eyJ.x.y~kb"]}`:   "eyJ.x.y~kb",
		`{"census":"eyJ.x.y~kb"}`:     "eyJ.x.y~kb",
		`{"census":[{"@context":1}]}`: `{"@context":1}`,
	} {
		got, err := presentationFromToken(tok, "census")
		if err != nil || got != want {
			t.Errorf("%s: %q %v", tok, got, err)
		}
	}
	for _, bad := range []string{"", `{"tax":["x"]}`, `{"census":["a","b"]}`, `{"census":[]}`, `{`, `{"census":["x"],"tax":["y"]}`} {
		if _, err := presentationFromToken(bad, "census"); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestCheckRequested(t *testing.T) {
	v := &verdict.Verdict{}
	checkRequested(v, []string{"a", "b"}, []string{"b", "a"}, true)
	if !v.Valid {
		t.Fatal(v.Checks)
	}
	for _, tc := range []struct {
		req, got []string
		exact    bool
		want     string
	}{
		{[]string{"a", "b"}, []string{"a"}, true, "not disclosed: b"},
		{[]string{"a"}, []string{"a", "secret"}, true, "beyond the request: secret"},
	} {
		v := &verdict.Verdict{}
		checkRequested(v, tc.req, tc.got, tc.exact)
		if v.Valid || !strings.Contains(v.FirstFailure().Detail, tc.want) {
			t.Errorf("%v/%v: %+v", tc.req, tc.got, v.Checks)
		}
	}
	v = &verdict.Verdict{}
	checkRequested(v, []string{"a"}, []string{"a", "b"}, false)
	if !v.Valid {
		t.Fatal("JSON-LD shows the whole credential: extra claims are not a failure")
	}
}

type fetchFunc func(ctx context.Context, uri string) ([]byte, error)

func (f fetchFunc) FetchStatusList(ctx context.Context, uri string) ([]byte, error) {
	return f(ctx, uri)
}

func TestStatusCacheTTLAndFailClosed(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var fetches atomic.Int32
	down := false
	c := NewStatusCache(fetchFunc(func(context.Context, string) ([]byte, error) {
		fetches.Add(1)
		if down {
			return nil, errors.New("connection refused")
		}
		return []byte("list"), nil
	}), time.Minute, func() time.Time { return now })
	decode := func(context.Context, string, []byte) (*StatusList, error) {
		return &StatusList{Signer: "did:x", TTL: 10 * time.Minute, Get: func(int) (byte, error) { return 0, nil }}, nil
	}
	ctx := context.Background()
	for range 3 {
		if _, err := c.Lookup(ctx, "https://x/status/1", decode); err != nil {
			t.Fatal(err)
		}
	}
	if fetches.Load() != 1 {
		t.Fatalf("%d fetches while fresh", fetches.Load())
	}
	// The list asked for 10 minutes; the cache caps it at 1.
	now = now.Add(61 * time.Second)
	down = true
	_, err := c.Lookup(ctx, "https://x/status/1", decode)
	if !errors.Is(err, ErrStatusUnavailable) {
		t.Fatalf("stale and unreachable: %v", err)
	}
	v := &verdict.Verdict{}
	v.Pass(verdict.Signature, "")
	v.Fail(verdict.Status, err)
	if !StatusUnavailable(v) {
		t.Fatal("StatusUnavailable should recognise the failure")
	}
	v.Failf(verdict.Validity, "expired")
	if StatusUnavailable(v) {
		t.Fatal("another failed check is not a status outage")
	}
	// A list that does not verify fails closed too.
	down = false
	_, err = c.Lookup(ctx, "https://x/status/1", func(context.Context, string, []byte) (*StatusList, error) {
		return nil, errors.New("bad signature")
	})
	if !errors.Is(err, ErrStatusUnavailable) {
		t.Fatalf("forged list: %v", err)
	}
}

func FuzzParseQRURI(f *testing.F) {
	f.Add(QRURI("decentralized_identifier:did:web:x", "https://espai.localhost/verifier/requests/a/object"))
	f.Add("openid4vp://?client_id=%zz")
	f.Fuzz(func(t *testing.T, s string) {
		c, r, err := ParseQRURI(s)
		if err != nil {
			return
		}
		c2, r2, err := ParseQRURI(QRURI(c, r))
		if err != nil || c2 != c || r2 != r {
			t.Fatalf("round trip: %q %q %v", c2, r2, err)
		}
	})
}

func FuzzPresentationFromToken(f *testing.F) {
	f.Add(`{"census":["eyJ.x.y~kb"]}`)
	f.Add("eyJ.x.y~")
	f.Add(`{"census":[{"@context":[]}]}`)
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := presentationFromToken(tok, "census")
		if err == nil && p == "" {
			t.Fatal("empty presentation accepted")
		}
	})
}
