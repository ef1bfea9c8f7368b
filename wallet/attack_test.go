package wallet

// The wallet part of the attack suite (issue 8; docs/security-attacks.md):
// JWE deliveries that would make the wallet do unbounded work when opened
// (a zip:DEF plaintext that inflates hugely, a PBES2 key derivation with an
// enormous iteration count) are refused on delivery by checkDeliveryJWE,
// before anything is stored, and again before any decryption if one reaches
// the inbox another way (an old store, a restored backup).

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	at "github.com/espai/espai/internal/attacktest"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"
	bolt "go.etcd.io/bbolt"
)

// atkBombSize is what the zip bomb inflates to: 128 MiB, from a JWE small
// enough for the delivery size limit.
const atkBombSize = 128 << 20

// atkJWE assembles a compact JWE with the part sizes ECDH-ES+A256KW and
// A256GCM give (so only the header is wrong), around any protected header.
func atkJWE(t *testing.T, hdr map[string]any, ciphertext int) []byte {
	t.Helper()
	raw, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	return atkJWERaw(raw, ciphertext)
}

// atkJWERaw is atkJWE with the header written as raw JSON.
func atkJWERaw(hdr []byte, ciphertext int) []byte {
	fill := func(n int) string { return b64.EncodeToString(make([]byte, n)) }
	return []byte(b64.EncodeToString(hdr) + "." + fill(40) + "." + fill(12) + "." + fill(ciphertext) + "." + fill(16))
}

