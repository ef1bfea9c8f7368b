package qrpayload

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// compactSeed is a presentation shaped like Espai's: base64url JSON header,
// payload and disclosures, a signature kept as text, a key-binding JWT.
func compactSeed() []byte {
	j := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	sig := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xa7, 0x13}, 32))
	return []byte(j(`{"alg":"ES256","kid":"did:web:espai.localhost:issuers:ajuntament-girona#es256-1","typ":"dc+sd-jwt"}`) + "." +
		j(`{"_sd":["5o0nQ8Ff1u3l6mBf7gk0Kc1s9ZrH2q0JcR1tK2x3y4A"],"_sd_alg":"sha-256","iss":"did:web:espai.localhost:issuers:ajuntament-girona","vct":"urn:espai:credential:census:1","iat":1790000000,"exp":1821536000}`) +
		"." + sig + "~" + j(`["c2FsdHNhbHRzYWx0","municipality","Girona"]`) + "~" +
		j(`{"alg":"EdDSA","typ":"kb+jwt"}`) + "." + j(`{"aud":"urn:espai:qr:espai.localhost","iat":1790000100,"nonce":"bm9uY2Vub25jZQ","sd_hash":"x"}`) + "." + sig)
}

// zlibOf compresses b the way Pack does, without the framing.
func zlibOf(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevelDict(&buf, zlib.BestCompression, dictionary)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// FuzzPack: every presentation packs, unpacks to the same bytes, and its
// payload renders as a QR code that scans back to the payload (Pack → Encode
// → scan → Unpack).
func FuzzPack(f *testing.F) {
	f.Add(compactSeed())
	f.Add([]byte(`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiablePresentation"]}`))
	f.Add([]byte("eyJ.e30.~"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, pres []byte) {
		if len(pres) > MaxInflated {
			return
		}
		payload, err := Pack(pres)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unpack(payload)
		if err != nil || !bytes.Equal(got, pres) {
			t.Fatalf("unpack(pack(p)) = %q, %v; want %q", got, err, pres)
		}
		if len(payload) > 200 {
			return // scanning large codes is slow; the unit tests scan one
		}
		c, err := Encode(payload)
		if err != nil {
			t.Fatalf("encode a %d-character payload: %v", len(payload), err)
		}
		img, err := c.PNG(2)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(img))
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(m)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		back, err := Unpack(res.GetText())
		if err != nil || !bytes.Equal(back, pres) {
			t.Fatalf("scanned payload unpacks to %q, %v", back, err)
		}
	})
}

// FuzzUnpackStrict feeds raw compressed bytes (the part under Base45). An
// accepted stream is exactly one zlib stream: without its last byte it is
// refused, so nothing after the checksum was ignored, and re-encoding it
// gives the same payload.
func FuzzUnpackStrict(f *testing.F) {
	z := zlibOf(f, frame(compactSeed()))
	f.Add(z)
	f.Add(append(append([]byte(nil), z...), 0)) // trailing data (the bug this target found)
	f.Add(zlibOf(f, []byte{modeText}))
	f.Add(zlibOf(f, []byte{modeSegments, segText, 1, 'A', 0}))
	f.Fuzz(func(t *testing.T, z []byte) {
		payload := Prefix + EncodeBase45(z)
		if len(payload) > MaxPayload {
			return
		}
		out, err := Unpack(payload)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if len(z) == 0 {
			t.Fatal("empty stream accepted")
		}
		if shorter, err := Unpack(Prefix + EncodeBase45(z[:len(z)-1])); err == nil {
			t.Fatalf("accepted both %x and, without its last byte, %x (as %q)", z, z[:len(z)-1], shorter)
		}
		again, err := Unpack(Prefix + EncodeBase45(zlibOf(t, frame(out))))
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("re-encoding changes the presentation: %v", err)
		}
	})
}

// FuzzBase45: decoding is strict, so whatever decodes is the one encoding of
// its bytes; and every byte string encodes and decodes back.
func FuzzBase45(f *testing.F) {
	for _, s := range []string{"BB8", "%69 VD92EX0", "UJCLQE7W581", "QED8WEX0", "GGW", "", "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if b, err := DecodeBase45(s); err == nil {
			if enc := EncodeBase45(b); enc != s {
				t.Fatalf("%q decodes to %x, which encodes as %q", s, b, enc)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		b := []byte(s)
		enc := EncodeBase45(b)
		if strings.Trim(enc, base45Alphabet) != "" {
			t.Fatalf("encoding %q left the alphabet", enc)
		}
		back, err := DecodeBase45(enc)
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("decode(encode(%x)) = %x, %v", b, back, err)
		}
	})
}
