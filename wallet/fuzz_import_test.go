package wallet

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"
	"github.com/lestrrat-go/jwx/v2/jwk"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/chacha20poly1305"
)

// citizenBuckets counts the wallets in the database, complete or not.
func citizenBuckets(t testing.TB, w *Wallet) int {
	t.Helper()
	n := 0
	if err := w.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCitizens).ForEach(func(_, _ []byte) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// FuzzImport: importing a damaged, truncated or foreign backup, or the
// golden one with a wrong passphrase, fails with ErrBadBackup and leaves no
// trace of a wallet; only the golden file with its passphrase imports (and
// is erased again, so the next input starts from the same state).
func FuzzImport(f *testing.F) {
	golden := readFile(f, filepath.Join("testdata", "backup-v1.espai"))
	h, ct, err := parseBackupHeader(golden)
	if err != nil {
		f.Fatal(err)
	}
	a, _ := newRecordAEAD(passphraseKEK(testPass, h.salt, h.params))
	pt, err := a.Open(nil, h.nonce, ct, h.raw)
	if err != nil {
		f.Fatal(err)
	}
	p, err := decodeBackupPayload(pt)
	if err != nil {
		f.Fatal(err)
	}
	citizen := p.CitizenID
	f.Add(golden, testPass)
	f.Add(golden, "not the passphrase!")
	f.Add(golden, testPass+" ")
	for _, n := range []int{0, 8, backupHeaderLen, backupHeaderLen + chacha20poly1305.Overhead, len(golden) / 2, len(golden) - 1} {
		f.Add(golden[:n], testPass)
	}
	flipped := bytes.Clone(golden)
	flipped[len(flipped)/2] ^= 1
	f.Add(flipped, testPass)
	flipped = bytes.Clone(golden)
	flipped[19] ^= 1 // the salt: authenticated as associated data
	f.Add(flipped, testPass)
	e := newEnv(f)
	ctx := context.Background()
	if id, err := e.w.Import(ctx, bytes.NewReader(golden), testPass); err != nil || id != citizen {
		f.Fatalf("golden backup: %q, %v", id, err)
	}
	if _, err := e.w.Erase(ctx, citizen); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file []byte, pass string) {
		if h, _, err := parseBackupHeader(file); err == nil && (h.params.MemoryKiB > 1024 || h.params.Time > 2 || h.params.Threads > 2) {
			return // the header bounds the KDF cost (FuzzBackupHeader); keep this target fast
		}
		before := citizenBuckets(t, e.w)
		id, err := e.w.Import(ctx, bytes.NewReader(file), pass)
		if err != nil {
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("error does not wrap ErrBadBackup: %v", err)
			}
			if after := citizenBuckets(t, e.w); after != before {
				t.Fatalf("a failed import changed the wallets: %d, then %d", before, after)
			}
			if ok, _ := e.w.Enrolled(ctx, citizen); ok {
				t.Fatal("a failed import left the backup's wallet")
			}
			return
		}
		if id != citizen || !bytes.Equal(file, golden) || !bytes.Equal(normPassphrase(pass), normPassphrase(testPass)) {
			t.Fatalf("imported %q from a file or passphrase that is not the golden one", id)
		}
		s, err := e.w.Unlock(ctx, id, pass)
		if err != nil {
			t.Fatalf("imported wallet does not unlock: %v", err)
		}
		s.Lock()
		if _, err := e.w.Erase(ctx, id); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzBackupPayloadRoundTrip: a payload that decodes encodes and decodes to
// the same content.
func FuzzBackupPayloadRoundTrip(f *testing.F) {
	golden := readFile(f, filepath.Join("testdata", "backup-v1.espai"))
	h, ct, err := parseBackupHeader(golden)
	if err != nil {
		f.Fatal(err)
	}
	a, _ := newRecordAEAD(passphraseKEK(testPass, h.salt, h.params))
	pt, err := a.Open(nil, h.nonce, ct, h.raw)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pt)
	f.Add(bytes.Replace(pt, []byte(`"buckets":[`), []byte(`"buckets":[{"name":"inbox","sequence":0,"items":[]},`), 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeBackupPayload(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := decodeBackupPayload(again)
		if err != nil || !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, p, p2)
		}
	})
}

