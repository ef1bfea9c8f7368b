package statuslist

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"
)

type ietfVector struct {
	Name  string         `json:"name"`
	Bits  int            `json:"bits"`
	Lst   string         `json:"lst"`
	Bytes string         `json:"bytes"`
	Size  int            `json:"size"`
	Set   map[string]int `json:"set"`
}

func loadIETFVectors(t testing.TB) []ietfVector {
	t.Helper()
	b, err := os.ReadFile("testdata/ietf_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []ietfVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// The draft's examples: the packed bytes built entry by entry must equal the
// published byte array, and the published lst must decode to it exactly.
func TestIETFVectors(t *testing.T) {
	for _, v := range loadIETFVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			want, err := hex.DecodeString(v.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			l, err := NewList(v.Size, v.Bits)
			if err != nil {
				t.Fatal(err)
			}
			for k, s := range v.Set {
				i, _ := strconv.Atoi(k)
				if err := l.Set(i, Status(s)); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(l.Bytes(), want) {
				t.Fatalf("packed %x, want %x", l.Bytes(), want)
			}
			dec, err := Claim{Bits: v.Bits, Lst: v.Lst}.Decode(0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dec.Bytes(), want) || dec.Len() != v.Size {
				t.Fatalf("decoded %x (%d entries), want %x", dec.Bytes(), dec.Len(), want)
			}
			for i := 0; i < v.Size; i++ {
				got, _ := dec.Get(i)
				if int(got) != v.Set[strconv.Itoa(i)] {
					t.Fatalf("entry %d = %d, want %d", i, got, v.Set[strconv.Itoa(i)])
				}
			}
			c, err := l.Encode()
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.Decode(0)
			if err != nil || !bytes.Equal(again.Bytes(), want) || c.Bits != v.Bits {
				t.Fatalf("round trip: %v %x", err, again.Bytes())
			}
			// Same zlib header (78 DA: best compression) as the draft's examples.
			if c.Lst[:3] != v.Lst[:3] {
				t.Errorf("zlib header %s, spec %s", c.Lst[:3], v.Lst[:3])
			}
		})
	}
}

func TestListGetSet(t *testing.T) {
	l, err := NewList(100, 2)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 100 || l.Bits() != 2 {
		t.Fatalf("len %d bits %d", l.Len(), l.Bits())
	}
	for _, tc := range []struct {
		i   int
		s   Status
		err error
	}{
		{0, Invalid, nil}, {1, Suspended, nil}, {99, Invalid, nil}, {50, 3, nil},
		{100, Valid, ErrRange}, {-1, Valid, ErrRange}, {2, 4, ErrRange},
	} {
		err := l.Set(tc.i, tc.s)
		if !errors.Is(err, tc.err) {
			t.Fatalf("Set(%d, %d) = %v, want %v", tc.i, tc.s, err, tc.err)
		}
		if err == nil {
			if got, _ := l.Get(tc.i); got != tc.s {
				t.Fatalf("Get(%d) = %d, want %d", tc.i, got, tc.s)
			}
		}
	}
	if err := l.Set(1, Valid); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Get(1); got != Valid {
		t.Fatal("Set did not clear the entry")
	}
	if got, _ := l.Get(0); got != Invalid {
		t.Fatal("Set disturbed a neighbour")
	}
	if _, err := l.Get(100); !errors.Is(err, ErrRange) {
		t.Fatal(err)
	}
	for _, bits := range []int{0, 3, 16} {
		if _, err := NewList(8, bits); !errors.Is(err, ErrRange) {
			t.Fatalf("bits %d: %v", bits, err)
		}
	}
	if Invalid.String() != "revoked" || Suspended.String() != "suspended" || Valid.String() != "valid" {
		t.Fatal("Status names")
	}
}

func zlibOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestClaimDecodeRefuses(t *testing.T) {
	ok := b64.EncodeToString(zlibOf(t, []byte{0xb9, 0xa3}))
	for name, tc := range map[string]struct {
		c   Claim
		max int
		err error
	}{
		"bits 3":          {Claim{Bits: 3, Lst: ok}, 0, ErrMalformed},
		"bits 0":          {Claim{Bits: 0, Lst: ok}, 0, ErrMalformed},
		"padded":          {Claim{Bits: 1, Lst: ok + "=="}, 0, ErrMalformed},
		"std alphabet":    {Claim{Bits: 1, Lst: "eNrbuRgAAhcBXQ+/"}, 0, ErrMalformed},
		"raw deflate":     {Claim{Bits: 1, Lst: "27kYAA"}, 0, ErrMalformed},
		"gzip":            {Claim{Bits: 1, Lst: "H4sIAAAAAAAA_9q5GAAAAP__AwA"}, 0, ErrMalformed},
		"trailing data":   {Claim{Bits: 1, Lst: b64.EncodeToString(append(zlibOf(t, []byte{1}), 0))}, 0, ErrMalformed},
		"bad checksum":    {Claim{Bits: 1, Lst: "eNrbuRgAAhcBXA"}, 0, ErrMalformed},
		"empty list":      {Claim{Bits: 1, Lst: b64.EncodeToString(zlibOf(t, nil))}, 0, ErrMalformed},
		"empty lst":       {Claim{Bits: 1, Lst: ""}, 0, ErrMalformed},
		"over the limit":  {Claim{Bits: 2, Lst: b64.EncodeToString(zlibOf(t, make([]byte, 1025)))}, 1024, ErrTooLarge},
		"truncated zlib":  {Claim{Bits: 1, Lst: "eNrbuRgAAh"}, 0, ErrMalformed},
		"not even base64": {Claim{Bits: 1, Lst: "!!!"}, 0, ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := tc.c.Decode(tc.max); !errors.Is(err, tc.err) {
				t.Fatalf("Decode = %v, want %v", err, tc.err)
			}
		})
	}
	if l, err := (Claim{Bits: 2, Lst: b64.EncodeToString(zlibOf(t, make([]byte, 1024)))}).Decode(1024); err != nil || l.Len() != 4096 {
		t.Fatalf("exactly at the limit: %v", err)
	}
}

// A zip bomb (16 MiB of zeros in ~16 KiB, 4× the default limit) must fail fast with ErrTooLarge.
func TestZipBombFailsFast(t *testing.T) {
	bomb := zlibOf(t, make([]byte, 16<<20))
	lst := b64.EncodeToString(bomb)
	start := time.Now()
	_, err := Claim{Bits: 2, Lst: lst}.Decode(0)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Decode = %v, want ErrTooLarge", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %s: not bounded", d)
	}
	t.Logf("%d-byte lst refused in %s", len(lst), time.Since(start))
}
