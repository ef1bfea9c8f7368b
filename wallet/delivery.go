package wallet

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Delivery kinds: what an inbox item carries.
const (
	// DeliveryCredential carries a credential as issued (SD-JWT compact or
	// JSON-LD). It is checked by the CredentialChecker when opened.
	DeliveryCredential = "credential"
	// DeliveryReceipt carries a Receipt as JSON (ID ignored).
	DeliveryReceipt = "receipt"
	// DeliveryEvent carries an Event as JSON (Seq ignored), for things that
	// happened while the citizen was away (an administration read their data).
	DeliveryEvent = "event"
)

// DeliveryContentType is the JWE "cty" of an Espai delivery: the plaintext is
// a Delivery envelope in JSON.
const DeliveryContentType = "espai-delivery+json"

// deliveryV1 is the version of the Delivery envelope.
const deliveryV1 = 1

// Delivery is the versioned envelope inside a delivery JWE:
//
//	{"v":1,"kind":"credential","from":"did:web:...","payload":"<base64>"}
type Delivery struct {
	Kind    string // DeliveryCredential, DeliveryReceipt or DeliveryEvent
	From    string // optional: the sending administration, shown to the citizen
	Payload []byte
}

type deliveryJSON struct {
	V       int    `json:"v"`
	Kind    string `json:"kind"`
	From    string `json:"from,omitempty"`
	Payload []byte `json:"payload"`
}

// SealForDelivery builds the compact JWE an issuer hands to Wallet.Deliver:
// payload of the given kind, encrypted to the citizen's delivery key pub
// (PublicKeys.Delivery) with ECDH-ES+A256KW and A256GCM, kid set, no
// compression.
func SealForDelivery(pub jwk.Key, kind string, payload []byte) ([]byte, error) {
	return SealDelivery(pub, Delivery{Kind: kind, Payload: payload})
}

// SealDelivery is SealForDelivery with the sender named.
func SealDelivery(pub jwk.Key, d Delivery) ([]byte, error) {
	if pub == nil || pub.KeyType() != jwa.EC || pub.KeyID() == "" {
		return nil, errors.New("wallet: delivery key must be the citizen's P-256 public JWK with its kid")
	}
	if _, err := pub.PublicKey(); err != nil {
		return nil, fmt.Errorf("wallet: delivery key: %w", err)
	}
	pt, err := json.Marshal(deliveryJSON{V: deliveryV1, Kind: d.Kind, From: d.From, Payload: d.Payload})
	if err != nil {
		return nil, err
	}
	if _, err := parseDelivery(pt); err != nil {
		return nil, err
	}
	h := jwe.NewHeaders()
	if err := h.Set(jwe.ContentTypeKey, DeliveryContentType); err != nil {
		return nil, err
	}
	return jwe.Encrypt(pt, jwe.WithKey(jwa.ECDH_ES_A256KW, pub), jwe.WithContentEncryption(jwa.A256GCM), jwe.WithProtectedHeaders(h))
}

const (
	maxDeliveryFrom    = 256
	maxDeliveryPayload = 16 << 20
)

// parseDelivery decodes and checks a Delivery envelope (outside input: it
// comes from whoever holds the public key).
func parseDelivery(pt []byte) (*Delivery, error) {
	dec := json.NewDecoder(bytes.NewReader(pt))
	dec.DisallowUnknownFields()
	var d deliveryJSON
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: envelope: %v", ErrBadDelivery, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: envelope: trailing data", ErrBadDelivery)
	}
	switch {
	case d.V != deliveryV1:
		return nil, fmt.Errorf("%w: envelope version %d, want %d", ErrBadDelivery, d.V, deliveryV1)
	case d.Kind != DeliveryCredential && d.Kind != DeliveryReceipt && d.Kind != DeliveryEvent:
		return nil, fmt.Errorf("%w: envelope kind %q", ErrBadDelivery, d.Kind)
	case len(d.Payload) == 0 || len(d.Payload) > maxDeliveryPayload:
		return nil, fmt.Errorf("%w: envelope payload empty or too large", ErrBadDelivery)
	case len(d.From) > maxDeliveryFrom:
		return nil, fmt.Errorf("%w: envelope sender too long", ErrBadDelivery)
	}
	return &Delivery{Kind: d.Kind, From: d.From, Payload: d.Payload}, nil
}

