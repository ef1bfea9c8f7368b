package verifier_test

// Fuzz targets over a real demo deployment (internal/apptest): the
// credentials, keys, trust list and status lists are the ones `espai init
// --demo` makes. A deployment's keys are random, so a token signed in one
// process means nothing in another (the fuzzing coordinator and its workers
// each open their own deployment): the fuzz input is therefore an edit
// (offset, bytes removed, bytes inserted) of a valid token that each process
// makes for itself. The empty edit must verify; any edit that still verifies
// must say the same thing.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/apptest"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/jsonld"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

// fuzzEdit replaces del bytes at offset at (both clamped) of s with ins.
func fuzzEdit(s string, at uint16, del uint8, ins string) string {
	i := min(int(at), len(s))
	j := min(i+int(del), len(s))
	return s[:i] + ins + s[j:]
}

// fuzzDemo is a demo deployment at a fixed clock, with Laia's wallet unlocked
// and her census credentials in both formats.
type fuzzDemo struct {
	a     *app.App
	s     *wallet.Session
	now   time.Time
	creds map[credential.Format]wallet.Credential
}

// fuzzShared is the one demo deployment of this test binary: opening one
// costs seconds, and the targets only add requests, scans and ledger entries
// to it. TestMain closes and removes it.
var fuzzShared struct {
	once sync.Once
	dir  string
	d    *fuzzDemo
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fuzzShared.d != nil {
		fuzzShared.d.s.Lock()
		if err := fuzzShared.d.a.Close(); err != nil && code == 0 {
			fmt.Fprintln(os.Stderr, "close the demo deployment:", err)
			code = 1
		}
	}
	if fuzzShared.dir != "" {
		os.RemoveAll(fuzzShared.dir)
	}
	os.Exit(code)
}

func openFuzzDemo(f *testing.F) *fuzzDemo {
	f.Helper()
	fuzzShared.once.Do(func() { fuzzShared.d, fuzzShared.err = newFuzzDemo(apptest.Options(f)) })
	if fuzzShared.err != nil {
		f.Fatal(fuzzShared.err)
	}
	return fuzzShared.d
}

func newFuzzDemo(o app.Options) (*fuzzDemo, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "espai-verifier-fuzz-")
	if err != nil {
		return nil, err
	}
	fuzzShared.dir = dir
	now := time.Now().UTC().Truncate(time.Second)
	o.Root, o.Now = filepath.Join(dir, "data"), func() time.Time { return now }
	a, err := app.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	d := &fuzzDemo{a: a, now: now, creds: map[credential.Format]wallet.Credential{}}
	// The demo gives Laia one census credential (SD-JWT); a JSON-LD one too.
	if _, err := a.IssueAndDeliver(ctx, issuer.Request{Type: credential.Census, Format: credential.JSONLD, Citizen: apptest.Laia}); err != nil {
		a.Close()
		return nil, err
	}
	if d.s, err = a.Wallet.Unlock(ctx, apptest.Laia, apptest.LaiaPassphrase); err != nil {
		a.Close()
		return nil, err
	}
	creds, _, err := d.s.Credentials(ctx)
	if err != nil {
		a.Close()
		return nil, err
	}
	for _, c := range creds {
		if c.Type == credential.Census {
			d.creds[c.Format] = c
		}
	}
	if len(d.creds) != 2 {
		a.Close()
		return nil, fmt.Errorf("Laia's census credentials: %d formats, want 2", len(d.creds))
	}
	return d, nil
}

// fuzzContained reports whether every member of a is in b with a contained
// value (SD-JWT discloses a subset of the issued claims).
func fuzzContained(a, b any) bool {
	am, ok := a.(map[string]any)
	if !ok {
		return reflect.DeepEqual(a, b)
	}
	bm, ok := b.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range am {
		if w, ok := bm[k]; !ok || !fuzzContained(v, w) {
			return false
		}
	}
	return true
}

