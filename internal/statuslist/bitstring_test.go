package statuslist

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func w3cExample(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/w3c_encoded_list.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The encodedList of the Bitstring Status List v1.0 examples is 16 KiB of zeros.
func TestW3CExample(t *testing.T) {
	b, err := DecodeBitstring(w3cExample(t), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != MinBitstringBits || !bytes.Equal(b.Bytes(), make([]byte, 16384)) {
		t.Fatalf("%d entries", b.Len())
	}
}

func TestBitstringOrderAndRoundTrip(t *testing.T) {
	b, err := NewBitstring(10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != MinBitstringBits {
		t.Fatalf("a small list is not grown to the minimum: %d", b.Len())
	}
	// Index 0 is the left-most bit of the first byte.
	if err := b.Set(0, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(9, 1); err != nil {
		t.Fatal(err)
	}
	if raw := b.Bytes(); raw[0] != 0x80 || raw[1] != 0x40 {
		t.Fatalf("bytes %x %x, want 80 40", raw[0], raw[1])
	}
	if err := b.Set(131071, 1); err != nil {
		t.Fatal(err)
	}
	enc, err := b.Encode()
	if err != nil || enc[0] != 'u' || strings.ContainsAny(enc, "+/=") {
		t.Fatalf("encodedList %q: %v", enc, err)
	}
	again, err := DecodeBitstring(enc, 1, 0)
	if err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
		t.Fatalf("round trip: %v", err)
	}
	for i, want := range map[int]byte{0: 1, 1: 0, 9: 1, 131071: 1, 131070: 0} {
		if got, err := again.Get(i); err != nil || got != want {
			t.Fatalf("Get(%d) = %d (%v), want %d", i, got, err, want)
		}
	}

	m, err := NewBitstring(1<<17, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []byte{1, 2, 3, 0} {
		if err := m.Set(i, v); err != nil {
			t.Fatal(err)
		}
	}
	if raw := m.Bytes(); raw[0] != 0b01_10_11_00 {
		t.Fatalf("2-bit packing %08b", raw[0])
	}
	if err := m.Set(2, 0); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get(1); got != 2 {
		t.Fatal("Set disturbed a neighbour")
	}
	for _, tc := range []struct {
		i int
		v byte
	}{{-1, 0}, {m.Len(), 0}, {0, 4}} {
		if err := m.Set(tc.i, tc.v); !errors.Is(err, ErrRange) {
			t.Fatalf("Set(%d,%d) = %v", tc.i, tc.v, err)
		}
	}
	if _, err := NewBitstring(10, 9); !errors.Is(err, ErrRange) {
		t.Fatal(err)
	}
}

func gzipOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeBitstringRefuses(t *testing.T) {
	full := gzipOf(t, make([]byte, 16384))
	ok := "u" + b64.EncodeToString(full)
	for name, tc := range map[string]struct {
		enc  string
		size int
		max  int
		err  error
	}{
		"no prefix":      {ok[1:], 1, 0, ErrMalformed},
		"base58 prefix":  {"z" + ok[1:], 1, 0, ErrMalformed},
		"padded":         {ok + "=", 1, 0, ErrMalformed},
		"empty":          {"", 1, 0, ErrMalformed},
		"only prefix":    {"u", 1, 0, ErrMalformed},
		"too short":      {"u" + b64.EncodeToString(gzipOf(t, make([]byte, 16383))), 1, 0, ErrMalformed},
		"zlib not gzip":  {"u" + b64.EncodeToString(zlibOf(t, make([]byte, 16384))), 1, 0, ErrMalformed},
		"two members":    {"u" + b64.EncodeToString(append(append([]byte{}, full...), full...)), 1, 0, ErrMalformed},
		"trailing":       {"u" + b64.EncodeToString(append(append([]byte{}, full...), 0)), 1, 0, ErrMalformed},
		"statusSize 0":   {ok, 0, 0, ErrMalformed},
		"over the limit": {"u" + b64.EncodeToString(gzipOf(t, make([]byte, 32768))), 1, 20000, ErrTooLarge},
		"zip bomb":       {"u" + b64.EncodeToString(gzipOf(t, make([]byte, 16<<20))), 1, 0, ErrTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeBitstring(tc.enc, tc.size, tc.max); !errors.Is(err, tc.err) {
				t.Fatalf("DecodeBitstring = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestSubjectAndEntryShapes(t *testing.T) {
	b, _ := NewBitstring(1, 1)
	_ = b.Set(7, 1)
	s, err := NewSubject("https://padro.example.cat/status/rev/1#list", Revocation, b)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(s)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if m["type"] != "BitstringStatusList" || m["statusPurpose"] != "revocation" || !strings.HasPrefix(m["encodedList"].(string), "u") {
		t.Fatalf("subject %s", raw)
	}
	got, err := s.Decode(Revocation, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Get(7); v != 1 {
		t.Fatal("entry 7 not set")
	}
	if _, err := s.Decode(Suspension, 1, 0); !errors.Is(err, ErrMalformed) {
		t.Fatalf("purpose mismatch: %v", err)
	}
	bad := s
	bad.Type = "StatusList2021"
	if _, err := bad.Decode(Revocation, 1, 0); !errors.Is(err, ErrMalformed) {
		t.Fatalf("type: %v", err)
	}
	if _, err := NewSubject("x", "refresh", b); !errors.Is(err, ErrRange) {
		t.Fatal(err)
	}

	e := NewEntry(Suspension, "https://padro.example.cat/status/sus/1", 94567)
	raw, _ = json.Marshal(e)
	_ = json.Unmarshal(raw, &m)
	if m["type"] != "BitstringStatusListEntry" || m["statusListIndex"] != "94567" || m["statusPurpose"] != "suspension" || m["id"] != "https://padro.example.cat/status/sus/1#94567" {
		t.Fatalf("entry %s", raw)
	}
	if i, err := e.Index(); err != nil || i != 94567 || e.Size() != 1 {
		t.Fatalf("Index = %d, %v", i, err)
	}
	for _, idx := range []string{"", "-1", "+1", "007", "1e3", "0x10", " 1", "99999999999", "2147483648", "١"} {
		e := NewEntry(Revocation, "https://x", 0)
		e.StatusListIndex = idx
		if _, err := e.Index(); !errors.Is(err, ErrMalformed) {
			t.Errorf("statusListIndex %q accepted", idx)
		}
	}
	for name, mutate := range map[string]func(*Entry){
		"type":       func(e *Entry) { e.Type = "StatusList2021Entry" },
		"purpose":    func(e *Entry) { e.StatusPurpose = "refresh" },
		"no list":    func(e *Entry) { e.StatusListCredential = "" },
		"statusSize": func(e *Entry) { e.StatusSize = 9 },
	} {
		e := NewEntry(Revocation, "https://x", 0)
		mutate(&e)
		if _, err := e.Index(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s accepted", name)
		}
	}
	if e := NewEntry(Revocation, "https://x", 0); func() bool { i, err := e.Index(); return err != nil || i != 0 }() {
		t.Error("index 0 refused")
	}
}
