package qrpayload

// The QR part of the attack suite (issue 8; docs/security-attacks.md): a
// payload truncated at every length or with any single bit flipped is an
// error (ErrMalformed), never a panic and never a shorter presentation; a
// flipped payload that still decodes yields a presentation that fails
// verification; bombs stop at the limits without the work.

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	at "github.com/espai/espai/internal/attacktest"
	"github.com/espai/espai/internal/sdjwt"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

const (
	atkIss   = "did:web:espai.localhost:issuers:ajuntament-girona"
	atkKid   = atkIss + "#es256-1"
	atkAud   = "urn:espai:qr:espai.localhost"
	atkNonce = "q1Zx0n2R8bVt4LcA7sWm9g"
)

var atkNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// atkPresentation is a census presentation shaped like the ones Espai's
// wallets put in QR codes, and the key lookup that verifies it.
func atkPresentation(t *testing.T) (string, sdjwt.IssuerKeys) {
	t.Helper()
	ik, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, hk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := jwk.FromRaw(ik)
	if err != nil {
		t.Fatal(err)
	}
	holder, err := jwk.FromRaw(hk)
	if err != nil {
		t.Fatal(err)
	}
	holderPub, err := holder.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{
		"iss": atkIss, "vct": "urn:espai:credential:census:1", "iat": atkNow.Add(-time.Hour).Unix(), "exp": atkNow.Add(90 * 24 * time.Hour).Unix(),
		"cnf":       map[string]any{"jwk": holderPub},
		"status":    map[string]any{"status_list": map[string]any{"idx": 39847, "uri": "https://espai.localhost/status/ajuntament-girona/1"}},
		"givenName": "Laia", "familyName": "Puig", "secondFamilyName": "Serra", "municipality": "Girona",
		"address": "Carrer de la Força 12, 2n 1a", "postalCode": "17004", "birthDate": "1990-04-12",
	}
	issued, err := sdjwt.Issue(sdjwt.Signer{Key: issuer, Alg: jwa.ES256, KeyID: atkKid}, claims,
		[]string{"givenName", "familyName", "secondFamilyName", "municipality", "address", "postalCode", "birthDate"})
	if err != nil {
		t.Fatal(err)
	}
	pres, err := sdjwt.Present(issued, []string{"givenName", "familyName", "municipality"}, sdjwt.Signer{Key: holder, Alg: jwa.EdDSA}, atkAud, atkNonce, atkNow)
	if err != nil {
		t.Fatal(err)
	}
	keys := sdjwt.IssuerKeysFunc(func(_ context.Context, iss, kid string) (sdjwt.IssuerKey, error) {
		if iss != atkIss || kid != atkKid {
			return sdjwt.IssuerKey{}, errors.New("unknown key")
		}
		return sdjwt.IssuerKey{Key: &ik.PublicKey}, nil
	})
	return pres, keys
}

