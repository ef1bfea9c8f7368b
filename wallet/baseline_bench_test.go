package wallet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"testing"

	"golang.org/x/crypto/argon2"
)

// BenchmarkRawArgon2id is the baseline of BenchmarkUnlock: Argon2id alone
// with the production parameters (RFC 9106's second recommendation), no
// storage or key unwrapping.
func BenchmarkRawArgon2id(b *testing.B) {
	p := DefaultArgon2Params()
	salt := make([]byte, 16)
	for b.Loop() {
		argon2.IDKey([]byte("correct horse battery staple"), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	}
}

// BenchmarkBaselineOpen50 is the baseline of BenchmarkListCredentials50:
// AES-256-GCM opening and JSON decoding of 50 records of the same size held
// in memory, without bbolt, parsing or sorting.
func BenchmarkBaselineOpen50(b *testing.B) {
	key := make([]byte, 32)
	rand.Read(key)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	type rec struct{ Raw []byte }
	sealed := make([][]byte, 50)
	nonce := make([]byte, aead.NonceSize())
	for i := range sealed {
		pt, _ := json.Marshal(rec{Raw: make([]byte, 820)})
		sealed[i] = aead.Seal(nil, nonce, pt, nil)
	}
	for b.Loop() {
		for _, s := range sealed {
			pt, err := aead.Open(nil, nonce, s, nil)
			if err != nil {
				b.Fatal(err)
			}
			var r rec
			if err := json.Unmarshal(pt, &r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
