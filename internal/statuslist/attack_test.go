package statuslist

// The status-list part of the attack suite (issue 8;
// docs/security-attacks.md): forged, swapped, tampered and oversized status
// lists are refused with the error a verifier maps to a failed "status"
// check (closed): ErrInvalidToken, ErrMalformed, ErrTooLarge or ErrRange.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"

	at "github.com/espai/espai/internal/attacktest"
)

// atkBomb is the size the bombs inflate to: a gigabyte, 256 times
// DefaultMaxBytes, from about a megabyte of input.
const atkBomb = 1 << 30

// atkBounded runs decode and checks that it failed with want without doing
// the work: less than 64 MiB allocated (the bomb is 1 GiB) and well under a
// second even under the race detector.
func atkBounded(t *testing.T, want error, decode func() error) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	err := decode()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Fatalf("refusing the bomb allocated %d MiB", alloc>>20)
	}
	if took > 5*time.Second {
		t.Fatalf("refusing the bomb took %s", took)
	}
}

// flipSig changes the first character of a JWS signature.
func flipSig(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// TestAttackStatusListToken: Status List Tokens forged, swapped, tampered or
// oversized.
func TestAttackStatusListToken(t *testing.T) {
	trap := at.NewTrap(t)
	kf := newKeys(t, ecRaw(t))
	var issuerKey *ecdsa.PrivateKey
	if err := kf.signer.Key.Raw(&issuerKey); err != nil {
		t.Fatal(err)
	}
	tok, err := SignToken(kf.signer, testToken(t)) // entry 42 revoked, 43 suspended
	if err != nil {
		t.Fatal(err)
	}
	hdr, payload, pseg, sig := at.SplitJWS(t, tok)
	pubJWK, err := json.Marshal(kf.pub)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&issuerKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	attacker := at.ECKey(t, elliptic.P256())
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: testIss}, NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &attacker.PublicKey, attacker)
	if err != nil {
		t.Fatal(err)
	}
	// The same list with every entry valid: what a forger wants served.
	clean, err := NewList(1<<16, DefaultBits)
	if err != nil {
		t.Fatal(err)
	}
	cleanClaim, err := clean.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// resign is the issuer's own key signing a hostile payload.
	resign := func(p map[string]any) string { return at.JWS(t, hdr, at.Seg(t, p), issuerKey) }
	lst := func(z []byte) map[string]any { return map[string]any{"bits": 2, "lst": b64.EncodeToString(z)} }
	good, err := base64.RawURLEncoding.DecodeString(payload["status_list"].(map[string]any)["lst"].(string))
	if err != nil {
		t.Fatal(err)
	}

	type tc struct {
		name, tok string
		want      error
		detail    string
	}
	var cases []tc
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		cases = append(cases, tc{"alg " + none, at.Unsigned(t, at.With(hdr, "alg", none), pseg, sig), ErrInvalidToken, "unsigned JWTs are refused"})
	}
	cases = append(cases,
		tc{"HS256 keyed with the issuer's public JWK", at.JWS(t, at.With(hdr, "alg", "HS256"), at.Seg(t, at.With(payload, "status_list", cleanClaim)), pubJWK), ErrInvalidToken, "MAC algorithms are refused"},
		tc{"HS256 keyed with the issuer's public key (PEM)", at.JWS(t, at.With(hdr, "alg", "HS256"), pseg, pemKey), ErrInvalidToken, "MAC algorithms are refused"},
		tc{"EdDSA header on the issuer's P-256 key", at.JWS(t, at.With(hdr, "alg", "EdDSA"), pseg, at.EdKey(t)), ErrInvalidToken, "does not match"},
		tc{"RS256 header on the issuer's P-256 key", at.JWS(t, at.With(hdr, "alg", "RS256"), pseg, at.RSAKey(t)), ErrInvalidToken, "does not match"},
		tc{"PS256 header on the issuer's P-256 key", at.JWS(t, at.With(hdr, "alg", "PS256"), pseg, at.RSAKey(t)), ErrInvalidToken, "does not match"},
		tc{"signed by an attacker's key under the issuer's kid", at.JWS(t, hdr, at.Seg(t, at.With(payload, "status_list", cleanClaim)), attacker), ErrInvalidToken, "signature does not verify"},
		tc{"kid of another issuer", at.JWS(t, at.With(hdr, "kid", "did:web:other.example#key-1"), pseg, attacker), ErrInvalidToken, "unknown key"},
		tc{"kid as a URL", at.JWS(t, at.With(hdr, "kid", trap.URL+"/key"), pseg, attacker), ErrInvalidToken, "kid is a URL"},
		tc{"embedded jwk header", at.JWS(t, at.With(hdr, "jwk", map[string]any{"kty": "EC"}), pseg, attacker), ErrInvalidToken, `"jwk" refused`},
		tc{"jku header", at.JWS(t, at.With(hdr, "jku", trap.URL+"/jwks"), pseg, attacker), ErrInvalidToken, `"jku" refused`},
		tc{"x5u header", at.JWS(t, at.With(hdr, "x5u", trap.URL+"/cert"), pseg, attacker), ErrInvalidToken, `"x5u" refused`},
		tc{"x5c chain", at.JWS(t, at.With(hdr, "x5c", []string{base64.StdEncoding.EncodeToString(cert)}), pseg, attacker), ErrInvalidToken, `"x5c" refused`},
		tc{"crit header", at.Unsigned(t, at.With(hdr, "crit", []string{"ttl"}), pseg, sig), ErrInvalidToken, `"crit" refused`},
		tc{"typ dc+sd-jwt (a credential is not a list)", at.JWS(t, at.With(hdr, "typ", "dc+sd-jwt"), pseg, issuerKey), ErrInvalidToken, "typ"},

		// The issuer's own signature, another list.
		tc{"another list of the same issuer (sub)", resign(at.With(payload, "sub", "https://padro.example.cat/status/2")), ErrInvalidToken, "is not the list's URI"},
		tc{"no sub", resign(at.With(payload, "sub", nil)), ErrInvalidToken, "is not the list's URI"},
		tc{"sub with a trailing slash", resign(at.With(payload, "sub", testURI+"/")), ErrInvalidToken, "is not the list's URI"},
		tc{"iss of another issuer", resign(at.With(payload, "iss", "did:web:other.example")), ErrInvalidToken, "unknown key"},

		// Tampering under the issuer's signature.
		tc{"tampered bitstring (every entry valid)", at.Unsigned(t, hdr, at.Seg(t, at.With(payload, "status_list", cleanClaim)), sig), ErrInvalidToken, "signature does not verify"},
		tc{"bits changed from 2 to 1", at.Unsigned(t, hdr, at.Seg(t, at.With(payload, "status_list", map[string]any{"bits": 1, "lst": payload["status_list"].(map[string]any)["lst"]})), sig), ErrInvalidToken, "signature does not verify"},
		tc{"signature changed", flipSig(tok), ErrInvalidToken, ""},

		// Malformed lists the issuer signed (a buggy issuer): still closed.
		tc{"bits 3", resign(at.With(payload, "status_list", map[string]any{"bits": 3, "lst": cleanClaim.Lst})), ErrMalformed, "bits 3"},
		tc{"lst padded base64", resign(at.With(payload, "status_list", map[string]any{"bits": 2, "lst": cleanClaim.Lst + "="})), ErrMalformed, "not base64url"},
		tc{"lst standard base64", resign(at.With(payload, "status_list", map[string]any{"bits": 2, "lst": base64.StdEncoding.EncodeToString(good)})), ErrMalformed, ""},
		tc{"lst with data after the zlib stream", resign(at.With(payload, "status_list", lst(append(append([]byte(nil), good...), 0)))), ErrMalformed, "after the zlib stream"},
		tc{"lst with a bad checksum", resign(at.With(payload, "status_list", lst(append(append([]byte(nil), good[:len(good)-1]...), good[len(good)-1]^1)))), ErrMalformed, "checksum"},
		tc{"lst truncated", resign(at.With(payload, "status_list", lst(good[:len(good)/2]))), ErrMalformed, ""},
		tc{"lst raw DEFLATE, not zlib", resign(at.With(payload, "status_list", lst(at.DeflateBomb(1<<10)))), ErrMalformed, "zlib"},
		tc{"lst inflating to nothing", resign(at.With(payload, "status_list", lst(at.ZlibBomb(0)[:0]))), ErrMalformed, ""},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := VerifyToken(context.Background(), c.tok, testURI, kf.keys, testNow, 0)
			if got != nil || !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.detail) {
				t.Fatalf("VerifyToken = %v, %v; want %v with %q", got, err, c.want, c.detail)
			}
		})
	}

	// Compression bombs the issuer signed: refused at the limit, without the work.
	bomb := at.ZlibBomb(atkBomb)
	t.Logf("zlib bomb: %d bytes inflating to %d (%.0f:1)", len(bomb), at.BombSize(atkBomb), at.Ratio(at.BombSize(atkBomb), bomb))
	signedBomb := resign(at.With(payload, "status_list", lst(bomb)))
	t.Run("compression bomb (1 GiB) signed by the issuer", func(t *testing.T) {
		atkBounded(t, ErrTooLarge, func() error {
			_, err := VerifyToken(context.Background(), signedBomb, testURI, kf.keys, testNow, 0)
			return err
		})
	})
	t.Run("list just over the verifier's limit", func(t *testing.T) {
		over := resign(at.With(payload, "status_list", lst(at.ZlibBomb(1<<20+1))))
		if _, err := VerifyToken(context.Background(), over, testURI, kf.keys, testNow, 1<<20); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	trap.Check(t)
}

// TestAttackBitstring: W3C Bitstring Status Lists and entries, hostile.
func TestAttackBitstring(t *testing.T) {
	bs, err := NewBitstring(MinBitstringBits, 2)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := bs.Encode()
	if err != nil {
		t.Fatal(err)
	}
	gz, err := base64.RawURLEncoding.DecodeString(enc[1:])
	if err != nil {
		t.Fatal(err)
	}
	u := func(b []byte) string { return "u" + b64.EncodeToString(b) }
	for _, c := range []struct {
		name, encoded string
		want          error
	}{
		{"no multibase prefix", enc[1:], ErrMalformed},
		{"base58btc multibase", "z" + enc[1:], ErrMalformed},
		{"padded base64", enc + "=", ErrMalformed},
		{"two gzip members", u(append(append([]byte(nil), gz...), gz...)), ErrMalformed},
		{"data after the gzip member", u(append(append([]byte(nil), gz...), 0)), ErrMalformed},
		{"bad CRC", u(append(append([]byte(nil), gz[:len(gz)-5]...), gz[len(gz)-5]^1, 0, 0, 0, 0)), ErrMalformed},
		{"zlib instead of gzip", u(at.ZlibBomb(1 << 10)), ErrMalformed},
		{"shorter than the W3C minimum (herd privacy)", u(at.GzipBomb(MinBitstringBits/8 - 1000)), ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := DecodeBitstring(c.encoded, 2, 0); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	bomb := at.GzipBomb(atkBomb)
	t.Run("gzip bomb (1 GiB)", func(t *testing.T) {
		atkBounded(t, ErrTooLarge, func() error {
			_, err := DecodeBitstring(u(bomb), 2, 0)
			return err
		})
	})
	t.Run("gzip bomb (1 GiB) in a subject", func(t *testing.T) {
		atkBounded(t, ErrTooLarge, func() error {
			_, err := Subject{Type: TypeBitstringStatusList, StatusPurpose: Message, EncodedList: u(bomb)}.Decode(Message, 2, 0)
			return err
		})
	})
	t.Run("a list for another purpose", func(t *testing.T) {
		if _, err := (Subject{Type: TypeBitstringStatusList, StatusPurpose: Revocation, EncodedList: enc}).Decode(Message, 2, 0); !errors.Is(err, ErrMalformed) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("index beyond the list", func(t *testing.T) {
		if _, err := bs.Get(bs.Len()); !errors.Is(err, ErrRange) {
			t.Fatalf("err = %v", err)
		}
		if _, err := bs.Get(-1); !errors.Is(err, ErrRange) {
			t.Fatalf("err = %v", err)
		}
	})
	for _, idx := range []string{"", "-1", "+1", "007", "1e3", " 1", "1 ", "0x10", "99999999999", "١"} {
		t.Run("statusListIndex "+strings.TrimSpace(idx+"|"), func(t *testing.T) {
			e := NewEntry(Message, "https://padro.example.cat/status/1/ld", 0)
			e.StatusListIndex = idx
			if _, err := e.Index(); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Index(%q) = %v", idx, err)
			}
		})
	}
	if !bytes.HasPrefix(gz, []byte{0x1f, 0x8b}) {
		t.Fatal("Encode does not make gzip")
	}
}
