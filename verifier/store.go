package verifier

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Buckets owned by the verifier.
var (
	bucketMeta     = []byte("meta")
	bucketRequests = []byte("requests") // request id -> Request (JSON)
	bucketSeen     = []byte("seen")     // replay key -> expiry (unix seconds, 8 bytes BE)
	bucketHandoff  = []byte("handoff")  // one-time id -> handoff (JSON): presentations too large for a QR
	keySchema      = []byte("schema")
)

const schemaVersion = 1

func openDB(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: verifier database is in use by another espai process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open verifier database: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketRequests, bucketSeen, bucketHandoff} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySchema); v != nil {
			if got := binary.BigEndian.Uint64(v); got != schemaVersion {
				return fmt.Errorf("verifier database schema %d, this espai understands %d", got, schemaVersion)
			}
			return nil
		}
		return meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, schemaVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open verifier database: %w", err)
	}
	return db, nil
}

// markSeen records key as used until expiry, in tx. It fails with ErrReplay
// when key is already recorded and not yet expired. Expired keys are pruned
// by pruneSeen from Purge (the minute sweep), off the write path.
func markSeen(tx *bolt.Tx, key string, expiry time.Time, now time.Time) error {
	b := tx.Bucket(bucketSeen)
	if v := b.Get([]byte(key)); v != nil && int64(binary.BigEndian.Uint64(v)) > now.Unix() {
		return ErrReplay
	}
	return b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(expiry.Unix())))
}

// pruneSeen deletes replay entries that expired before now.
func pruneSeen(tx *bolt.Tx, now time.Time) error {
	b := tx.Bucket(bucketSeen)
	var dead [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		if int64(binary.BigEndian.Uint64(v)) <= now.Unix() {
			dead = append(dead, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}
