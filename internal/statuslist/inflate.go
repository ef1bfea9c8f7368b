package statuslist

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"io"
)

// DefaultMaxBytes is the decompressed size limit when a caller passes 0:
// 4 MiB, i.e. 16 million 2-bit entries or 32 million 1-bit entries, far above
// any Espai list (a W3C list is 16 KiB) yet small enough that a hostile list
// cannot exhaust memory. DEFLATE expands up to ~1032:1, so a 1 MiB download
// could otherwise inflate to a gigabyte.
const DefaultMaxBytes = 4 << 20

// b64 is unpadded base64url with no stray bits: one encoding per byte string.
var b64 = base64.RawURLEncoding.Strict()

func limit(maxBytes int) int {
	if maxBytes <= 0 {
		return DefaultMaxBytes
	}
	return maxBytes
}

// readBounded reads r to its end, failing with ErrTooLarge as soon as more
// than max bytes come out: the decompressor never produces more than max+1.
func readBounded(r io.Reader, max int) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if len(out) > max {
		return nil, fmt.Errorf("%w: inflates beyond %d bytes", ErrTooLarge, max)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty list", ErrMalformed)
	}
	return out, nil
}

// inflateZlib decompresses a zlib (RFC 1950) stream of at most max bytes and
// refuses data after the stream's checksum.
func inflateZlib(compressed []byte, max int) ([]byte, error) {
	br := bytes.NewReader(compressed)
	zr, err := zlib.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrMalformed, err)
	}
	defer zr.Close()
	out, err := readBounded(zr, max)
	if err != nil {
		return nil, err
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the zlib stream", ErrMalformed, br.Len())
	}
	return out, nil
}

// inflateGzip decompresses one gzip (RFC 1952) member of at most max bytes and
// refuses further members or trailing data.
func inflateGzip(compressed []byte, max int) ([]byte, error) {
	br := bytes.NewReader(compressed)
	gr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrMalformed, err)
	}
	defer gr.Close()
	gr.Multistream(false)
	out, err := readBounded(gr, max)
	if err != nil {
		return nil, err
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the gzip member", ErrMalformed, br.Len())
	}
	return out, nil
}

func deflateZlib(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func deflateGzip(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
