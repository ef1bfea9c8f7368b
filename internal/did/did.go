// Package did holds the small part of W3C DID Core that Espai needs: DID
// documents for the administrations' did:web identities, did:key for citizens'
// holder keys, and key lookup by verification relationship.
//
// # Security
//
// A key is only ever returned for a verification method that the document
// lists under the relationship the caller asks for (assertionMethod for
// credentials, authentication for presentations) and whose controller is the
// document's own DID. Key material embedded in a token header is never
// trusted; keys come from documents resolved through a Resolver the caller
// controls.
//
// # Caveats
//
// Only the verification method types Espai issues are understood:
// JsonWebKey2020 (publicKeyJwk: P-256 or Ed25519) and Ed25519VerificationKey2020
// (publicKeyMultibase). did:web is resolved by the caller (locally from the
// issuer store, or over HTTP); this package only maps the DID to its URL.
package did

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/hyperledger/aries-framework-go/pkg/vdr/fingerprint"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Verification relationships.
const (
	AssertionMethod = "assertionMethod"
	Authentication  = "authentication"
)

// Verification method types.
const (
	TypeJWK2020        = "JsonWebKey2020"
	TypeEd25519Key2020 = "Ed25519VerificationKey2020"
)

// Context URLs of a DID document.
var documentContext = []string{
	"https://www.w3.org/ns/did/v1",
	"https://w3id.org/security/suites/jws-2020/v1",
	"https://w3id.org/security/suites/ed25519-2020/v1",
}

var (
	// ErrNotFound means the DID or verification method does not exist: the
	// credential or presentation that names it is invalid.
	ErrNotFound = errors.New("did: not found")
	// ErrNotAuthorized means the method exists but is not listed under the
	// requested relationship (for example a key only for authentication used to
	// sign a credential): refuse the signature.
	ErrNotAuthorized = errors.New("did: verification method not authorised for this purpose")
	// ErrMalformed means a DID, DID URL or document is syntactically invalid.
	ErrMalformed = errors.New("did: malformed")
)

// Resolver returns the DID document for a DID. Implementations return an error
// wrapping ErrNotFound for unknown DIDs.
type Resolver interface {
	ResolveDID(ctx context.Context, did string) (*Document, error)
}

// VerificationMethod is one public key of a DID document.
type VerificationMethod struct {
	ID                 string          `json:"id"`
	Type               string          `json:"type"`
	Controller         string          `json:"controller"`
	PublicKeyJwk       json.RawMessage `json:"publicKeyJwk,omitempty"`
	PublicKeyMultibase string          `json:"publicKeyMultibase,omitempty"`
}

// Document is a DID document.
type Document struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	VerificationMethod []VerificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod,omitempty"`
	Authentication     []string             `json:"authentication,omitempty"`
}

// NewDocument returns an empty document for id.
func NewDocument(id string) *Document {
	return &Document{Context: append([]string(nil), documentContext...), ID: id}
}

// AddJWK adds a JsonWebKey2020 method with the public part of key, listed under
// the given relationships. The method id is did#fragment.
func (d *Document) AddJWK(fragment string, key jwk.Key, relationships ...string) error {
	pub, err := key.PublicKey()
	if err != nil {
		return fmt.Errorf("did: public key: %w", err)
	}
	// The document carries only what a verifier needs: no kid/alg duplication.
	for _, f := range []string{jwk.KeyIDKey, jwk.KeyUsageKey} {
		_ = pub.Remove(f)
	}
	raw, err := json.Marshal(pub)
	if err != nil {
		return err
	}
	d.add(VerificationMethod{ID: d.ID + "#" + fragment, Type: TypeJWK2020, Controller: d.ID, PublicKeyJwk: raw}, relationships)
	return nil
}

