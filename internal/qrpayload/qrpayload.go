// Package qrpayload puts a presentation in a QR code a phone camera can read,
// and takes it out again.
//
// A payload is "ESPAI1:" followed by Base45 (RFC 9285) of the zlib-compressed
// presentation, the same construction as the EU Digital COVID Certificate
// ("HC1:"). Before compression a compact presentation (base64url segments
// separated by "." and "~") is framed in binary: JSON segments decoded, so
// the JSON compresses instead of its base64, and signatures kept as text, so
// deflate's alphabet stays small; a zlib preset dictionary holds Espai's
// boilerplate. A census presentation of three claims, about 1,950 characters,
// becomes about 1,300 in the code. The frame starts with a mode byte (0: the
// text as is, 1: framed segments). Base45 uses only the QR alphanumeric alphabet, so the code is
// encoded in alphanumeric mode (5.5 bits per character) and survives apps that
// treat QR content as text. Encode renders at error correction level M (L when M would exceed
// Version 25: codes are shown on screens) and refuses anything above Version 25 (ErrTooLarge): larger codes are not read
// reliably by phone cameras, and the caller then puts a short one-time URL in
// the QR instead.
//
// # Security properties
//
//   - Decode bounds everything: the payload length (MaxPayload), and the
//     inflated size (MaxInflated), checked while inflating, so a compression
//     bomb stops at the limit instead of exhausting memory.
//   - Decode is strict: the prefix, the Base45 alphabet and value ranges, and
//     a single well-formed zlib stream (its Adler-32 checksum included) with no
//     trailing data. A truncated or bit-flipped payload is an error, never a
//     shorter presentation.
//
// # Caveats
//
//   - The payload is not encrypted: anyone who photographs the QR reads the
//     disclosed claims. The presentation's key binding (audience, nonce, a
//     lifetime of minutes) and the verifier's replay cache limit what a copy
//     can be used for.
package qrpayload

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Prefix starts every Espai presentation payload (format version 1).
const Prefix = "ESPAI1:"

// Limits.
const (
	// MaxVersion is the largest QR version Encode produces.
	MaxVersion = 25
	// MaxPayload bounds a payload Decode accepts (a version-40 QR holds at
	// most 4,296 alphanumeric characters).
	MaxPayload = 4296
	// MaxInflated bounds the decompressed presentation.
	MaxInflated = 64 << 10
)

// Errors.
var (
	ErrTooLarge  = errors.New("qrpayload: too large for a phone-readable QR code")
	ErrMalformed = errors.New("qrpayload: malformed payload")
)

// Pack compresses and encodes a presentation as a payload string.
func Pack(presentation []byte) (string, error) {
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevelDict(&buf, zlib.BestCompression, dictionary)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(frame(presentation)); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return Prefix + EncodeBase45(buf.Bytes()), nil
}

// Unpack decodes a payload made by Pack, with the bounds described above.
func Unpack(payload string) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %d characters (at most %d)", ErrMalformed, len(payload), MaxPayload)
	}
	body, ok := strings.CutPrefix(payload, Prefix)
	if !ok {
		return nil, fmt.Errorf("%w: missing %q prefix", ErrMalformed, Prefix)
	}
	z, err := DecodeBase45(body)
	if err != nil {
		return nil, err
	}
	zbuf := bytes.NewReader(z)
	zr, err := zlib.NewReaderDict(zbuf, dictionary)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxInflated+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(out) > MaxInflated {
		return nil, fmt.Errorf("%w: inflates beyond %d bytes", ErrMalformed, MaxInflated)
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// zlib stops at the end of its stream (after the Adler-32 checksum) and
	// ignores what follows; found by FuzzUnpackStrict. A *bytes.Reader is an
	// io.ByteReader, so the inflater reads it without buffering ahead and
	// what is left in it is exactly the trailing data.
	if zbuf.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the zlib stream", ErrMalformed, zbuf.Len())
	}
	return unframe(out)
}

// dictionary is the zlib preset dictionary of payload format 1 (part of the
// format: changing it needs a new prefix). It holds the boilerplate every
// Espai presentation repeats (JOSE headers, claim names, Espai's identifiers),
// most frequent last, so deflate spends its bits on the salts, digests and
// signatures that cannot be compressed.
var dictionary = []byte(`"degreeTitle","university","awardDate","ects","grade",` +
	`"totalDaysContributed","employment","employer","employerTaxId","regime","startDate","endDate","daysContributed",` +
	`"upToDate","obligationsChecked","checkDate","validUntil","debtDescription",` +
	`"household","relationship","birthYear","birthDate","registrationDate","province","postalCode","address",` +
	`"nationalId","secondFamilyName","familyName","givenName","municipality",` +
	`urn:espai:credential:worklife:1urn:espai:credential:degree:1urn:espai:credential:tax:1urn:espai:credential:census:1` +
	`{"aud":"urn:espai:qr:espai.localhost","iat":17` + `,"nonce":"` + `","sd_hash":"` +
	`{"alg":"EdDSA","typ":"kb+jwt"}` +
	`"exp":17` + `,"iat":17` + `,"iss":"did:web:espai.localhost:issuers:` +
	`"status":{"status_list":{"idx":` + `,"uri":"https://espai.localhost/status/` + `"},"vct":"urn:espai:credential:` +
	`"_sd_alg":"sha-256","cnf":{"jwk":{"crv":"Ed25519","kty":"OKP","x":"` +
	`{"_sd":["` + `","` +
	`{"alg":"ES256","kid":"did:web:espai.localhost:issuers:` + `#es256-1","typ":"dc+sd-jwt"}`)

