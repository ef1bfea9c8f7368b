package attacktest

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"testing"
)

// The bombs are well-formed: they inflate, checksums included, to exactly
// BombSize zero bytes.
func TestBombsInflateToZeros(t *testing.T) {
	for _, n := range []int64{1, 2, 258, 259, 1 << 16, 3<<20 + 5} {
		want := BombSize(n)
		if want < n {
			t.Fatalf("BombSize(%d) = %d", n, want)
		}
		for name, r := range map[string]func() (io.Reader, error){
			"deflate": func() (io.Reader, error) { return flate.NewReader(bytes.NewReader(DeflateBomb(n))), nil },
			"zlib":    func() (io.Reader, error) { return zlib.NewReader(bytes.NewReader(ZlibBomb(n))) },
			"gzip":    func() (io.Reader, error) { return gzip.NewReader(bytes.NewReader(GzipBomb(n))) },
		} {
			rd, err := r()
			if err != nil {
				t.Fatalf("%s(%d): %v", name, n, err)
			}
			out, err := io.ReadAll(rd)
			if err != nil {
				t.Fatalf("%s(%d): %v", name, n, err)
			}
			if int64(len(out)) != want || bytes.ContainsFunc(out, func(r rune) bool { return r != 0 }) {
				t.Fatalf("%s(%d) inflated to %d bytes, want %d zeros", name, n, len(out), want)
			}
		}
	}
	if r := Ratio(1<<30, DeflateBomb(1<<30)); r < 1000 {
		t.Fatalf("ratio %.0f:1", r)
	}
}
