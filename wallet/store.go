package wallet

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/espai/espai/internal/atrest"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Buckets and keys owned by the wallet. The layout is documented in
// docs/wallet.md.
//
//	meta/schema            uint64 big-endian schema version
//	meta/index_key         atrest-sealed 32-byte HMAC key for citizen ids
//	citizens/<ck>/         one nested bucket per citizen, ck = citizenKey(id)
//	    pub                JSON publicInfo (public keys)
//	    kid                delivery key id (JWK thumbprint)
//	    wrap               JSON wraps (passphrase and recovery slots)
//	    pseudonym          atrest-sealed pseudonym secret, AAD = ck
//	    inbox_n            uint64 number of unopened deliveries
//	    inbox/<seq>        8-byte time || compact JWE
//	    credential/<id>    record envelope
//	    rejected/<id>      record envelope
//	    receipt/<id>       record envelope
//	    event/<seq>        record envelope (append-only)
//	pending_erase/<ck>     citizens whose keys are destroyed, records not yet swept
//	tombstones/<seq>       JSON Tombstone (no personal data)
var (
	bucketMeta         = []byte("meta")
	bucketCitizens     = []byte("citizens")
	bucketPendingErase = []byte("pending_erase")
	bucketTombstones   = []byte("tombstones")
	bucketInbox        = []byte("inbox")

	keySchema     = []byte("schema")
	keyIndexKey   = []byte("index_key")
	keyPub        = []byte("pub")
	keyKID        = []byte("kid")
	keyWrap       = []byte("wrap")
	keyPseudonym  = []byte("pseudonym")
	keyInboxCount = []byte("inbox_n")

	recordBuckets = []string{kindCredential, kindRejected, kindReceipt, kindEvent}
)

// schemaVersion is the wallet database layout version.
const schemaVersion = 1

// atrest labels: one purpose each, so a sealed value never opens as another.
const (
	labelIndexKey  = "espai/wallet/index-key/v1"
	labelPseudonym = "espai/wallet/pseudonym-secret/v1"
	// aadIndexKey binds the sealed index key to its place.
	aadIndexKey = "espai/wallet/meta/index_key"
)

// PseudonymSecretSize is the size of a citizen's pseudonym secret.
const PseudonymSecretSize = 32

func openDB(path string, cfg *Config) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: cfg.OpenTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, ErrDBBusy
	}
	if err != nil {
		return nil, fmt.Errorf("open wallet database: %w", err)
	}
	db.MaxBatchSize = cfg.MaxBatchSize
	db.MaxBatchDelay = cfg.MaxBatchDelay
	return db, nil
}

// initDB creates the top-level buckets, checks the schema and returns the
// index key, creating it on first use.
func initDB(db *bolt.DB, sealer *atrest.Sealer) ([]byte, error) {
	var indexKey []byte
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketCitizens, bucketPendingErase, bucketTombstones} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySchema); v != nil {
			if len(v) != 8 || binary.BigEndian.Uint64(v) != schemaVersion {
				return fmt.Errorf("wallet database schema %x, this espai understands %d", v, schemaVersion)
			}
		} else if err := meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, schemaVersion)); err != nil {
			return err
		}
		if sealed := meta.Get(keyIndexKey); sealed != nil {
			k, err := sealer.Open(labelIndexKey, sealed, []byte(aadIndexKey))
			if err != nil {
				return fmt.Errorf("index key (wrong master key?): %w", err)
			}
			indexKey = k
			return nil
		}
		indexKey = randomBytes(32)
		sealed, err := sealer.Seal(labelIndexKey, indexKey, []byte(aadIndexKey))
		if err != nil {
			return err
		}
		return meta.Put(keyIndexKey, sealed)
	})
	if err != nil {
		return nil, fmt.Errorf("open wallet database: %w", err)
	}
	return indexKey, nil
}

// citizenKey is the bucket key of a citizen: HMAC-SHA256 of the id under the
// server's index key. A copy of wallet.db alone does not reveal which DNIs
// have a wallet; the DNI space is small (~10^9), so a plain hash would.
func citizenKey(indexKey []byte, citizenID string) []byte {
	m := hmac.New(sha256.New, indexKey)
	m.Write([]byte(labelIndexHMAC))
	m.Write([]byte{0})
	m.Write([]byte(citizenID))
	return m.Sum(nil)
}

// citizenBucket returns the bucket of an enrolled citizen, or ErrNotEnrolled
// (also for a citizen whose keys were destroyed by an erasure in progress).
func citizenBucket(tx *bolt.Tx, ck []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(bucketCitizens).Bucket(ck)
	if b == nil || b.Get(keyWrap) == nil {
		return nil, ErrNotEnrolled
	}
	return b, nil
}

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func u64b(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
