package issuer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Buckets owned by the issuer. Values are JSON unless noted.
var (
	bucketMeta      = []byte("meta")       // "schema" -> uint64
	bucketAdmins    = []byte("admins")     // admin id -> Administration
	bucketKeys      = []byte("keys")       // admin id "/" kid -> keyRecord
	bucketIssued    = []byte("issued")     // credential id -> Record
	bucketByCitizen = []byte("by_citizen") // citizen id "/" credential id -> empty
	bucketStatus    = []byte("status")     // admin id "/" list no (8 bytes BE) -> statusList
	keySchema       = []byte("schema")
)

const schemaVersion = 1

func openDB(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", path, ErrBusy)
	}
	if err != nil {
		return nil, fmt.Errorf("open issuer database: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketAdmins, bucketKeys, bucketIssued, bucketByCitizen, bucketStatus} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySchema); v != nil {
			if got := binary.BigEndian.Uint64(v); got != schemaVersion {
				return fmt.Errorf("issuer database schema %d, this espai understands %d", got, schemaVersion)
			}
			return nil
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, schemaVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open issuer database: %w", err)
	}
	return db, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %s/%s: %w", b, key, err)
	}
	return true, nil
}
