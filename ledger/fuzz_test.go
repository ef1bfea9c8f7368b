package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// FuzzParseCheckpoint: a checkpoint body that parses is canonical: its Text
// is the input, byte for byte, and parses to the same checkpoint.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add("espai.localhost/ledger\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
	f.Add("espai.localhost/ledger\n012\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
	f.Add("espai.localhost/ledger\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n")
	f.Add("espai.localhost/ledger\n5\nuoMcrLvRnJE+//XKC9r/sJqzB8HsWt5TgzX9VesO62c=\nextension\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		if c.Text() != text {
			t.Fatalf("non-canonical checkpoint accepted: %q, canonical %q", text, c.Text())
		}
		if c2, err := ParseCheckpoint(c.Text()); err != nil || c2 != c {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// signedCheckpoints signs a few checkpoints with the fixed test key: the
// golden one of testdata/ and two more. Only these can ever verify.
func signedCheckpoints(f *testing.F) (vkey string, notes [][]byte, cps []Checkpoint) {
	sk, vk := testdataKey(f)
	golden, err := os.ReadFile(filepath.Join("testdata", "checkpoint-5.txt"))
	if err != nil {
		f.Fatal(err)
	}
	c, err := OpenCheckpoint(golden, vk)
	if err != nil {
		f.Fatal(err)
	}
	notes, cps = append(notes, golden), append(cps, c)
	s, err := note.NewSigner(sk)
	if err != nil {
		f.Fatal(err)
	}
	for _, size := range []uint64{0, 1 << 40} {
		c := Checkpoint{Origin: DefaultOrigin, Size: size, Root: sha256.Sum256([]byte{byte(size)})}
		n, err := SignCheckpoint(c, s)
		if err != nil {
			f.Fatal(err)
		}
		notes, cps = append(notes, n), append(cps, c)
	}
	return vk, notes, cps
}

// FuzzOpenCheckpointSigned: a signed checkpoint that verifies is one the key
// signed (mutations of the signature lines, extra signatures by unknown
// keys, another key's name, an altered body all fail or give back a signed
// checkpoint unchanged).
func FuzzOpenCheckpointSigned(f *testing.F) {
	vk, notes, cps := signedCheckpoints(f)
	for _, n := range notes {
		f.Add(n)
	}
	// The golden note with a second signature by an unknown key.
	other, _, _ := note.GenerateKey(rand.Reader, "other.example/log")
	if s, err := note.NewSigner(other); err == nil {
		if n, err := note.Sign(&note.Note{Text: cps[0].Text()}, s); err == nil {
			sigs := n[len(cps[0].Text())+1:]
			f.Add(append(append([]byte(nil), notes[0]...), sigs...))
			f.Add(n)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := OpenCheckpoint(b, vk)
		if err != nil {
			return
		}
		for _, s := range cps {
			if c == s {
				return
			}
		}
		t.Fatalf("accepted a checkpoint the key did not sign: %+v", c)
	})
}

// FuzzVerifyReceiptGolden: a receipt that verifies says what the golden
// receipt says: the same entry at the same index under the same checkpoint.
// JSON spelling may differ (member order, base64 of the same bytes); nothing
// it carries can.
func FuzzVerifyReceiptGolden(f *testing.F) {
	_, vk := testdataKey(f)
	b, err := os.ReadFile(filepath.Join("testdata", "receipt-5.json"))
	if err != nil {
		f.Fatal(err)
	}
	r, err := ParseReceipt(b)
	if err != nil {
		f.Fatal(err)
	}
	want, wantCP, err := VerifyReceipt(r, vk)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	compact, _ := json.Marshal(r)
	f.Add(compact)
	wrongIndex := *r
	wrongIndex.Index--
	wi, _ := json.Marshal(&wrongIndex)
	f.Add(wi)
	short := *r
	short.Proof = short.Proof[:len(short.Proof)-1]
	sp, _ := json.Marshal(&short)
	f.Add(sp)
	f.Fuzz(func(t *testing.T, b []byte) {
		r2, err := ParseReceipt(b)
		if err != nil {
			return
		}
		e, cp, err := VerifyReceipt(r2, vk)
		if err != nil {
			return
		}
		got, _ := e.MarshalBinary()
		wantBin, _ := want.MarshalBinary()
		if r2.Index != r.Index || cp != wantCP || !bytes.Equal(got, wantBin) || !bytes.Equal(r2.Entry, r.Entry) {
			t.Fatalf("accepted a receipt that differs from the golden one: index %d, checkpoint %+v", r2.Index, cp)
		}
	})
}

// fuzzHashes is a tlog.HashReader over an in-memory list of stored hashes.
type fuzzHashes []tlog.Hash

func (h fuzzHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = h[x]
	}
	return out, nil
}

// FuzzVerifyConsistency: between two sizes of a fixed 13-entry tree only the
// one true RFC 6962 consistency proof verifies. The input is the proof, as
// concatenated 32-byte hashes.
func FuzzVerifyConsistency(f *testing.F) {
	const n = 13
	var stored fuzzHashes
	for i := range n {
		hs, err := tlog.StoredHashes(int64(i), []byte{byte(i)}, stored)
		if err != nil {
			f.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	root := func(size int64) tlog.Hash {
		h, err := tlog.TreeHash(size, stored)
		if err != nil {
			f.Fatal(err)
		}
		return h
	}
	roots := make([]tlog.Hash, n+1)
	for s := int64(1); s <= n; s++ {
		roots[s] = root(s)
	}
	for _, sizes := range [][2]int64{{1, n}, {5, 8}, {7, n}, {n, n}} {
		p, err := tlog.ProveTree(sizes[1], sizes[0], stored)
		if err != nil {
			f.Fatal(err)
		}
		var b []byte
		for _, h := range p {
			b = append(b, h[:]...)
		}
		f.Add(uint8(sizes[0]), uint8(sizes[1]), b)
	}
	f.Fuzz(func(t *testing.T, oldSize, newSize uint8, proof []byte) {
		if len(proof)%32 != 0 || oldSize == 0 || oldSize > newSize || newSize > n {
			return
		}
		var p []Hash
		for i := 0; i < len(proof); i += 32 {
			p = append(p, Hash(proof[i:i+32]))
		}
		if err := VerifyConsistency(uint64(oldSize), uint64(newSize), roots[oldSize], roots[newSize], p); err != nil {
			return
		}
		want, err := tlog.ProveTree(int64(newSize), int64(oldSize), stored)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != len(p) {
			t.Fatalf("a proof of %d fuzzHashes verifies; the true one has %d", len(p), len(want))
		}
		for i := range p {
			if p[i] != want[i] {
				t.Fatalf("a proof other than the true one verifies between %d and %d", oldSize, newSize)
			}
		}
	})
}