// FuzzCheckCredential: Checker.Check (what `espai verify` and the wallet's
// inbox run) on edits of Laia's census credential, SD-JWT or JSON-LD. An
// edited credential that passes every check is the same credential: the same
// format, type, issuer, dates, status entry and holder, and claims that the
// original has with the same values (all of them for JSON-LD, whose proof
// covers the whole document; a subset for SD-JWT, whose holder may drop
// disclosures).
func FuzzCheckCredential(f *testing.F) {
	d := openFuzzDemo(f)
	ctx := context.Background()
	want := map[credential.Format]*verifier.Verified{}
	for format, c := range d.creds {
		v, got, err := d.a.Checker.Check(ctx, c.Raw)
		if err != nil || !v.Valid {
			f.Fatalf("%s census credential: %v %+v", format, err, v)
		}
		want[format] = got
	}
	sd := string(d.creds[credential.SDJWT].Raw)
	f.Add(false, uint16(0), uint8(0), "")
	f.Add(true, uint16(0), uint8(0), "")
	f.Add(false, uint16(len(sd)-1), uint8(1), "")                     // drop the final "~"
	f.Add(false, uint16(len(sd)-1), uint8(0), "~WyJzYWx0IiwieCIsMV0") // an extra disclosure
	f.Add(false, uint16(10), uint8(1), "A")
	f.Add(true, uint16(0), uint8(0), "  \n")
	f.Add(true, uint16(40), uint8(3), `"x"`)
	f.Fuzz(func(t *testing.T, ld bool, at uint16, del uint8, ins string) {
		format := credential.SDJWT
		if ld {
			format = credential.JSONLD
		}
		raw := fuzzEdit(string(d.creds[format].Raw), at, del, ins)
		v, got, err := d.a.Checker.Check(ctx, []byte(raw))
		if err != nil {
			t.Fatalf("check: %v", err)
		}
		if del == 0 && ins == "" && !v.Valid {
			t.Fatalf("the unedited %s credential fails: %+v", format, v.FirstFailure())
		}
		if !v.Valid {
			if got != nil {
				t.Fatal("an invalid verdict with a credential")
			}
			return
		}
		w := want[format]
		if got.Format != w.Format || got.Type != w.Type || got.Issuer != w.Issuer || !got.IssuedAt.Equal(w.IssuedAt) ||
			!got.ExpiresAt.Equal(w.ExpiresAt) || got.StatusURI != w.StatusURI || got.StatusIndex != w.StatusIndex || got.Holder != w.Holder {
			t.Fatalf("an edited %s credential verifies as another:\n got %+v\nwant %+v", format, got, w)
		}
		if ld && !reflect.DeepEqual(got.Claims, w.Claims) || !ld && !fuzzContained(got.Claims, w.Claims) {
			t.Fatalf("an edited %s credential verifies with other claims:\n got %v\nwant %v", format, got.Claims, w.Claims)
		}
	})
}

// FuzzRespond: the direct_post a wallet sends to a verifier, through
// Service.Respond. Each input answers a fresh request of the Ajuntament de
// Girona (school pre-registration: municipality, address, postal code) with an
// edit of the vp_token Laia's wallet makes for it. A response Respond cannot
// read is ErrBadRequest and leaves the request pending; any other is the
// request's one answer (a second is ErrAnswered); and an accepted edit
// discloses what the unedited response discloses, with the same values.
func FuzzRespond(f *testing.F) {
	d := openFuzzDemo(f)
	ctx := context.Background()
	want := map[bool]map[string]any{}
	for _, ld := range []bool{false, true} {
		r, out, err := d.respond(ctx, ld, func(tok string) string { return tok })
		if err != nil || out.State != verifier.StateAccepted {
			f.Fatalf("Laia's response (JSON-LD %v): %v %+v", ld, err, out)
		}
		if _, ok := out.Verdict.Claims["givenName"]; ok && !ld {
			f.Fatalf("request %s: an SD-JWT response disclosed more than asked: %v", r.ID, out.Verdict.Claims)
		}
		want[ld] = out.Verdict.Claims
	}
	f.Add(false, uint16(0), uint8(0), "")
	f.Add(true, uint16(0), uint8(0), "")
	f.Add(false, uint16(1), uint8(8), `"tax"`)
	f.Add(false, uint16(0), uint8(255), "eyJ")
	f.Add(false, uint16(12), uint8(0), "[")
	f.Add(true, uint16(11), uint8(1), "")
	f.Add(true, uint16(0), uint8(0), " ")
	f.Fuzz(func(t *testing.T, ld bool, at uint16, del uint8, ins string) {
		r, out, err := d.respond(ctx, ld, func(tok string) string { return fuzzEdit(tok, at, del, ins) })
		if err != nil {
			if !errors.Is(err, verifier.ErrBadRequest) {
				t.Fatalf("respond: %v", err)
			}
			if got, err := d.a.Verifier.Request(ctx, r.ID); err != nil || got.State != verifier.StatePending {
				t.Fatalf("an unreadable response consumed the request: %v", err)
			}
			return
		}
		if _, _, err := d.a.Verifier.Respond(ctx, r.ID, verifier.Response{State: r.Object.State, VPToken: "x"}); !errors.Is(err, verifier.ErrAnswered) {
			t.Fatalf("a second response: %v", err)
		}
		if del == 0 && ins == "" && out.State != verifier.StateAccepted {
			t.Fatalf("the unedited response (JSON-LD %v) is %s: %s", ld, out.State, out.Reason)
		}
		if out.State != verifier.StateAccepted {
			return
		}
		if out.Verdict == nil || !out.Verdict.Valid || !reflect.DeepEqual(out.Verdict.Claims, want[ld]) {
			t.Fatalf("an edited response is accepted with other claims:\n got %v\nwant %v", out.Verdict.Claims, want[ld])
		}
	})
}

