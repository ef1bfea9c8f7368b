package qrpayload

import (
	"bytes"
	"compress/zlib"
	"errors"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestBase45RFC9285Examples(t *testing.T) {
	for in, want := range map[string]string{"AB": "BB8", "Hello!!": "%69 VD92EX0", "base-45": "UJCLQE7W581", "ietf!": "QED8WEX0"} {
		if got := EncodeBase45([]byte(in)); got != want {
			t.Errorf("encode %q = %q, want %q", in, got, want)
		}
		back, err := DecodeBase45(want)
		if err != nil || string(back) != in {
			t.Errorf("decode %q = %q, %v", want, back, err)
		}
	}
	for _, bad := range []string{"GGW", "a", "ZZZ", "BB8A", "bb8"} {
		if _, err := DecodeBase45(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("decode %q: %v, want ErrMalformed", bad, err)
		}
	}
}

func TestPackUnpackAndQRRoundTrip(t *testing.T) {
	pres := []byte(strings.Repeat("eyJhbGciOiJFUzI1NiJ9.", 30) + "~WyJzYWx0IiwibXVuaWNpcGFsaXR5IiwiR2lyb25hIl0~")
	p, err := Pack(pres)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unpack(p)
	if err != nil || !bytes.Equal(got, pres) {
		t.Fatalf("unpack: %v", err)
	}
	c, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.PNG(4)
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
		t.Fatal(err)
	}
	if res.GetText() != p {
		t.Fatal("the QR code does not read back as the payload")
	}
	if !strings.Contains(c.SVG(), "<path") {
		t.Fatal("no SVG path")
	}
}

func TestUnpackRefusesDamage(t *testing.T) {
	p, err := Pack([]byte("eyJ0eXAiOiJkYytzZC1qd3QifQ.payload.sig~disclosure~kb"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"truncated":  p[:len(p)-3],
		"no prefix":  p[len(Prefix):],
		"lowercase":  strings.ToLower(p),
		"too long":   Prefix + strings.Repeat("0", MaxPayload),
		"bit flip":   p[:len(Prefix)+5] + string(base45Alphabet[(strings.IndexByte(base45Alphabet, p[len(Prefix)+5])+1)%45]) + p[len(Prefix)+6:],
		"trailing 1": p + "A",
	}
	for name, bad := range cases {
		if out, err := Unpack(bad); err == nil {
			t.Errorf("%s: unpacked %q", name, out)
		}
	}
}

func TestUnpackStopsCompressionBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zw.Write(make([]byte, 2<<20)) // 2 MiB of zeros: about 2 KB compressed, 32 times the limit
	zw.Close()
	payload := Prefix + EncodeBase45(buf.Bytes())
	if len(payload) > MaxPayload {
		t.Fatalf("bomb payload of %d characters does not fit the limit", len(payload))
	}
	if _, err := Unpack(payload); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "inflates beyond") {
		t.Fatalf("bomb: %v", err)
	}
}

func TestEncodeRefusesLargeCodes(t *testing.T) {
	if _, err := Encode(strings.Repeat("A", 3000)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("3000 characters: %v", err)
	}
}

func FuzzUnpack(f *testing.F) {
	p, _ := Pack([]byte("eyJ0eXAiOiJkYytzZC1qd3QifQ.e30.c2ln~WyJzIiwiYSIsMV0~"))
	f.Add(p)
	f.Add(Prefix)
	f.Add("ESPAI1:%69 VD92EX0")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Unpack(s)
		if err != nil {
			return
		}
		if len(out) > MaxInflated {
			t.Fatalf("inflated %d bytes", len(out))
		}
		// Round trip: what unpacks packs and unpacks to the same bytes.
		again, err := Pack(out)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Unpack(again)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
