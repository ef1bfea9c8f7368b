// Package trust is the Espai trust list: a JWT signed by the trust scheme
// operator (the Consorci AOC in the demo) naming each administration's DID and
// the credential types it may issue. Issuers publish it; verifiers pin the
// operator's public key and consult it for every credential, so a tax
// credential signed by a university is refused even though its signature is
// valid.
//
// Wire format: a compact JWS, header {"alg":"ES256","typ":"trustlist+jwt","kid":...},
// payload {"iss","iat","exp","entities":[{"id","admin","name","types"}]}.
//
// # Security
//
// Verify pins the algorithm to the anchor key's type (ES256 for P-256), refuses
// any other typ, and ignores jku/jwk/x5u headers: the only key ever used is the
// pinned anchor. An expired list is refused; verifiers refetch it.
package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Typ is the JWS typ of a trust list.
const Typ = "trustlist+jwt"

// maxList bounds a trust list token: thousands of administrations fit in 1 MB.
const maxList = 1 << 20

// ErrInvalid means the trust list failed verification: keep using the last
// valid list until it expires, then fail closed.
var ErrInvalid = errors.New("trust list invalid")

// Entity is one administration on the list.
type Entity struct {
	ID    string   `json:"id"`    // its DID
	Admin string   `json:"admin"` // its short id ("atc")
	Name  string   `json:"name"`
	Types []string `json:"types,omitempty"` // credential types it may issue
	// Purposes are its verifier registrations: what it may ask citizens to
	// present, why, and on what legal basis. Empty: it may not verify.
	Purposes []Purpose `json:"purposes,omitempty"`
}

// Purpose is one registered reason for which an administration may ask for a
// presentation. A request must name a registered purpose and may ask only for
// the registered credential type and a subset of its claims.
type Purpose struct {
	ID         string   `json:"id"`          // "school-admission-residence"
	Title      string   `json:"title"`       // shown to the citizen (Catalan)
	LegalBasis string   `json:"legal_basis"` // "Decret 11/2014, art. 8 (admissió d'alumnes)"
	Type       string   `json:"type"`        // credential type it may ask for
	Claims     []string `json:"claims"`      // claims it may ask for
	// RetentionDays is how long the verifier keeps the presented data.
	RetentionDays int `json:"retention_days"`
}

// ErrNotRegistered means a verifier asked for something its registration does
// not cover: refuse the request and report it to the citizen.
var ErrNotRegistered = errors.New("request not covered by the verifier's registration")

// CheckRequest reports whether the verifier with DID verifierDID may ask for
// claims of a credential of type typ for purpose purposeID. The error names
// what is not covered: an unknown verifier, an unregistered purpose, another
// credential type, or each claim beyond the registration.
func (l *List) CheckRequest(verifierDID, purposeID, typ string, claims []string) (*Purpose, error) {
	e, ok := l.Entity(verifierDID)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a registered administration", ErrNotRegistered, verifierDID)
	}
	var p *Purpose
	for i := range e.Purposes {
		if e.Purposes[i].ID == purposeID {
			p = &e.Purposes[i]
		}
	}
	if p == nil {
		return nil, fmt.Errorf("%w: %s has no registered purpose %q", ErrNotRegistered, e.Name, purposeID)
	}
	if p.Type != typ {
		return nil, fmt.Errorf("%w: purpose %q covers %s credentials, not %s", ErrNotRegistered, purposeID, p.Type, typ)
	}
	var extra []string
	for _, c := range claims {
		if !slices.Contains(p.Claims, c) {
			extra = append(extra, c)
		}
	}
	if len(extra) > 0 {
		return nil, fmt.Errorf("%w: purpose %q does not cover the claims %v", ErrNotRegistered, purposeID, extra)
	}
	return p, nil
}

// List is a verified (or to-be-signed) trust list.
type List struct {
	Issuer   string   `json:"iss"`
	IssuedAt int64    `json:"iat"`
	Expires  int64    `json:"exp"`
	Entities []Entity `json:"entities"`
}

// Allows reports whether the administration with DID issuerDID may issue
// credentials of type typ.
func (l *List) Allows(issuerDID, typ string) bool {
	if l == nil {
		return false
	}
	for _, e := range l.Entities {
		if e.ID == issuerDID {
			return slices.Contains(e.Types, typ)
		}
	}
	return false
}

// Entity returns the entry for a DID.
func (l *List) Entity(issuerDID string) (*Entity, bool) {
	if l == nil {
		return nil, false
	}
	for i := range l.Entities {
		if l.Entities[i].ID == issuerDID {
			return &l.Entities[i], true
		}
	}
	return nil, false
}

// Sign signs the list with the operator's private key (ES256).
func Sign(l *List, key jwk.Key) (string, error) {
	payload, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.TypeKey, Typ)
	if kid := key.KeyID(); kid != "" {
		_ = h.Set(jws.KeyIDKey, kid)
	}
	out, err := jws.Sign(payload, jws.WithKey(jwa.ES256, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("sign trust list: %w", err)
	}
	return string(out), nil
}

// Verify checks token against the pinned operator keys and returns the list.
// It refuses a list signed by any other key, with another algorithm or typ,
// or outside its validity window.
func Verify(token []byte, anchors []jwk.Key, now time.Time) (*List, error) {
	if len(token) > maxList {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, maxList)
	}
	msg, err := jws.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(msg.Signatures()) != 1 {
		return nil, fmt.Errorf("%w: want exactly one signature", ErrInvalid)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if h.Type() != Typ {
		return nil, fmt.Errorf("%w: typ %q, want %q", ErrInvalid, h.Type(), Typ)
	}
	if h.Algorithm() != jwa.ES256 {
		return nil, fmt.Errorf("%w: alg %q, want ES256", ErrInvalid, h.Algorithm())
	}
	var payload []byte
	for _, a := range anchors {
		if p, err := jws.Verify(token, jws.WithKey(jwa.ES256, a)); err == nil {
			payload = p
			break
		}
	}
	if payload == nil {
		return nil, fmt.Errorf("%w: signature does not verify with the pinned operator key", ErrInvalid)
	}
	var l List
	if err := json.Unmarshal(payload, &l); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	if n := now.Unix(); n < l.IssuedAt-60 || n >= l.Expires {
		return nil, fmt.Errorf("%w: outside its validity window (iat %d, exp %d)", ErrInvalid, l.IssuedAt, l.Expires)
	}
	return &l, nil
}