// AddEd25519 adds an Ed25519VerificationKey2020 method (publicKeyMultibase).
func (d *Document) AddEd25519(fragment string, pub ed25519.PublicKey, relationships ...string) {
	d.add(VerificationMethod{ID: d.ID + "#" + fragment, Type: TypeEd25519Key2020, Controller: d.ID, PublicKeyMultibase: fingerprint.KeyFingerprint(fingerprint.ED25519PubKeyMultiCodec, pub)}, relationships)
}

func (d *Document) add(vm VerificationMethod, relationships []string) {
	d.VerificationMethod = append(d.VerificationMethod, vm)
	for _, r := range relationships {
		switch r {
		case AssertionMethod:
			d.AssertionMethod = append(d.AssertionMethod, vm.ID)
		case Authentication:
			d.Authentication = append(d.Authentication, vm.ID)
		}
	}
}

// Key returns the public key of method id if the document lists it under
// relationship. Relative ids ("#key-1") are resolved against the document.
func (d *Document) Key(id, relationship string) (crypto.PublicKey, error) {
	if strings.HasPrefix(id, "#") {
		id = d.ID + id
	}
	var vm *VerificationMethod
	for i := range d.VerificationMethod {
		if d.VerificationMethod[i].ID == id {
			vm = &d.VerificationMethod[i]
		}
	}
	if vm == nil {
		return nil, fmt.Errorf("%w: verification method %q in %s", ErrNotFound, id, d.ID)
	}
	if vm.Controller != d.ID {
		return nil, fmt.Errorf("%w: %q is controlled by %q, not %q", ErrNotAuthorized, id, vm.Controller, d.ID)
	}
	var listed []string
	switch relationship {
	case AssertionMethod:
		listed = d.AssertionMethod
	case Authentication:
		listed = d.Authentication
	default:
		return nil, fmt.Errorf("%w: unknown relationship %q", ErrMalformed, relationship)
	}
	ok := false
	for _, l := range listed {
		if l == id || (strings.HasPrefix(l, "#") && d.ID+l == id) {
			ok = true
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q is not an %s of %s", ErrNotAuthorized, id, relationship, d.ID)
	}
	return vm.PublicKey()
}

// PublicKey decodes the method's key: *ecdsa.PublicKey or ed25519.PublicKey.
func (vm *VerificationMethod) PublicKey() (crypto.PublicKey, error) {
	switch vm.Type {
	case TypeJWK2020:
		k, err := jwk.ParseKey(vm.PublicKeyJwk)
		if err != nil {
			return nil, fmt.Errorf("%w: %s publicKeyJwk: %v", ErrMalformed, vm.ID, err)
		}
		if priv, _ := jwk.IsPrivateKey(k); priv {
			return nil, fmt.Errorf("%w: %s publishes a private key", ErrMalformed, vm.ID)
		}
		var raw any
		if err := k.Raw(&raw); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, vm.ID, err)
		}
		return publicOnly(raw, vm.ID)
	case TypeEd25519Key2020:
		pub, code, err := pubKeyFromFingerprint(vm.PublicKeyMultibase)
		if err != nil || code != fingerprint.ED25519PubKeyMultiCodec || len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: %s publicKeyMultibase is not an Ed25519 key", ErrMalformed, vm.ID)
		}
		return ed25519.PublicKey(pub), nil
	default:
		return nil, fmt.Errorf("%w: %s has unsupported type %q", ErrMalformed, vm.ID, vm.Type)
	}
}

func publicOnly(raw any, id string) (crypto.PublicKey, error) {
	switch k := raw.(type) {
	case ed25519.PublicKey:
		return k, nil
	case interface{ Equal(crypto.PublicKey) bool }:
		return k, nil
	default:
		return nil, fmt.Errorf("%w: %s key type %T", ErrMalformed, id, raw)
	}
}

// Web returns the did:web identifier for domain (already percent-encoded for a
// port, as "host%3A8443") and path segments: Web("espai.localhost", "issuers",
// "atc") = "did:web:espai.localhost:issuers:atc".
func Web(domain string, path ...string) string {
	parts := append([]string{"did", "web", domain}, path...)
	return strings.Join(parts, ":")
}

