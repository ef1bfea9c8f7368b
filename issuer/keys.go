package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/espai/espai/internal/did"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	bolt "go.etcd.io/bbolt"
)

// sealLabel separates issuer signing keys from every other secret sealed under
// the master key.
const sealLabel = "espai/issuer/signing-key/v1"

// Key algorithms. ES256 (P-256) signs JOSE objects (SD-JWT VC, status list
// tokens, the trust list) because it is what EUDI wallets and HAIP require;
// Ed25519 signs JSON-LD Data Integrity proofs (Ed25519Signature2020).
const (
	algES256   = "ES256"
	algEd25519 = "Ed25519"
)

// keyRecord is one stored signing key. The private key is sealed with the
// master key and bound (AAD) to admin id and key id.
type keyRecord struct {
	Admin      string          `json:"admin"`
	KID        string          `json:"kid"` // fragment: "es256-1", "ed25519-1"
	Alg        string          `json:"alg"`
	Generation int             `json:"generation"`
	Created    time.Time       `json:"created"`
	Public     json.RawMessage `json:"public"` // public JWK
	Sealed     []byte          `json:"sealed"` // sealed private JWK
}

func keyName(admin, kid string) []byte { return []byte(admin + "/" + kid) }

func (s *Service) newKeys(admin string, gen int) ([]keyRecord, error) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	var out []keyRecord
	for _, k := range []struct {
		alg string
		raw any
	}{{algES256, ec}, {algEd25519, ed}} {
		priv, err := jwk.FromRaw(k.raw)
		if err != nil {
			return nil, err
		}
		kid := "ed25519-" + strconv.Itoa(gen)
		if k.alg == algES256 {
			kid = "es256-" + strconv.Itoa(gen)
		}
		pub, err := priv.PublicKey()
		if err != nil {
			return nil, err
		}
		pubRaw, err := json.Marshal(pub)
		if err != nil {
			return nil, err
		}
		privRaw, err := json.Marshal(priv)
		if err != nil {
			return nil, err
		}
		sealed, err := s.sealer.Seal(sealLabel, privRaw, keyName(admin, kid))
		if err != nil {
			return nil, err
		}
		out = append(out, keyRecord{Admin: admin, KID: kid, Alg: k.alg, Generation: gen, Created: s.now().UTC(), Public: pubRaw, Sealed: sealed})
	}
	return out, nil
}