// jweHeader is the protected header of a delivery JWE.
type jweHeader struct {
	Alg string          `json:"alg"`
	Enc string          `json:"enc"`
	Kid string          `json:"kid"`
	Cty string          `json:"cty"`
	EPK json.RawMessage `json:"epk"`
}

var b64 = base64.RawURLEncoding

// checkDeliveryJWE validates a compact JWE before it is stored: five
// base64url parts with the sizes A256KW/A256GCM give, and a protected header
// with exactly the expected algorithms, no compression ("zip": refused so a
// small message cannot inflate when opened), no "crit", no duplicate
// members, the content type of a delivery and the citizen's delivery kid.
// It does not decrypt (the server cannot).
func checkDeliveryJWE(raw []byte, wantKID string, maxSize int) error {
	if len(raw) > maxSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrBadDelivery, len(raw), maxSize)
	}
	parts := bytes.Split(raw, []byte("."))
	if len(parts) != 5 {
		return fmt.Errorf("%w: not a compact JWE (want 5 parts, got %d)", ErrBadDelivery, len(parts))
	}
	var dec [5][]byte
	for i, p := range parts {
		d, err := b64.DecodeString(string(p))
		if err != nil {
			return fmt.Errorf("%w: part %d is not base64url", ErrBadDelivery, i+1)
		}
		dec[i] = d
	}
	// A256KW of a 32-byte CEK is 40 bytes; A256GCM has a 96-bit IV and a 128-bit tag.
	if len(dec[1]) != 40 || len(dec[2]) != 12 || len(dec[3]) == 0 || len(dec[4]) != 16 {
		return fmt.Errorf("%w: part sizes do not match ECDH-ES+A256KW with A256GCM", ErrBadDelivery)
	}
	h, err := parseJWEHeader(dec[0])
	if err != nil {
		return err
	}
	switch {
	case h.Alg != string(jwa.ECDH_ES_A256KW):
		return fmt.Errorf("%w: alg %q, want ECDH-ES+A256KW", ErrBadDelivery, h.Alg)
	case h.Enc != string(jwa.A256GCM):
		return fmt.Errorf("%w: enc %q, want A256GCM", ErrBadDelivery, h.Enc)
	case h.Cty != DeliveryContentType:
		return fmt.Errorf("%w: cty %q, want %s", ErrBadDelivery, h.Cty, DeliveryContentType)
	case h.Kid != wantKID:
		return fmt.Errorf("%w: kid does not name this citizen's delivery key", ErrBadDelivery)
	}
	var epk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
	}
	if err := json.Unmarshal(h.EPK, &epk); err != nil || epk.Kty != "EC" || epk.Crv != "P-256" {
		return fmt.Errorf("%w: epk must be a P-256 EC key", ErrBadDelivery)
	}
	return nil
}

// allowedHeader lists the protected header members a delivery may carry.
var allowedHeader = map[string]bool{"alg": true, "enc": true, "kid": true, "cty": true, "epk": true, "typ": true, "apu": true, "apv": true}

func parseJWEHeader(raw []byte) (*jweHeader, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("%w: protected header is not a JSON object", ErrBadDelivery)
	}
	seen := map[string]bool{}
	members := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: protected header: %v", ErrBadDelivery, err)
		}
		name, _ := t.(string)
		if seen[name] {
			return nil, fmt.Errorf("%w: protected header repeats %q", ErrBadDelivery, name)
		}
		seen[name] = true
		if !allowedHeader[name] {
			return nil, fmt.Errorf("%w: protected header member %q not allowed (zip and crit are refused)", ErrBadDelivery, name)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: protected header: %v", ErrBadDelivery, err)
		}
		members[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: protected header: %v", ErrBadDelivery, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: protected header: trailing data", ErrBadDelivery)
	}
	var h jweHeader
	for name, dst := range map[string]*string{"alg": &h.Alg, "enc": &h.Enc, "kid": &h.Kid, "cty": &h.Cty} {
		if v, ok := members[name]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				return nil, fmt.Errorf("%w: protected header %q is not a string", ErrBadDelivery, name)
			}
		}
	}
	h.EPK = members["epk"]
	return &h, nil
}