// fixedDeliveryKey is a P-256 delivery key derived from a label, with its
// thumbprint as kid, so the seeds sealed by a fuzzing coordinator open in
// every worker.
func fixedDeliveryKey(t testing.TB) (*ecdsa.PrivateKey, jwk.Key) {
	t.Helper()
	d := sha256.Sum256([]byte("espai wallet fuzz: delivery"))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.FromRaw(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := jwk.AssignKeyID(pub); err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// FuzzDeliveryOpen runs a delivery through the path OpenInbox takes:
// checkDeliveryJWE, then jwx's decryption with the citizen's key, then the
// envelope. Where the pre-check and jwx both read the protected header they
// must agree on it (alg, enc, kid, cty, no compression), so nothing the
// check refuses can reach the decrypter in another reading; and an envelope
// that parses round-trips.
func FuzzDeliveryOpen(f *testing.F) {
	priv, pub := fixedDeliveryKey(f)
	kid := pub.KeyID()
	for _, d := range []Delivery{
		{Kind: DeliveryCredential, From: "did:web:espai.localhost:issuers:atc", Payload: []byte("eyJhbGciOiJFUzI1NiJ9.e30.sig~")},
		{Kind: DeliveryEvent, Payload: []byte(`{"kind":"data_accessed"}`)},
	} {
		j, err := SealDelivery(pub, d)
		if err != nil {
			f.Fatal(err)
		}
		if err := checkDeliveryJWE(j, kid, DefaultMaxDeliverySize); err != nil {
			f.Fatal(err)
		}
		f.Add(j)
	}
	// Compressed (zip is refused before decryption) and without the
	// content type: sealed with jwx directly.
	hz := jwe.NewHeaders()
	_ = hz.Set(jwe.ContentTypeKey, DeliveryContentType)
	if j, err := jwe.Encrypt([]byte(`{"v":1,"kind":"event","payload":"e30="}`), jwe.WithKey(jwa.ECDH_ES_A256KW, pub),
		jwe.WithContentEncryption(jwa.A256GCM), jwe.WithCompress(jwa.Deflate), jwe.WithProtectedHeaders(hz)); err == nil {
		f.Add(j)
	}
	if j, err := jwe.Encrypt([]byte(`{"v":1,"kind":"event","payload":"e30="}`), jwe.WithKey(jwa.ECDH_ES_A256KW, pub),
		jwe.WithContentEncryption(jwa.A256GCM)); err == nil {
		f.Add(j)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := checkDeliveryJWE(raw, kid, DefaultMaxDeliverySize); err != nil {
			return
		}
		if msg, err := jwe.Parse(raw); err == nil {
			ph := msg.ProtectedHeaders()
			if ph.Algorithm() != jwa.ECDH_ES_A256KW || ph.ContentEncryption() != jwa.A256GCM || ph.KeyID() != kid ||
				ph.ContentType() != DeliveryContentType || ph.Compression() != jwa.NoCompress {
				t.Fatalf("jwx reads another header than the check: alg %s enc %s kid %q cty %q zip %q",
					ph.Algorithm(), ph.ContentEncryption(), ph.KeyID(), ph.ContentType(), ph.Compression())
			}
			if u := msg.UnprotectedHeaders(); u != nil {
				if m, _ := u.AsMap(context.Background()); len(m) > 0 {
					t.Fatalf("a compact JWE with unprotected headers %v", m)
				}
			}
		}
		pt, err := jwe.Decrypt(raw, jwe.WithKey(jwa.ECDH_ES_A256KW, priv))
		if err != nil {
			return
		}
		d, err := parseDelivery(pt)
		if err != nil {
			if !errors.Is(err, ErrBadDelivery) {
				t.Fatalf("error does not wrap ErrBadDelivery: %v", err)
			}
			return
		}
		again, _ := json.Marshal(deliveryJSON{V: deliveryV1, Kind: d.Kind, From: d.From, Payload: d.Payload})
		if d2, err := parseDelivery(again); err != nil || !reflect.DeepEqual(d, d2) {
			t.Fatalf("envelope round trip: %v", err)
		}
	})
}
