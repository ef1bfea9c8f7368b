package app

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/verifier"
)

// fuzzEdit replaces del bytes at offset at (both clamped) of s with ins.
func fuzzEdit(s string, at uint16, del uint8, ins string) string {
	i := min(int(at), len(s))
	j := min(i+int(del), len(s))
	return s[:i] + ins + s[j:]
}

// FuzzCheckRequest: the wallet's check of a signed OpenID4VP request object
// (JWS, client_id, DCQL query, purpose against the trust list), on edits of
// the request objects of a real demo deployment's verifier, SD-JWT or
// JSON-LD. A deployment's keys are random, so a request signed in one process
// means nothing in another (the fuzzing coordinator and its workers each open
// their own deployment): the input is an edit (offset, bytes removed, bytes
// inserted) of the request this process signed. The empty edit is accepted;
// an edited request that is accepted asks the same thing, of the same
// verifier, for the same purpose.
func FuzzCheckRequest(f *testing.F) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	o := testOptions(f)
	o.Now = func() time.Time { return now }
	a, err := Open(ctx, o)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Close() })
	type request struct {
		clientID, signed string
		want             *IncomingRequest
	}
	var reqs []request
	for _, format := range []string{verifier.FormatSDJWT, verifier.FormatLDPVC} {
		r, err := a.Verifier.CreateRequest(ctx, "ajuntament-girona", "preinscripcio-escolar", format, []string{"municipality", "postalCode"})
		if err != nil {
			f.Fatal(err)
		}
		signed, err := a.Verifier.RequestObject(ctx, r.ID)
		if err != nil {
			f.Fatal(err)
		}
		want, err := a.checkRequest(ctx, r.Object.ClientID, signed)
		if err != nil {
			f.Fatalf("%s request refused: %v", format, err)
		}
		reqs = append(reqs, request{r.Object.ClientID, signed, want})
	}
	payload := strings.IndexByte(reqs[0].signed, '.') + 1
	f.Add(false, uint16(0), uint8(0), "")
	f.Add(true, uint16(0), uint8(0), "")
	f.Add(false, uint16(len(reqs[0].signed)-2), uint8(2), "AA")                                          // the signature's end
	f.Add(false, uint16(payload), uint8(0), "eyJjbGllbnRfaWQiOiJ4In0.")                                  // another payload in front
	f.Add(true, uint16(0), uint8(payload-1), "eyJhbGciOiJub25lIiwidHlwIjoib2F1dGgtYXV0aHotcmVxK2p3dCJ9") // alg none
	f.Add(false, uint16(len(reqs[0].signed)), uint8(0), ".x")
	f.Fuzz(func(t *testing.T, ld bool, at uint16, del uint8, ins string) {
		r := reqs[0]
		if ld {
			r = reqs[1]
		}
		ir, err := a.checkRequest(ctx, r.clientID, fuzzEdit(r.signed, at, del, ins))
		if del == 0 && ins == "" && err != nil {
			t.Fatalf("the unedited request is refused: %v", err)
		}
		if err != nil {
			return
		}
		w := r.want
		if !reflect.DeepEqual(ir.Object, w.Object) || !reflect.DeepEqual(ir.Verifier, w.Verifier) || !reflect.DeepEqual(ir.Purpose, w.Purpose) ||
			ir.Type != w.Type || ir.Format != w.Format || !reflect.DeepEqual(ir.Claims, w.Claims) || ir.responseURI != w.responseURI {
			t.Fatalf("an edited request is accepted as another:\n got %+v\nwant %+v", ir, w)
		}
	})
}