// atkStoreRaw puts raw in the citizen's inbox without Deliver's checks.
func atkStoreRaw(t *testing.T, e *env, id string, raw []byte) {
	t.Helper()
	_, ck, err := e.w.citizen(id)
	if err != nil {
		t.Fatal(err)
	}
	err = e.w.db.Update(func(tx *bolt.Tx) error {
		b, err := citizenBucket(tx, ck)
		if err != nil {
			return err
		}
		inbox := b.Bucket(bucketInbox)
		seq, err := inbox.NextSequence()
		if err != nil {
			return err
		}
		if err := inbox.Put(u64b(seq), append(u64b(uint64(time.Now().UnixNano())), raw...)); err != nil {
			return err
		}
		return b.Put(keyInboxCount, u64b(u64(b.Get(keyInboxCount))+1))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// atkCheap runs f and fails if it took the work an attack asked for: more
// than a second or 32 MiB of allocations (the bomb is 128 MiB; PBKDF2 with
// 2^31 iterations takes minutes).
func atkCheap(t *testing.T, f func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if took > time.Second {
		t.Errorf("took %s", took)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
}

func TestAttackDeliveryBombs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 800)
	pub := e.enrol(t, id).Keys.Delivery
	kid := pub.KeyID()

	// A real JWE to the citizen's key whose plaintext is a DEFLATE bomb and
	// whose header says zip:DEF: a decrypting party inflates it.
	pt := at.DeflateBomb(atkBombSize)
	h := jwe.NewHeaders()
	_ = h.Set(jwe.ContentTypeKey, DeliveryContentType)
	_ = h.Set(jwe.CompressionKey, jwa.Deflate)
	zipBomb, err := jwe.Encrypt(pt, jwe.WithKey(jwa.ECDH_ES_A256KW, pub), jwe.WithContentEncryption(jwa.A256GCM), jwe.WithProtectedHeaders(h))
	if err != nil {
		t.Fatal(err)
	}
	if len(zipBomb) > DefaultMaxDeliverySize {
		t.Fatalf("the zip bomb (%d bytes) does not fit the delivery limit: it would be refused for its size", len(zipBomb))
	}
	t.Logf("zip bomb: a %d-byte JWE inflating to %d MiB", len(zipBomb), at.BombSize(atkBombSize)>>20)
	// The bomb is real: a decrypting party that honours zip inflates it
	// (jwx stops at the buffer size it is given).
	throwaway, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	honoured, err := jwe.Encrypt(pt, jwe.WithKey(jwa.ECDH_ES_A256KW, &throwaway.PublicKey), jwe.WithContentEncryption(jwa.A256GCM), jwe.WithProtectedHeaders(h))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwe.Decrypt(honoured, jwe.WithKey(jwa.ECDH_ES_A256KW, throwaway), jwe.WithMaxDecompressBufferSize(1<<20)); err == nil || !strings.Contains(err.Error(), "uncompress") {
		t.Fatalf("decrypting the bomb: %v, want an uncompress error", err)
	}
	epk := map[string]any{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
	base := map[string]any{"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": kid, "cty": DeliveryContentType, "epk": epk}
	pbes2 := at.With(base, "alg", "PBES2-HS512+A256KW", "epk", nil, "p2c", 1<<31-1, "p2s", b64.EncodeToString(make([]byte, 16)))

	for _, c := range []struct {
		name   string
		jwe    []byte
		detail string
	}{
		{"zip DEF, 128 MiB bomb", zipBomb, `"zip" not allowed`},
		{"zip DEF on a forged header", atkJWE(t, at.With(base, "zip", "DEF"), 1<<10), `"zip" not allowed`},
		{"ZIP in upper case", atkJWE(t, at.With(base, "ZIP", "DEF"), 1<<10), `"ZIP" not allowed`},
		{"zip behind crit", atkJWE(t, at.With(base, "zip", "DEF", "crit", []string{"zip"}), 1<<10), "not allowed"},
		{"PBES2 with p2c 2^31-1", atkJWE(t, pbes2, 1<<10), `"p2c" not allowed`},
		{"PBES2 members beside ECDH-ES+A256KW", atkJWE(t, at.With(base, "p2c", 1<<31-1, "p2s", "AAAA"), 1<<10), `"p2c" not allowed`},
		{"PBES2 alg only", atkJWE(t, at.With(base, "alg", "PBES2-HS256+A128KW", "epk", nil), 1<<10), "alg"},
		{"duplicate alg member, PBES2 last", atkJWERaw(append(mustJSON(t, base)[:len(mustJSON(t, base))-1], `,"alg":"PBES2-HS512+A256KW","p2c":2147483647}`...), 1<<10), `repeats "alg"`},
		{"alg dir", atkJWE(t, at.With(base, "alg", "dir", "epk", nil), 1<<10), "alg"},
		{"jku in the header", atkJWE(t, at.With(base, "jku", "https://evil.example/jwks"), 1<<10), `"jku" not allowed`},
	} {
		t.Run(c.name, func(t *testing.T) {
			atkCheap(t, func() {
				_, err := e.w.Deliver(ctx, id, c.jwe)
				if !errors.Is(err, ErrBadDelivery) || !strings.Contains(err.Error(), c.detail) {
					t.Fatalf("Deliver = %v, want ErrBadDelivery with %q", err, c.detail)
				}
			})
		})
	}
	if n, err := e.w.InboxSize(ctx, id); err != nil || n != 0 {
		t.Fatalf("refused deliveries were stored: %d, %v", n, err)
	}

	// The same bombs reaching the inbox without Deliver: opening it (at
	// unlock) refuses them before decrypting.
	atkStoreRaw(t, e, id, zipBomb)
	atkStoreRaw(t, e, id, atkJWE(t, pbes2, 1<<10))
	var s *Session
	atkCheap(t, func() { s = e.unlock(t, id) })
	rep := s.InboxReport()
	if len(rep.Rejected) != 2 || len(rep.Credentials) != 0 || rep.Pending != 0 {
		t.Fatalf("inbox report %+v, want both refused", rep)
	}
	rej, _, err := s.RejectedDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reasons := ""
	for _, r := range rej {
		reasons += r.Reason + "\n"
	}
	if !strings.Contains(reasons, `"zip" not allowed`) || !strings.Contains(reasons, `"p2c" not allowed`) {
		t.Fatalf("reasons:\n%s", reasons)
	}
	if e.check.calls != 0 {
		t.Fatalf("the credential checker was reached %d times", e.check.calls)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
