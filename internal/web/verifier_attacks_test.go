package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// clock is a settable test clock shared by every service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type flow struct {
	t     *testing.T
	ts    *httptest.Server
	a     *app.App
	clk   *clock
	s     *wallet.Session
	laia  map[credential.Type]wallet.Credential
	token string
}

func newFlow(t *testing.T) *flow {
	clk := &clock{t: time.Now().UTC()}
	a := apptest.Demo(t, clk.now)
	ts := httptest.NewServer(New(Config{App: a, Staff: a.Staff}))
	t.Cleanup(ts.Close)
	s, err := a.Wallet.Unlock(context.Background(), apptest.Laia, apptest.LaiaPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Lock)
	f := &flow{t: t, ts: ts, a: a, clk: clk, s: s, token: "demo-girona-verifier"}
	f.reload()
	return f
}

func (f *flow) reload() {
	creds, _, err := f.s.Credentials(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	f.laia = map[credential.Type]wallet.Credential{}
	for _, c := range creds {
		if c.Format == credential.SDJWT {
			f.laia[c.Type] = c
		}
	}
}

type openReq struct {
	ID     string                 `json:"id"`
	QR     string                 `json:"qr_uri"`
	Link   string                 `json:"wallet_link"`
	Object verifier.RequestObject `json:"object"`
}

func (f *flow) open(purpose string) openReq {
	code, body := call(f.t, "POST", f.ts.URL+"/api/v1/verifier/requests", f.token, map[string]any{"purpose": purpose})
	if code != http.StatusCreated {
		f.t.Fatalf("create: %d %s", code, body)
	}
	var r openReq
	if err := json.Unmarshal(body, &r); err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *flow) present(raw string, claims []string, aud, nonce string) string {
	key, err := f.s.HolderJWK(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := sdjwt.Present(raw, claims, sdjwt.Signer{Key: key, Alg: jwa.EdDSA}, aud, nonce, f.clk.now())
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *flow) respond(r openReq, form url.Values) (int, string) {
	form.Set("state", r.Object.State)
	code, body := postForm(f.t, f.ts.URL+"/verifier/requests/"+r.ID+"/response", form)
	return code, string(body)
}

// TestVerifierFlowRefusals drives the verifier flow over real HTTP with a
// presentation that is wrong in one way each time; the request ends rejected
// with the failing check named (or refused, or gone).
func TestVerifierFlowRefusals(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	census := string(f.laia[credential.Census].Raw)
	claims := []string{"municipality", "address", "postalCode"}

	// The QR code on the staff screen decodes back to the request URI.
	r := f.open("preinscripcio-escolar")
	code, img := call(t, "GET", f.ts.URL+"/api/v1/verifier/requests/"+r.ID+"/qr.png", f.token, nil)
	if code != 200 {
		t.Fatalf("qr.png: %d", code)
	}
	m, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(m)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	// The image holds the wallet link (a phone's camera opens it), the
	// same request as the openid4vp:// URI.
	if err != nil || res.GetText() != r.Link {
		t.Fatalf("decoded QR %q, %v", res, err)
	}
	// An honest answer to this first request, to have a spent nonce.
	if code, body := f.respond(r, url.Values{"vp_token": {f.present(census, claims, r.Object.ClientID, r.Object.Nonce)}}); code != 200 || !strings.Contains(body, `"accepted"`) {
		t.Fatalf("honest answer: %d %s", code, body)
	}
	spentNonce := r.Object.Nonce

	// A revoked census credential.
	d, err := f.a.IssueAndDeliver(ctx, issuer.Request{Type: credential.Census, Format: credential.SDJWT, Citizen: apptest.Laia})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.ChangeStatus(ctx, d.Issued.ID, issuer.StatusRevoked, "canvi de domicili"); err != nil {
		t.Fatal(err)
	}

	tamper := func(p string) string {
		parts := strings.Split(p, "~")
		for i := 1; i < len(parts)-1; i++ {
			raw, _ := base64.RawURLEncoding.DecodeString(parts[i])
			if bytes.Contains(raw, []byte("Girona")) {
				parts[i] = base64.RawURLEncoding.EncodeToString(bytes.Replace(raw, []byte("Girona"), []byte("Lleida"), 1))
			}
		}
		return strings.Join(parts, "~")
	}
	cases := []struct {
		name  string
		build func(r openReq) url.Values
		want  string // failing check, or state
	}{
		{"tampered disclosure", func(r openReq) url.Values {
			return url.Values{"vp_token": {tamper(f.present(census, claims, r.Object.ClientID, r.Object.Nonce))}}
		}, "disclosures"},
		{"revoked credential", func(r openReq) url.Values {
			return url.Values{"vp_token": {f.present(d.Issued.Credential, claims, r.Object.ClientID, r.Object.Nonce)}}
		}, "status"},
		{"wrong audience", func(r openReq) url.Values {
			return url.Values{"vp_token": {f.present(census, claims, "decentralized_identifier:did:web:espai.localhost:issuers:ahc", r.Object.Nonce)}}
		}, "audience"},
		{"stale nonce", func(r openReq) url.Values {
			return url.Values{"vp_token": {f.present(census, claims, r.Object.ClientID, spentNonce)}}
		}, "nonce"},
		{"over-disclosure", func(r openReq) url.Values {
			return url.Values{"vp_token": {f.present(census, append([]string{"givenName", "birthDate"}, claims...), r.Object.ClientID, r.Object.Nonce)}}
		}, "requested_claims"},
		{"missing claim", func(r openReq) url.Values {
			return url.Values{"vp_token": {f.present(census, claims[:1], r.Object.ClientID, r.Object.Nonce)}}
		}, "requested_claims"},
		{"wrong credential type", func(r openReq) url.Values {
			return url.Values{"vp_token": {f.present(string(f.laia[credential.Tax].Raw), []string{"upToDate"}, r.Object.ClientID, r.Object.Nonce)}}
		}, "requested_claims"},
		{"no key binding", func(r openReq) url.Values {
			p := f.present(census, claims, r.Object.ClientID, r.Object.Nonce)
			return url.Values{"vp_token": {p[:strings.LastIndex(p, "~")+1]}}
		}, "holder_binding"},
		{"citizen refuses", func(openReq) url.Values {
			return url.Values{"error": {"access_denied"}, "error_description": {"no"}}
		}, "refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.open("preinscripcio-escolar")
			code, body := f.respond(r, tc.build(r))
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			if tc.want == "refused" {
				if !strings.Contains(body, `"state":"refused"`) {
					t.Fatalf("body %s", body)
				}
				return
			}
			var out verifier.Outcome
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatal(err)
			}
			if out.State != verifier.StateRejected {
				t.Fatalf("state %s: %s", out.State, body)
			}
			failed := ""
			for _, c := range out.Checks {
				if !c.OK {
					failed = c.Name
					break
				}
			}
			if failed != tc.want {
				t.Fatalf("first failed check %q, want %q: %s", failed, tc.want, body)
			}
			if out.Receipt == nil {
				t.Fatal("a refused verification is recorded on the ledger too")
			}
		})
	}

	// An expired request: the QR code is gone and answers are refused.
	r = f.open("preinscripcio-escolar")
	pres := f.present(census, claims, r.Object.ClientID, r.Object.Nonce)
	f.clk.add(6 * time.Minute)
	if code, _ := call(t, "GET", f.ts.URL+"/verifier/requests/"+r.ID+"/object", "", nil); code != http.StatusGone {
		t.Fatalf("expired object: %d", code)
	}
	if code, body := f.respond(r, url.Values{"vp_token": {pres}}); code != http.StatusGone {
		t.Fatalf("expired response: %d %s", code, body)
	}
}
