package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Golden inputs for the fuzz targets, rewritten by -update.
const (
	goldenJWE    = "testdata/delivery.jwe"
	goldenKID    = "testdata/delivery.kid"
	goldenRecord = "testdata/record-v1.bin"
)

// goldenRecordKey, citizen, kind and id are fixed so the golden record opens.
var goldenRecordKey = bytes.Repeat([]byte{0x42}, 32)

const (
	goldenCitizen = "00000000T"
	goldenID      = "00112233445566778899aabbccddeeff"
)

func TestGoldenFuzzSeeds(t *testing.T) {
	if *update {
		e := newEnv(t)
		en := e.enrol(t, citizenID(t, 901))
		j, err := SealForDelivery(en.Keys.Delivery, DeliveryCredential, []byte("valid:census"))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := newRecordAEAD(goldenRecordKey)
		rec := sealRecord(a, goldenCitizen, kindCredential, goldenID, []byte(`{"id":"`+goldenID+`","format":"sd-jwt","type":"census"}`))
		for p, b := range map[string][]byte{goldenJWE: j, goldenKID: []byte(en.Keys.DeliveryKeyID()), goldenRecord: rec} {
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	j, kid := readFile(t, goldenJWE), readFile(t, goldenKID)
	if err := checkDeliveryJWE(j, string(kid), DefaultMaxDeliverySize); err != nil {
		t.Errorf("golden delivery refused: %v", err)
	}
	a, _ := newRecordAEAD(goldenRecordKey)
	if _, err := openRecord(a, goldenCitizen, kindCredential, goldenID, readFile(t, goldenRecord)); err != nil {
		t.Errorf("golden record: %v", err)
	}
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDeliveryJWE(f *testing.F) {
	j, kid := readFile(f, goldenJWE), string(readFile(f, goldenKID))
	f.Add(j)
	f.Add(bytes.Replace(j, []byte("."), []byte(".."), 1))
	f.Add([]byte("eyJhbGciOiJub25lIn0...."))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkDeliveryJWE(b, kid, DefaultMaxDeliverySize)
		if err != nil && !errors.Is(err, ErrBadDelivery) {
			t.Fatalf("error does not wrap ErrBadDelivery: %v", err)
		}
		if err == nil && bytes.Count(b, []byte(".")) != 4 {
			t.Fatal("accepted a JWE without five parts")
		}
	})
}

func FuzzDeliveryEnvelope(f *testing.F) {
	f.Add([]byte(`{"v":1,"kind":"credential","payload":"dmFsaWQ6Y2Vuc3Vz"}`))
	f.Add([]byte(`{"v":1,"kind":"event","from":"did:web:x","payload":"e30="}`))
	f.Add([]byte(`{"v":2,"kind":"credential","payload":"eA=="}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDelivery(b)
		if err != nil {
			return
		}
		again, _ := json.Marshal(deliveryJSON{V: deliveryV1, Kind: d.Kind, From: d.From, Payload: d.Payload})
		d2, err := parseDelivery(again)
		if err != nil || d2.Kind != d.Kind || d2.From != d.From || !bytes.Equal(d2.Payload, d.Payload) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzRecordEnvelope(f *testing.F) {
	rec := readFile(f, goldenRecord)
	f.Add(rec)
	f.Add(rec[:30])
	f.Add([]byte{recordV1})
	a, _ := newRecordAEAD(goldenRecordKey)
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := openRecord(a, goldenCitizen, kindCredential, goldenID, b)
		if err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("error does not wrap ErrDamaged: %v", err)
			}
			return
		}
		if !bytes.Equal(b, rec) {
			t.Fatal("a record other than the golden one authenticated")
		}
		if _, err := openRecord(a, goldenCitizen, kindReceipt, goldenID, b); err == nil {
			t.Fatal("record opened as another kind")
		}
		_ = pt
	})
}

func FuzzBackupHeader(f *testing.F) {
	file := readFile(f, filepath.Join("testdata", "backup-v1.espai"))
	f.Add(file)
	f.Add(file[:backupHeaderLen])
	f.Add([]byte(backupMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ct, err := parseBackupHeader(b)
		if err != nil {
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("error does not wrap ErrBadBackup: %v", err)
			}
			return
		}
		if h.params.Validate() != nil || !bytes.Equal(append(h.marshal(), ct...), b) {
			t.Fatal("header does not round-trip")
		}
	})
}

func FuzzBackupPayload(f *testing.F) {
	// Seed with the plaintext of the golden backup.
	file := readFile(f, filepath.Join("testdata", "backup-v1.espai"))
	h, ct, err := parseBackupHeader(file)
	if err != nil {
		f.Fatal(err)
	}
	key := passphraseKEK(testPass, h.salt, h.params)
	a, _ := newRecordAEAD(key)
	pt, err := a.Open(nil, h.nonce, ct, h.raw)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pt)
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(strings.Replace(string(pt), `"credential"`, `"meta"`, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeBackupPayload(b)
		if err != nil {
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("error does not wrap ErrBadBackup: %v", err)
			}
			return
		}
		if _, err := unmarshalKeySet(p.Keys); err != nil {
			return // key material is checked at import, after this parse
		}
	})
}