// respond creates a request for Laia's census credential (JSON-LD or
// SD-JWT) and answers it with change(the vp_token her wallet makes).
func (d *fuzzDemo) respond(ctx context.Context, ld bool, change func(string) string) (*verifier.Request, *verifier.Request, error) {
	format, reqFormat := credential.SDJWT, verifier.FormatSDJWT
	if ld {
		format, reqFormat = credential.JSONLD, verifier.FormatLDPVC
	}
	r, err := d.a.Verifier.CreateRequest(ctx, "ajuntament-girona", "preinscripcio-escolar", reqFormat, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("create request: %w", err)
	}
	tok, err := d.vpToken(ctx, r, format)
	if err != nil {
		return r, nil, err
	}
	out, _, err := d.a.Verifier.Respond(ctx, r.ID, verifier.Response{State: r.Object.State, VPToken: change(tok)})
	return r, out, err
}

// vpToken is the vp_token Laia's wallet sends for r: her census credential
// disclosing the requested claims, bound to the request's client_id and
// nonce, as {"census": [presentation]}.
func (d *fuzzDemo) vpToken(ctx context.Context, r *verifier.Request, format credential.Format) (string, error) {
	c := d.creds[format]
	var pres json.RawMessage
	switch format {
	case credential.SDJWT:
		key, err := d.s.HolderJWK(ctx)
		if err != nil {
			return "", err
		}
		p, err := sdjwt.Present(string(c.Raw), r.Object.ClaimNames(), sdjwt.Signer{Key: key, Alg: jwa.EdDSA}, r.Object.ClientID, r.Object.Nonce, d.now)
		if err != nil {
			return "", err
		}
		pres, _ = json.Marshal(p)
	default:
		key, err := d.s.HolderKey(ctx)
		if err != nil {
			return "", err
		}
		p, err := d.a.Checker.LD.Present(ctx, jsonld.Signer{MethodID: d.s.PublicKeys().HolderMethod, Key: key}, [][]byte{c.Raw}, r.Object.Nonce, r.Object.ClientID, d.now)
		if err != nil {
			return "", err
		}
		pres = p
	}
	tok, err := json.Marshal(map[string][]json.RawMessage{r.Object.DCQL.Credentials[0].ID: {pres}})
	return string(tok), err
}

// FuzzScan: a citizen's QR presentation read by an administration's scanner
// (Service.Scan). Each input scans a fresh QR presentation of Laia's census
// credential (given name, family name, municipality), edited either in its
// "ESPAI1:" payload or in the presentation before packing. The unedited code
// verifies once and fails "nonce" when scanned again; an edited code that
// verifies discloses what the unedited one does.
func FuzzScan(f *testing.F) {
	d := openFuzzDemo(f)
	ctx := context.Background()
	claims := []string{"givenName", "familyName", "municipality"}
	credID := d.creds[credential.SDJWT].ID
	qr, err := d.a.PresentQR(ctx, d.s, credID, claims)
	if err != nil || qr.Handoff {
		f.Fatalf("QR presentation: %v (handoff %v)", err, qr != nil && qr.Handoff)
	}
	v, err := d.a.Verifier.Scan(ctx, "ahc", qr.Code.Content)
	if err != nil || !v.Valid {
		f.Fatalf("scan: %v %+v", err, v)
	}
	want := v.Claims
	f.Add(false, uint16(0), uint8(0), "")
	f.Add(true, uint16(0), uint8(0), "")
	f.Add(true, uint16(7), uint8(3), "")
	f.Add(false, uint16(0), uint8(255), "eyJhbGciOiJub25lIn0")
	f.Add(false, uint16(9999), uint8(0), "WyJzYWx0IiwiYWRkcmVzcyIsIngiXQ~")
	f.Add(true, uint16(9999), uint8(0), "00")
	f.Fuzz(func(t *testing.T, packed bool, at uint16, del uint8, ins string) {
		qr, err := d.a.PresentQR(ctx, d.s, credID, claims)
		if err != nil || qr.Handoff {
			t.Fatalf("QR presentation: %v", err)
		}
		payload := qr.Code.Content
		if packed {
			payload = fuzzEdit(payload, at, del, ins)
		} else {
			pres, err := qrpayload.Unpack(payload)
			if err != nil {
				t.Fatal(err)
			}
			if payload, err = qrpayload.Pack([]byte(fuzzEdit(string(pres), at, del, ins))); err != nil {
				t.Fatal(err)
			}
		}
		v, err := d.a.Verifier.Scan(ctx, "ahc", payload)
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		if del == 0 && ins == "" && !v.Valid {
			t.Fatalf("the unedited QR presentation fails: %+v", v.FirstFailure())
		}
		if !v.Valid {
			return
		}
		if !reflect.DeepEqual(v.Claims, want) {
			t.Fatalf("an edited QR presentation verifies with other claims:\n got %v\nwant %v", v.Claims, want)
		}
		if again, err := d.a.Verifier.Scan(ctx, "ahc", payload); err != nil || again.Valid {
			t.Fatalf("a QR presentation verified twice: %v", err)
		}
	})
}
