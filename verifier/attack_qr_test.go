package verifier_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/verdict"
)

// qrAttacks: a real QR payload of Laia's (census, three claims), truncated
// at every length and with every single bit flipped, scanned by an
// administration's scanner. Scan never panics; a payload that does not
// decode fails "parse"; one that still decodes fails verification, unless
// it decodes to the very same presentation, which is then a replay and
// fails "nonce".
func (e *attackEnv) qrAttacks(t *testing.T) {
	ctx := context.Background()
	creds, _, err := e.laia.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, c := range creds {
		if c.Type == credential.Census && c.Format == credential.SDJWT {
			id = c.ID
		}
	}
	qr, err := e.a.PresentQR(ctx, e.laia, id, []string{"givenName", "familyName", "municipality"})
	if err != nil {
		t.Fatal(err)
	}
	payload := qr.Code.Content
	if qr.Handoff || !strings.HasPrefix(payload, qrpayload.Prefix) {
		t.Fatalf("not a QR payload: %.40q", payload)
	}
	orig, err := qrpayload.Unpack(payload)
	if err != nil {
		t.Fatal(err)
	}
	scan := func(p string) *verdict.Verdict {
		t.Helper()
		v, err := e.a.Verifier.Scan(ctx, "ahc", p)
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		return v
	}
	if v := scan(payload); !v.Valid {
		t.Fatalf("the honest QR code fails: %+v", v.Checks)
	}

	t.Run("truncated at every length", func(t *testing.T) {
		for n := range len(payload) {
			if v := scan(payload[:n]); v.Valid || v.FirstFailure().Name != verdict.Parse {
				t.Fatalf("truncated to %d of %d characters: %+v", n, len(payload), v.Checks)
			}
		}
	})
	t.Run("every single bit flipped", func(t *testing.T) {
		b := []byte(payload)
		decoded, same := 0, 0
		for i := range b {
			for bit := range 8 {
				b[i] ^= 1 << bit
				p := string(b)
				b[i] ^= 1 << bit
				out, uerr := qrpayload.Unpack(p)
				v := scan(p)
				switch {
				case v.Valid:
					t.Fatalf("byte %d bit %d flipped: accepted", i, bit)
				case uerr != nil:
					if f := v.FirstFailure(); f.Name != verdict.Parse {
						t.Fatalf("byte %d bit %d: Unpack fails but the scan failed %s", i, bit, f.Name)
					}
				case bytes.Equal(out, orig):
					// An equivalent encoding of the same presentation
					// (unused bits of the final DEFLATE byte): a replay.
					same++
					wantRefused(t, v, verdict.Nonce, "already")
				default:
					decoded++
					if f := v.FirstFailure(); f.Name == "" {
						t.Fatalf("byte %d bit %d: no failed check", i, bit)
					}
				}
			}
		}
		t.Logf("%d flips over %d characters: %d still decode to another presentation (all refused), %d to the same one (refused as replays)",
			8*len(b), len(b), decoded, same)
	})
	t.Run("the honest code a second time", func(t *testing.T) {
		wantRefused(t, scan(payload), verdict.Nonce, "already")
	})
}
