package attacktest

import (
	"encoding/binary"
	"hash/crc32"
)

// bitWriter writes DEFLATE's LSB-first bit stream (RFC 1951 §3.1.1).
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

// bits writes the n low bits of v, least significant first (header fields
// and extra bits).
func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) {
	var r uint64
	for i := uint(0); i < n; i++ {
		r = r<<1 | (c>>i)&1
	}
	w.bits(r, n)
}

// zeros appends n zero bits quickly.
func (w *bitWriter) zeros(n int64) {
	for n > 0 && w.nacc != 0 {
		w.bits(0, 1)
		n--
	}
	w.out = append(w.out, make([]byte, n/8)...)
	w.bits(0, uint(n%8))
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
	return w.out
}

// DeflateBomb returns a raw DEFLATE stream (RFC 1951) that inflates to
// BombSize(n) >= n zero bytes: one dynamic-Huffman block whose literal/length
// code gives the length-258 symbol a 1-bit code and whose distance code has a
// single 1-bit code, so each 258 zero bytes cost 2 bits of input (1032:1).
func DeflateBomb(n int64) []byte {
	w := &bitWriter{}
	w.bits(1, 1)  // BFINAL
	w.bits(2, 2)  // BTYPE 10: dynamic Huffman codes
	w.bits(29, 5) // HLIT: 286 literal/length codes
	w.bits(0, 5)  // HDIST: 1 distance code
	w.bits(14, 4) // HCLEN: 18 code length codes
	// Code length code lengths, in the order of RFC 1951 §3.2.7; only
	// symbols 18 (length 1), 1 and 2 (length 2) are used: 18 -> 0, 1 -> 10,
	// 2 -> 11.
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1}
	clen := map[int]uint64{18: 1, 1: 2, 2: 2}
	for _, s := range order {
		w.bits(clen[s], 3)
	}
	sym1 := func() { w.code(2, 2) }                           // a code length of 1
	sym2 := func() { w.code(3, 2) }                           // a code length of 2
	zeros := func(k uint64) { w.code(0, 1); w.bits(k-11, 7) } // 18: k (11..138) zero lengths
	// Literal/length code lengths: 0 -> 2, 1..255 -> 0, 256 -> 2,
	// 257..284 -> 0, 285 -> 1; then the one distance code: 0 -> 1.
	sym2()
	zeros(138)
	zeros(117)
	sym2()
	zeros(28)
	sym1()
	sym1()
	// Resulting codes: 285 -> 0, literal 0 -> 10, end of block 256 -> 11;
	// distance 0 (distance 1) -> 0.
	w.code(2, 2) // literal 0
	k := (max(n, 1) - 1 + 257) / 258
	w.zeros(2 * k) // k times <length 258, distance 1>
	w.code(3, 2)   // end of block
	return w.flush()
}

// BombSize is the inflated size of DeflateBomb(n).
func BombSize(n int64) int64 { return 1 + (max(n, 1)-1+257)/258*258 }

// ZlibBomb is DeflateBomb(n) in a zlib stream (RFC 1950) with its correct
// Adler-32: a well-formed stream, refused only for its size.
func ZlibBomb(n int64) []byte {
	out := []byte{0x78, 0xda} // deflate, 32 KiB window, best compression, no dictionary
	out = append(out, DeflateBomb(n)...)
	// Adler-32 of s zero bytes: a stays 1, b adds a once per byte.
	s := BombSize(n)
	return binary.BigEndian.AppendUint32(out, uint32(s%65521)<<16|1)
}

// GzipBomb is DeflateBomb(n) in one gzip member (RFC 1952) with its correct
// CRC-32 and size.
func GzipBomb(n int64) []byte {
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff}
	out = append(out, DeflateBomb(n)...)
	s := BombSize(n)
	crc := uint32(0)
	chunk := make([]byte, 1<<20)
	for left := s; left > 0; left -= int64(len(chunk)) {
		crc = crc32.Update(crc, crc32.IEEETable, chunk[:min(left, int64(len(chunk)))])
	}
	out = binary.LittleEndian.AppendUint32(out, crc)
	return binary.LittleEndian.AppendUint32(out, uint32(s))
}

// Ratio is how many bytes b inflates to per byte of b, for test logs.
func Ratio(inflated int64, b []byte) float64 { return float64(inflated) / float64(len(b)) }