// TestAttackTruncationAndBitFlips truncates a real payload at every length
// and flips every bit of it.
func TestAttackTruncationAndBitFlips(t *testing.T) {
	pres, keys := atkPresentation(t)
	payload, err := Pack([]byte(pres))
	if err != nil {
		t.Fatal(err)
	}
	req := sdjwt.PresentationRequest{Audience: atkAud, Nonce: atkNonce, MaxAge: 3 * time.Minute}
	if _, _, err := sdjwt.VerifyPresentation(context.Background(), pres, keys, req, atkNow); err != nil {
		t.Fatalf("the honest presentation: %v", err)
	}
	unpack := func(p string) (out []byte, err error) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Unpack panicked on %.60q: %v", p, r)
			}
		}()
		return Unpack(p)
	}
	t.Run("truncated at every length", func(t *testing.T) {
		for n := range len(payload) {
			if out, err := unpack(payload[:n]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("truncated to %d of %d: %d bytes, %v", n, len(payload), len(out), err)
			}
		}
	})
	t.Run("every single bit flipped", func(t *testing.T) {
		b := []byte(payload)
		decoded := 0
		for i := range b {
			for bit := range 8 {
				b[i] ^= 1 << bit
				out, err := unpack(string(b))
				b[i] ^= 1 << bit
				if err != nil {
					if !errors.Is(err, ErrMalformed) {
						t.Fatalf("byte %d bit %d: %v is not ErrMalformed", i, bit, err)
					}
					continue
				}
				if bytes.Equal(out, []byte(pres)) {
					continue // an equivalent encoding of the same presentation: the nonce makes it single-use
				}
				decoded++
				if _, _, err := sdjwt.VerifyPresentation(context.Background(), string(out), keys, req, atkNow); err == nil {
					t.Fatalf("byte %d bit %d flipped: decodes to another presentation that verifies", i, bit)
				}
			}
		}
		t.Logf("%d flips over %d characters; %d decoded to another presentation, all refused", 8*len(b), len(b), decoded)
	})
	// Flips inside the compressed frame, below Base45 and zlib's checksum
	// (which make every payload flip above fail): a flip of the inflated
	// frame that still unframes gives a presentation that fails
	// verification. One bit per byte, rotating, keeps it fast under -race.
	t.Run("a bit of every frame byte flipped", func(t *testing.T) {
		fr := frame([]byte(pres))
		decoded := 0
		for i := range fr {
			for _, bit := range []int{i % 8} {
				fr[i] ^= 1 << bit
				out, err := unframe(fr)
				fr[i] ^= 1 << bit
				if err != nil {
					if !errors.Is(err, ErrMalformed) {
						t.Fatalf("frame byte %d bit %d: %v", i, bit, err)
					}
					continue
				}
				if bytes.Equal(out, []byte(pres)) {
					continue
				}
				decoded++
				if _, _, err := sdjwt.VerifyPresentation(context.Background(), string(out), keys, req, atkNow); err == nil {
					t.Fatalf("frame byte %d bit %d flipped: another presentation that verifies", i, bit)
				}
			}
		}
		t.Logf("%d frame flips; %d decoded to another presentation, all refused", len(fr), decoded)
	})
}

// TestAttackBombs: payloads whose zlib stream or frame would expand far
// beyond MaxInflated.
func TestAttackBombs(t *testing.T) {
	bounded := func(t *testing.T, payload string, want string) {
		t.Helper()
		if len(payload) > MaxPayload {
			t.Fatalf("bomb payload of %d characters does not fit a QR code", len(payload))
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Unpack(payload)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want ErrMalformed with %q", err, want)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Fatalf("refusing the bomb allocated %d MiB", alloc>>20)
		}
	}
	t.Run("zlib bomb (2 MiB, 32 times the limit)", func(t *testing.T) {
		z := at.ZlibBomb(2 << 20)
		bounded(t, Prefix+EncodeBase45(z), "inflates beyond")
	})
	t.Run("frame that grows past the limit when re-encoded", func(t *testing.T) {
		// A JSON segment of 60 KiB fits MaxInflated; its base64url does not.
		seg := append([]byte{'{'}, bytes.Repeat([]byte{'a'}, 60<<10)...)
		fr := []byte{modeSegments, segJSON}
		fr = binary.AppendUvarint(fr, uint64(len(seg)))
		fr = append(append(fr, seg...), 0)
		var buf bytes.Buffer
		zw, _ := zlib.NewWriterLevelDict(&buf, zlib.BestCompression, dictionary)
		zw.Write(fr)
		zw.Close()
		bounded(t, Prefix+EncodeBase45(buf.Bytes()), "inflates beyond")
	})
	for _, c := range []struct {
		name  string
		frame []byte
	}{
		{"segment length beyond the frame", binary.AppendUvarint([]byte{modeSegments, segText}, 1<<62)},
		{"overlong uvarint", append([]byte{modeSegments, segText}, bytes.Repeat([]byte{0xff}, 11)...)},
		{"unknown segment kind", []byte{modeSegments, 7, 1, 'A', 0}},
		{"unknown separator", []byte{modeSegments, segText, 1, 'A', '!'}},
		{"data after the last segment", []byte{modeSegments, segText, 1, 'A', 0, 'x'}},
		{"text segment not base64url", []byte{modeSegments, segText, 1, '+', 0}},
		{"unknown mode", []byte{9, 'x'}},
		{"empty frame", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if out, err := unframe(c.frame); !errors.Is(err, ErrMalformed) {
				t.Fatalf("unframe = %q, %v", out, err)
			}
		})
	}
	for _, p := range []string{"espai1:" + EncodeBase45([]byte("x")), "ESPAI2:" + EncodeBase45([]byte("x")), Prefix + "GGW", Prefix + "::", Prefix} {
		if _, err := Unpack(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("Unpack(%q) = %v", p, err)
		}
	}
}
