package wallet

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"

	"github.com/espai/espai/internal/did"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"golang.org/x/crypto/chacha20poly1305"
)

// keyMaterialV1 is the version byte of the serialised private key set.
const keyMaterialV1 = 0x01

// keyMaterialSize: version || P-256 scalar (32) || Ed25519 seed (32) || data key (32).
const keyMaterialSize = 1 + 32 + ed25519.SeedSize + chacha20poly1305.KeySize

// keySet is a citizen's private keys, held only by an unlocked session.
type keySet struct {
	delivery *ecdsa.PrivateKey // P-256, JWE ECDH-ES+A256KW recipient
	holder   ed25519.PrivateKey
	data     []byte // 256-bit record key
}

func newKeySet() (*keySet, error) {
	d, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate delivery key: %w", err)
	}
	_, h, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate holder key: %w", err)
	}
	return &keySet{delivery: d, holder: h, data: randomBytes(chacha20poly1305.KeySize)}, nil
}

// marshal serialises the key set. The caller clears the result after use.
func (k *keySet) marshal() ([]byte, error) {
	scalar, err := k.delivery.Bytes()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, keyMaterialSize)
	out = append(out, keyMaterialV1)
	out = append(out, scalar...)
	out = append(out, k.holder.Seed()...)
	out = append(out, k.data...)
	clear(scalar)
	return out, nil
}

func unmarshalKeySet(b []byte) (*keySet, error) {
	if len(b) != keyMaterialSize || b[0] != keyMaterialV1 {
		return nil, errors.New("key material: bad length or version")
	}
	d, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b[1:33])
	if err != nil {
		return nil, fmt.Errorf("key material: delivery key: %w", err)
	}
	return &keySet{
		delivery: d,
		holder:   ed25519.NewKeyFromSeed(b[33:65]),
		data:     append([]byte(nil), b[65:]...),
	}, nil
}

// wipe clears the byte slices the key set owns. Go cannot guarantee that no
// copy survives elsewhere in memory (the ecdsa scalar is a big.Int-free
// internal value; the AEAD keeps its own copy): see docs/wallet.md.
func (k *keySet) wipe() {
	if k == nil {
		return
	}
	clear(k.holder)
	clear(k.data)
	k.delivery = nil
}

// LogValue redacts the key set.
func (k *keySet) LogValue() slog.Value { return redacted() }

// PublicKeys are a citizen's public keys, readable while the wallet is
// locked: issuers bind credentials to the holder key and encrypt deliveries
// to the delivery key.
type PublicKeys struct {
	// Delivery is the P-256 public JWK for JWE ECDH-ES+A256KW; its kid is the
	// RFC 7638 thumbprint, which deliveries must carry.
	Delivery jwk.Key
	// Holder is the Ed25519 holder public key.
	Holder ed25519.PublicKey
	// HolderJWK is Holder as an OKP JWK (kid = thumbprint), for SD-JWT cnf.jwk.
	HolderJWK jwk.Key
	// HolderDID is the did:key of Holder (z6Mk...), the JSON-LD subject id.
	HolderDID string
	// HolderMethod is the did:key verification method id (did#fingerprint).
	HolderMethod string
}

// DeliveryKeyID is the kid a delivery must carry.
func (p *PublicKeys) DeliveryKeyID() string { return p.Delivery.KeyID() }

func publicKeys(delivery *ecdsa.PublicKey, holder ed25519.PublicKey) (*PublicKeys, error) {
	dj, err := publicJWK(delivery)
	if err != nil {
		return nil, err
	}
	hj, err := publicJWK(holder)
	if err != nil {
		return nil, err
	}
	didKey, method := did.KeyDID(holder)
	return &PublicKeys{Delivery: dj, Holder: holder, HolderJWK: hj, HolderDID: didKey, HolderMethod: method}, nil
}

func publicJWK(pub crypto.PublicKey) (jwk.Key, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return nil, fmt.Errorf("public jwk: %w", err)
	}
	if err := jwk.AssignKeyID(k); err != nil {
		return nil, fmt.Errorf("public jwk: %w", err)
	}
	return k, nil
}
