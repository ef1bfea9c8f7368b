// Package mfatest is a software WebAuthn authenticator, and the browser
// around it, for tests of passkeys without a browser: one ES256 credential,
// "none" attestation, answers built byte by byte as an authenticator and a
// browser would build them (the JSON of a PublicKeyCredential, binary
// members in base64url). It verifies nothing: what is under test is the
// relying party's verification. Each field can be changed to make a bad
// answer (another origin, RP ID, key or counter).
package mfatest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

var b64 = base64.RawURLEncoding

// Authenticator is one passkey on a software authenticator, used from one
// origin.
type Authenticator struct {
	T       testing.TB
	Origin  string // the origin the "browser" reports in the client data
	RPID    string // the RP ID whose hash the "authenticator" signs
	ID      []byte // the credential id
	Key     *ecdsa.PrivateKey
	Counter uint32 // the signature counter of the last answer
	Handle  []byte // the user handle given at creation
}

// New makes a passkey for rpID, used from origin.
func New(t testing.TB, rpID, origin string) *Authenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &Authenticator{T: t, Origin: origin, RPID: rpID, ID: id, Key: key}
}

// IDString is the credential id in base64url, as the relying party lists it.
func (a *Authenticator) IDString() string { return b64.EncodeToString(a.ID) }

// Options is what a test reads of the relying party's options.
type Options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		Allow []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// ParseOptions reads the options of navigator.credentials.create or .get.
func ParseOptions(t testing.TB, raw []byte) Options {
	t.Helper()
	var o Options
	if err := json.Unmarshal(raw, &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("options %s: %v", raw, err)
	}
	return o
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) authData(flags byte, counter uint32, extra []byte) []byte {
	h := sha256.Sum256([]byte(a.RPID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, counter)
	return append(out, extra...)
}

// Create answers navigator.credentials.create with options.
func (a *Authenticator) Create(options []byte) []byte {
	a.T.Helper()
	o := ParseOptions(a.T, options)
	a.Handle, _ = b64.DecodeString(o.PublicKey.User.ID)
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1, // P-256
		XCoord:        a.Key.X.FillBytes(make([]byte, 32)),
		YCoord:        a.Key.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		a.T.Fatal(err)
	}
	att := make([]byte, 16) // AAGUID: none
	att = binary.BigEndian.AppendUint16(att, uint16(len(a.ID)))
	att = append(append(att, a.ID...), cose...)
	// Flags: user present, user verified, attested credential data.
	obj, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(0x45, a.Counter, att)})
	if err != nil {
		a.T.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": a.IDString(), "rawId": a.IDString(), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(obj),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return out
}

// Get answers navigator.credentials.get with options, the counter one up.
func (a *Authenticator) Get(options []byte) []byte {
	a.T.Helper()
	a.Counter++
	return a.GetAt(options, a.Counter)
}

// GetAt answers navigator.credentials.get with a chosen signature counter
// (Counter stays as it is).
func (a *Authenticator) GetAt(options []byte, counter uint32) []byte {
	a.T.Helper()
	o := ParseOptions(a.T, options)
	ad := a.authData(0x05, counter, nil) // user present, user verified
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	cdh := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), ad...), cdh[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		a.T.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": a.IDString(), "rawId": a.IDString(), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.Handle),
		},
		"clientExtensionResults": map[string]any{},
	})
	return out
}