func putKeys(tx *bolt.Tx, keys []keyRecord) error {
	b := tx.Bucket(bucketKeys)
	for _, k := range keys {
		if err := putJSON(b, keyName(k.Admin, k.KID), k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) keys(admin string) ([]keyRecord, error) {
	var out []keyRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketKeys).Cursor()
		prefix := []byte(admin + "/")
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			var r keyRecord
			if err := jsonUnmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// signingKey is an unsealed private key ready to sign.
type signingKey struct {
	kid    string // full DID URL
	alg    string
	jwk    jwk.Key
	raw    crypto.Signer      // the same key in crypto form (ES256: *ecdsa.PrivateKey)
	ed     ed25519.PrivateKey // set for Ed25519 keys
	issuer string             // the administration's DID
}

// signer returns the current key of admin for alg, unsealing it once and
// caching it until the administration's keys rotate (RotateKeys drops the
// cache entry; the bbolt file lock means no other process rotates meanwhile).
func (s *Service) signer(ctx context.Context, admin, alg string) (*signingKey, error) {
	cacheKey := admin + "/" + alg
	s.mu.Lock()
	sk, ok := s.signers[cacheKey]
	s.mu.Unlock()
	if ok {
		return sk, nil
	}
	a, err := s.Administration(ctx, admin)
	if err != nil {
		return nil, err
	}
	keys, err := s.keys(admin)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Alg != alg || k.Generation != a.KeyGeneration {
			continue
		}
		raw, err := s.sealer.Open(sealLabel, k.Sealed, keyName(admin, k.KID))
		if err != nil {
			return nil, fmt.Errorf("unseal %s key %s: %w", admin, k.KID, err)
		}
		priv, err := jwk.ParseKey(raw)
		if err != nil {
			return nil, fmt.Errorf("parse %s key %s: %w", admin, k.KID, err)
		}
		issuerDID := s.DID(admin)
		sk = &signingKey{kid: issuerDID + "#" + k.KID, alg: alg, jwk: priv, issuer: issuerDID}
		if alg == algES256 {
			_ = priv.Set(jwk.AlgorithmKey, jwa.ES256)
			var ec ecdsa.PrivateKey
			if err := priv.Raw(&ec); err != nil {
				return nil, fmt.Errorf("%s key %s: %w", admin, k.KID, err)
			}
			sk.raw = &ec
		} else {
			var ed ed25519.PrivateKey
			if err := priv.Raw(&ed); err != nil {
				return nil, fmt.Errorf("%s key %s: %w", admin, k.KID, err)
			}
			sk.ed = ed
		}
		_ = priv.Set(jwk.KeyIDKey, sk.kid)
		s.mu.Lock()
		s.signers[cacheKey] = sk
		s.mu.Unlock()
		return sk, nil
	}
	return nil, fmt.Errorf("administration %s has no %s key of generation %d", admin, alg, a.KeyGeneration)
}

// RotateKeys creates a new generation of signing keys for admin. Old public
// keys stay in the DID document so credentials signed with them still verify;
// new credentials use the new keys.
func (s *Service) RotateKeys(ctx context.Context, admin string) (generation int, err error) {
	a, err := s.Administration(ctx, admin)
	if err != nil {
		return 0, err
	}
	gen := a.KeyGeneration + 1
	keys, err := s.newKeys(admin, gen)
	if err != nil {
		return 0, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		var cur Administration
		if _, err := getJSON(tx.Bucket(bucketAdmins), []byte(admin), &cur); err != nil {
			return err
		}
		if cur.KeyGeneration != a.KeyGeneration {
			return fmt.Errorf("administration %s: concurrent key rotation", admin)
		}
		cur.KeyGeneration = gen
		if err := putJSON(tx.Bucket(bucketAdmins), []byte(admin), cur); err != nil {
			return err
		}
		return putKeys(tx, keys)
	})
	s.adminGen.Add(1)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	for _, alg := range []string{algES256, algEd25519} {
		delete(s.signers, admin+"/"+alg)
	}
	delete(s.docs, admin)
	s.mu.Unlock()
	return gen, nil
}

// DIDDocument builds the did:web document of admin: every key it ever had,
// each listed for assertionMethod. Documents are cached until the
// administration's keys rotate; callers must not modify the result.
func (s *Service) DIDDocument(ctx context.Context, admin string) (*did.Document, error) {
	s.mu.Lock()
	doc, ok := s.docs[admin]
	s.mu.Unlock()
	if ok {
		return doc, nil
	}
	doc, err := s.buildDIDDocument(ctx, admin)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.docs == nil {
		s.docs = map[string]*did.Document{}
	}
	s.docs[admin] = doc
	s.mu.Unlock()
	return doc, nil
}

func (s *Service) buildDIDDocument(ctx context.Context, admin string) (*did.Document, error) {
	if _, err := s.Administration(ctx, admin); err != nil {
		return nil, err
	}
	keys, err := s.keys(admin)
	if err != nil {
		return nil, err
	}
	doc := did.NewDocument(s.DID(admin))
	for _, k := range keys {
		pub, err := jwk.ParseKey(k.Public)
		if err != nil {
			return nil, fmt.Errorf("%s key %s: %w", admin, k.KID, err)
		}
		switch k.Alg {
		case algES256:
			if err := doc.AddJWK(k.KID, pub, did.AssertionMethod); err != nil {
				return nil, err
			}
		case algEd25519:
			var ed ed25519.PublicKey
			if err := pub.Raw(&ed); err != nil {
				return nil, fmt.Errorf("%s key %s: %w", admin, k.KID, err)
			}
			doc.AddEd25519(k.KID, ed, did.AssertionMethod)
		}
	}
	return doc, nil
}

// ResolveDID implements did.Resolver for this deployment's administrations.
func (s *Service) ResolveDID(ctx context.Context, id string) (*did.Document, error) {
	prefix := didWeb(s.cfg.DIDDomain, "")
	admin, ok := strings.CutPrefix(id, prefix)
	if !ok || admin == "" {
		return nil, fmt.Errorf("%w: %s is not an administration of this deployment", did.ErrNotFound, id)
	}
	doc, err := s.DIDDocument(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", did.ErrNotFound, id, err)
	}
	return doc, nil
}

// didWeb is the did:web of an administration: did:web:<domain>:issuers:<id>.
func didWeb(domain, admin string) string {
	return did.Web(domain, "issuers", admin)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