// WebURL maps a did:web DID to the URL of its document, per the did:web method
// spec: did:web:host:a:b -> https://host/a/b/did.json and did:web:host ->
// https://host/.well-known/did.json. A non-empty base replaces "https://host" so
// that a development deployment can be reached over plain HTTP on loopback.
func WebURL(did, base string) (string, error) {
	rest, ok := strings.CutPrefix(did, "did:web:")
	if !ok || rest == "" {
		return "", fmt.Errorf("%w: %q is not a did:web", ErrMalformed, did)
	}
	segs := strings.Split(rest, ":")
	host, err := url.PathUnescape(segs[0])
	if err != nil || host == "" || strings.ContainsAny(host, "/?#@") {
		return "", fmt.Errorf("%w: did:web host in %q", ErrMalformed, did)
	}
	for _, s := range segs[1:] {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/?#%@") {
			return "", fmt.Errorf("%w: did:web path segment %q in %q", ErrMalformed, s, did)
		}
	}
	if base == "" {
		base = "https://" + host
	}
	base = strings.TrimRight(base, "/")
	if len(segs) == 1 {
		return base + "/.well-known/did.json", nil
	}
	return base + "/" + strings.Join(segs[1:], "/") + "/did.json", nil
}

// SplitURL splits a DID URL "did:...#frag" into the DID and the fragment.
func SplitURL(u string) (did, fragment string, err error) {
	did, fragment, ok := strings.Cut(u, "#")
	if !ok || !strings.HasPrefix(did, "did:") || fragment == "" || strings.ContainsAny(fragment, "/?#") {
		return "", "", fmt.Errorf("%w: DID URL %q", ErrMalformed, u)
	}
	return did, fragment, nil
}

// KeyDID returns the did:key of an Ed25519 public key and its verification
// method id.
func KeyDID(pub ed25519.PublicKey) (did, methodID string) {
	return fingerprint.CreateDIDKey(pub)
}

// KeyDocument expands an Ed25519 did:key into its document: one method,
// listed for authentication and assertion (the did:key method spec).
func KeyDocument(didKey string) (*Document, error) {
	method, ok := strings.CutPrefix(didKey, "did:key:")
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a did:key", ErrMalformed, didKey)
	}
	pub, code, err := pubKeyFromFingerprint(method)
	if err != nil || code != fingerprint.ED25519PubKeyMultiCodec || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %q is not an Ed25519 did:key", ErrMalformed, didKey)
	}
	// The decoder takes a non-minimal multicodec varint (0xed 0x81 0x00) or
	// leading zero bytes, which would give one key several DIDs; only the
	// canonical encoding is that key's DID (found by FuzzKeyDocument).
	if canonical, _ := KeyDID(ed25519.PublicKey(pub)); canonical != didKey {
		return nil, fmt.Errorf("%w: %q is not the canonical did:key of its key", ErrMalformed, didKey)
	}
	d := NewDocument(didKey)
	d.AddEd25519(method, ed25519.PublicKey(pub), AssertionMethod, Authentication)
	return d, nil
}

// pubKeyFromFingerprint is aries' fingerprint.PubKeyFromFingerprint with its
// panics turned into errors. A did:key or publicKeyMultibase comes from
// outside, and aries panics on some: its base58 decoder (btcutil) indexes a
// 256-entry table by rune, so any character above U+00FF panics, and a
// BLS12-381 G1G2 multicodec with a short key slices out of range (both found
// by FuzzKeyDocument).
func pubKeyFromFingerprint(s string) (pub []byte, code uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			pub, code, err = nil, 0, fmt.Errorf("multibase key: %v", r)
		}
	}()
	return fingerprint.PubKeyFromFingerprint(s)
}