// Frame modes and segment kinds.
const (
	modeText     = 0 // the presentation as it is
	modeSegments = 1 // segments, JSON ones decoded
	segText      = 0 // kept as base64url text (signatures: their bytes would widen deflate's alphabet)
	segJSON      = 1 // base64url-decoded JSON (headers, payloads, disclosures): compresses well
)

// frame encodes a compact presentation segment by segment when every
// segment is canonical base64url (re-encoding gives the same text): JSON
// segments decoded, the others as text. Anything else (a JSON-LD
// presentation) is framed as text.
func frame(p []byte) []byte {
	out := []byte{modeSegments}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '.' && p[i] != '~' {
			continue
		}
		seg := p[start:i]
		raw, err := base64.RawURLEncoding.Strict().DecodeString(string(seg))
		if err != nil || base64.RawURLEncoding.EncodeToString(raw) != string(seg) {
			return append([]byte{modeText}, p...)
		}
		if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
			out = append(out, segJSON)
			out = binary.AppendUvarint(out, uint64(len(raw)))
			out = append(out, raw...)
		} else {
			out = append(out, segText)
			out = binary.AppendUvarint(out, uint64(len(seg)))
			out = append(out, seg...)
		}
		if i < len(p) {
			out = append(out, p[i])
		} else {
			out = append(out, 0)
		}
		start = i + 1
	}
	return out
}

// unframe reverses frame, strictly.
func unframe(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrMalformed)
	}
	switch b[0] {
	case modeText:
		return b[1:], nil
	case modeSegments:
	default:
		return nil, fmt.Errorf("%w: frame mode %d", ErrMalformed, b[0])
	}
	var out []byte
	rest := b[1:]
	for {
		if len(rest) == 0 {
			return nil, fmt.Errorf("%w: truncated frame", ErrMalformed)
		}
		kind := rest[0]
		n, k := binary.Uvarint(rest[1:])
		if k <= 0 || n > uint64(len(rest)-1-k) || uint64(len(rest)-1-k)-n < 1 {
			return nil, fmt.Errorf("%w: bad segment length", ErrMalformed)
		}
		rest = rest[1+k:]
		seg := rest[:n]
		switch kind {
		case segJSON:
			out = base64.RawURLEncoding.AppendEncode(out, seg)
		case segText:
			if _, err := base64.RawURLEncoding.Strict().DecodeString(string(seg)); err != nil {
				return nil, fmt.Errorf("%w: segment is not base64url", ErrMalformed)
			}
			out = append(out, seg...)
		default:
			return nil, fmt.Errorf("%w: segment kind %d", ErrMalformed, kind)
		}
		sep := rest[n]
		rest = rest[n+1:]
		switch sep {
		case '.', '~':
			out = append(out, sep)
		case 0:
			if len(rest) != 0 {
				return nil, fmt.Errorf("%w: data after the last segment", ErrMalformed)
			}
			if len(out) > MaxInflated {
				return nil, fmt.Errorf("%w: inflates beyond %d bytes", ErrMalformed, MaxInflated)
			}
			return out, nil
		default:
			return nil, fmt.Errorf("%w: bad segment separator", ErrMalformed)
		}
		if len(out) > MaxInflated {
			return nil, fmt.Errorf("%w: inflates beyond %d bytes", ErrMalformed, MaxInflated)
		}
	}
}

// Code is a rendered QR code.
type Code struct {
	Content string
	Version int
	Low     bool // error correction level L (M otherwise)
	qr      *qrcode.QRCode
}

// Encode renders content (a payload or a URL) at error correction level M,
// or at level L when M would need a version above MaxVersion (the code is
// shown on a screen, which is not torn or stained, so 7% recovery is enough
// there), refusing versions above MaxVersion.
func Encode(content string) (*Code, error) {
	var q *qrcode.QRCode
	for _, level := range []qrcode.RecoveryLevel{qrcode.Medium, qrcode.Low} {
		var err error
		if q, err = qrcode.New(content, level); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
		}
		if q.VersionNumber <= MaxVersion {
			return &Code{Content: content, Version: q.VersionNumber, Low: level == qrcode.Low, qr: q}, nil
		}
	}
	return nil, fmt.Errorf("%w: version %d at level L (at most %d)", ErrTooLarge, q.VersionNumber, MaxVersion)
}

// PNG renders the code with a whole number of pixels per module (scale) and
// the standard 4-module quiet zone.
func (c *Code) PNG(scale int) ([]byte, error) {
	if scale < 1 {
		scale = 1
	}
	return c.qr.PNG(-scale)
}

// SVG renders the code as an SVG document (one path, crisp at any size).
func (c *Code) SVG() string {
	bm := c.qr.Bitmap() // includes the quiet zone
	n := len(bm)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
