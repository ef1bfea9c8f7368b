package wallet

import (
	"crypto/cipher"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// labelRecord starts the associated data of every stored record.
const labelRecord = "espai/wallet/record/v1"

// recordV1 is the format version byte of a stored record envelope.
const recordV1 = 0x01

// Record kinds: part of each record's associated data, so a record moved to
// another kind's bucket fails to open.
const (
	kindCredential = "credential"
	kindRejected   = "rejected"
	kindReceipt    = "receipt"
	kindEvent      = "event"
)

// maxRecordSize bounds a stored envelope read back (a credential is at most
// MaxDeliverySize plus metadata).
const maxRecordSize = 32 << 20

// recordAAD binds a ciphertext to its citizen, kind, id and format version.
// The citizen id (not its index HMAC) is used so that records keep opening
// after a backup is imported into another instance with another index key.
// Ids and kinds never contain 0x00 (checked by the callers' id formats).
func recordAAD(citizenID, kind, id string) []byte {
	aad := make([]byte, 0, len(labelRecord)+len(citizenID)+len(kind)+len(id)+5)
	aad = append(aad, labelRecord...)
	aad = append(aad, 0, recordV1)
	aad = append(aad, citizenID...)
	aad = append(aad, 0)
	aad = append(aad, kind...)
	aad = append(aad, 0)
	return append(aad, id...)
}

func newRecordAEAD(dataKey []byte) (cipher.AEAD, error) { return chacha20poly1305.NewX(dataKey) }

// sealRecord encrypts a record under the data key.
//
// Layout: 0x01 || nonce (24) || XChaCha20-Poly1305 ciphertext and tag.
//
// Nonce: 192 random bits per record. The data key lives as long as the
// wallet and encrypts every record and every rewrite of one (labels,
// favourites); AES-GCM's 96-bit random nonces would cap that at 2^32
// messages, XChaCha20's 192 bits put a collision out of reach.
func sealRecord(a cipher.AEAD, citizenID, kind, id string, plaintext []byte) []byte {
	n := a.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plaintext)+a.Overhead())
	out[0] = recordV1
	copy(out[1:], randomBytes(n))
	return a.Seal(out, out[1:1+n], plaintext, recordAAD(citizenID, kind, id))
}

// openRecord authenticates and decrypts a stored envelope. Any failure is a
// Damaged error naming the record.
func openRecord(a cipher.AEAD, citizenID, kind, id string, sealed []byte) ([]byte, error) {
	n := a.NonceSize()
	if len(sealed) < 1+n+a.Overhead() || len(sealed) > maxRecordSize || sealed[0] != recordV1 {
		return nil, Damaged{Kind: kind, ID: id}
	}
	pt, err := a.Open(nil, sealed[1:1+n], sealed[1+n:], recordAAD(citizenID, kind, id))
	if err != nil {
		return nil, Damaged{Kind: kind, ID: id}
	}
	return pt, nil
}

// checkID refuses ids that could blur the associated data or bucket keys.
func checkID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("%w: id", ErrNotFound)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("%w: id", ErrNotFound)
		}
	}
	return nil
}
