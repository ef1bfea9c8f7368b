package mfa

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	bolt "go.etcd.io/bbolt"
)

// Passkeys (WebAuthn) as the second factor. Every verification (client data,
// origin, RP ID hash, flags, COSE keys, signatures) is go-webauthn's; this
// file keeps the credentials and the ceremonies.

const (
	passkeySealLabel = "espai/mfa/passkeys/v1"
	// CeremonyFor bounds a ceremony from its options to its answer, like
	// a pending login.
	CeremonyFor = 5 * time.Minute
	// MaxPasskeys is how many passkeys a citizen may register.
	MaxPasskeys = 10
	// MaxPasskeyName is the longest name (in characters) of a passkey.
	MaxPasskeyName = 60
	passkeyVersion = 1
	userHandleLen  = 32 // random bytes of the WebAuthn user handle
)

// RelyingParty is this deployment as WebAuthn sees it.
type RelyingParty struct {
	ID     string // a host name, never an IP address
	Origin string // the only origin assertions may come from
}

// RelyingPartyFor derives the relying party from the deployment's public URL
// (espai serve --public-url): its host name is the RP ID and its origin the
// only origin accepted. WebAuthn refuses IP addresses as RP IDs, and browsers
// offer it only in secure contexts (https, or http on localhost). A loopback
// address (the default http://127.0.0.1:8080) therefore maps to localhost on
// the same scheme and port: passkeys work when the browser opens
// http://localhost:8080. Any other IP address, or plain http on another
// host: ErrNoRelyingParty.
func RelyingPartyFor(publicBase string) (RelyingParty, error) {
	u, err := url.Parse(publicBase)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return RelyingParty{}, fmt.Errorf("%w: public URL %q", ErrNoRelyingParty, publicBase)
	}
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return RelyingParty{}, fmt.Errorf("%w: %s is an IP address", ErrNoRelyingParty, host)
		}
		host = "localhost"
	}
	if u.Scheme == "http" && host != "localhost" && !strings.HasSuffix(host, ".localhost") {
		return RelyingParty{}, fmt.Errorf("%w: %s is served over plain http", ErrNoRelyingParty, host)
	}
	if err := protocol.ValidateRPID(host); err != nil {
		return RelyingParty{}, fmt.Errorf("%w: %v", ErrNoRelyingParty, err)
	}
	origin := u.Scheme + "://" + host
	if p := u.Port(); p != "" {
		origin += ":" + p
	}
	return RelyingParty{ID: host, Origin: origin}, nil
}

// Passkey is one of a citizen's passkeys, as settings list them.
type Passkey struct {
	ID       string // base64url of the credential id
	Name     string // the citizen's name for it
	Created  time.Time
	LastUsed time.Time // zero: never used to log in
	// Blocked: its signature counter did not move forward, so it may have
	// been copied; it is refused until the citizen removes it.
	Blocked bool
}

// passkeyRecord is everything kept for a citizen's passkeys, sealed under
// the citizen's id.
type passkeyRecord struct {
	V int `json:"v"`
	// Handle is the WebAuthn user handle: random, stable for the citizen,
	// never the DNI (authenticators keep it and may sync it).
	Handle []byte          `json:"handle"`
	Keys   []storedPasskey `json:"keys"`
}

type storedPasskey struct {
	Name       string              `json:"name"`
	Created    time.Time           `json:"created"`
	LastUsed   time.Time           `json:"lastUsed,omitzero"`
	Credential webauthn.Credential `json:"credential"`
}

func (k storedPasskey) view() Passkey {
	return Passkey{ID: base64.RawURLEncoding.EncodeToString(k.Credential.ID), Name: k.Name, Created: k.Created,
		LastUsed: k.LastUsed, Blocked: k.Credential.Authenticator.CloneWarning}
}

func (s *Store) getPasskeys(tx *bolt.Tx, citizen string) (*passkeyRecord, error) {
	raw := tx.Bucket(bucketPasskeys).Get([]byte(citizen))
	if raw == nil {
		return nil, nil
	}
	pt, err := s.sealer.Open(passkeySealLabel, raw, []byte(citizen))
	if err != nil {
		return nil, fmt.Errorf("mfa: passkeys of a citizen are damaged: %w", err)
	}
	var r passkeyRecord
	if err := json.Unmarshal(pt, &r); err != nil || r.V != passkeyVersion || len(r.Handle) != userHandleLen {
		return nil, fmt.Errorf("mfa: passkeys of a citizen are damaged (version %d)", r.V)
	}
	return &r, nil
}

func (s *Store) putPasskeys(tx *bolt.Tx, citizen string, r *passkeyRecord) error {
	pt, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(passkeySealLabel, pt, []byte(citizen))
	if err != nil {
		return err
	}
	return tx.Bucket(bucketPasskeys).Put([]byte(citizen), sealed)
}

// ListPasskeys lists citizen's passkeys, oldest first.
func (s *Store) ListPasskeys(_ context.Context, citizen string) ([]Passkey, error) {
	var out []Passkey
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := s.getPasskeys(tx, citizen)
		if err != nil || r == nil {
			return err
		}
		for _, k := range r.Keys {
			out = append(out, k.view())
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// RemovePasskey removes one of citizen's passkeys by its id (ErrNoPasskey
// when citizen has none with that id) and returns it.
func (s *Store) RemovePasskey(_ context.Context, citizen, id string) (*Passkey, error) {
	credID, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(credID) == 0 {
		return nil, ErrNoPasskey
	}
	var removed *Passkey
	err = s.db.Update(func(tx *bolt.Tx) error {
		r, err := s.getPasskeys(tx, citizen)
		if err != nil {
			return err
		}
		if r == nil {
			return ErrNoPasskey
		}
		for i, k := range r.Keys {
			if bytes.Equal(k.Credential.ID, credID) {
				v := k.view()
				removed = &v
				r.Keys = append(r.Keys[:i], r.Keys[i+1:]...)
				// The record stays, with its user handle, so that the
				// handle is stable for the citizen's next passkeys.
				return s.putPasskeys(tx, citizen, r)
			}
		}
		return ErrNoPasskey
	})
	return removed, err
}

// Forget removes every second factor of citizen: TOTP and passkeys
// (erasure of the citizen's space).
func (s *Store) Forget(_ context.Context, citizen string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return errors.Join(tx.Bucket(bucketFactors).Delete([]byte(citizen)), tx.Bucket(bucketPasskeys).Delete([]byte(citizen)))
	})
}

// CheckPasskeyName trims name and checks it: 1 to MaxPasskeyName
// characters, no control characters.
func CheckPasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxPasskeyName {
		return "", ErrPasskeyName
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "", ErrPasskeyName
		}
	}
	return name, nil
}

// Passkeys runs WebAuthn ceremonies for one relying party over a Store.
type Passkeys struct {
	s  *Store
	wa *webauthn.WebAuthn
	rp RelyingParty
}

// Passkeys returns the WebAuthn side of the store for rp (see
// RelyingPartyFor).
func (s *Store) Passkeys(rp RelyingParty) (*Passkeys, error) {
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          rp.ID,
		RPDisplayName: Issuer,
		RPOrigins:     []string{rp.Origin},
		// No attestation: which model of authenticator a citizen uses is
		// none of the administration's business, and no policy depends on it.
		AttestationPreference: protocol.PreferNoAttestation,
		// A discoverable credential where the authenticator can (a real
		// passkey); user verification when it can. The passkey is the
		// "something you have"; the passphrase is already "something you
		// know", so a second factor without UV still makes AAL2.
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyFor, TimeoutUVD: CeremonyFor},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyFor, TimeoutUVD: CeremonyFor},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoRelyingParty, err)
	}
	return &Passkeys{s: s, wa: wa, rp: rp}, nil
}

// RelyingParty is the relying party the ceremonies are for.
func (p *Passkeys) RelyingParty() RelyingParty { return p.rp }

// Ceremony is one registration or login in progress: its challenge and
// what the answer must match, kept server-side (by the caller, bound to the
// session or pending login). It is good for one Finish, within CeremonyFor.
type Ceremony struct {
	login   bool
	citizen string
	name    string // registration: the passkey's name
	handle  []byte // registration: the user handle the record must have
	created time.Time
	data    webauthn.SessionData
	used    atomic.Bool
}

// take spends the ceremony if it is one of kind login for citizen and
// still fresh.
func (p *Passkeys) take(c *Ceremony, login bool, citizen string) error {
	if c == nil || c.login != login || c.citizen != citizen || !c.used.CompareAndSwap(false, true) {
		return ErrCeremony
	}
	if age := p.s.now().Sub(c.created); age < 0 || age > CeremonyFor {
		return ErrCeremony
	}
	return nil
}

// passkeyUser is a citizen as go-webauthn sees them.
type passkeyUser struct {
	handle  []byte
	citizen string
	creds   []webauthn.Credential
}

var _ webauthn.User = (*passkeyUser)(nil)

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.citizen }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.citizen }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// userOf is the citizen with the passkeys that can be used (blocked ones
// are left out: an assertion from them fails as unknown).
func userOf(citizen string, r *passkeyRecord) *passkeyUser {
	u := &passkeyUser{handle: r.Handle, citizen: citizen}
	for _, k := range r.Keys {
		if !k.Credential.Authenticator.CloneWarning {
			u.creds = append(u.creds, k.Credential)
		}
	}
	return u
}

func (p *Passkeys) load(citizen string) (*passkeyRecord, error) {
	var r *passkeyRecord
	err := p.s.db.View(func(tx *bolt.Tx) error {
		var err error
		r, err = p.s.getPasskeys(tx, citizen)
		return err
	})
	return r, err
}

// BeginRegistration starts registering a passkey named name for citizen:
// the options for navigator.credentials.create (JSON, binary members in
// base64url) and the ceremony to keep until the answer comes.
func (p *Passkeys) BeginRegistration(_ context.Context, citizen, name string) ([]byte, *Ceremony, error) {
	name, err := CheckPasskeyName(name)
	if err != nil {
		return nil, nil, err
	}
	r, err := p.load(citizen)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		r = &passkeyRecord{V: passkeyVersion, Handle: make([]byte, userHandleLen)}
		if _, err := rand.Read(r.Handle); err != nil {
			return nil, nil, err
		}
	}
	if len(r.Keys) >= MaxPasskeys {
		return nil, nil, ErrTooManyPasskeys
	}
	all := &passkeyUser{handle: r.Handle, citizen: citizen}
	for _, k := range r.Keys {
		all.creds = append(all.creds, k.Credential)
	}
	// The authenticators already registered (blocked ones too) are
	// excluded: one authenticator, one passkey.
	opts, data, err := p.wa.BeginRegistration(all, webauthn.WithExclusions(webauthn.Credentials(all.creds).CredentialDescriptors()))
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: passkey options: %w", err)
	}
	out, err := json.Marshal(opts)
	if err != nil {
		return nil, nil, err
	}
	return out, &Ceremony{citizen: citizen, name: name, handle: r.Handle, created: p.s.now(), data: *data}, nil
}

// FinishRegistration checks the authenticator's answer (the JSON of the
// PublicKeyCredential, binary members in base64url) against the ceremony
// and keeps the new passkey. Errors: ErrCeremony, ErrWrongPasskey,
// ErrDuplicatePasskey, ErrTooManyPasskeys.
func (p *Passkeys) FinishRegistration(_ context.Context, c *Ceremony, citizen string, response []byte) (*Passkey, error) {
	if err := p.take(c, false, citizen); err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWrongPasskey, err)
	}
	cred, err := p.wa.CreateCredential(&passkeyUser{handle: c.handle, citizen: citizen}, c.data, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWrongPasskey, err)
	}
	var added Passkey
	err = p.s.db.Update(func(tx *bolt.Tx) error {
		r, err := p.s.getPasskeys(tx, citizen)
		if err != nil {
			return err
		}
		if r == nil {
			r = &passkeyRecord{V: passkeyVersion, Handle: c.handle}
		}
		if !bytes.Equal(r.Handle, c.handle) {
			return ErrCeremony // the record was made by another ceremony meanwhile
		}
		if len(r.Keys) >= MaxPasskeys {
			return ErrTooManyPasskeys
		}
		for _, k := range r.Keys {
			if bytes.Equal(k.Credential.ID, cred.ID) {
				return ErrDuplicatePasskey
			}
		}
		k := storedPasskey{Name: c.name, Created: p.s.now().UTC(), Credential: *cred}
		r.Keys = append(r.Keys, k)
		added = k.view()
		return p.s.putPasskeys(tx, citizen, r)
	})
	if err != nil {
		return nil, err
	}
	return &added, nil
}

// BeginLogin starts a login assertion with one of citizen's passkeys: the
// options for navigator.credentials.get and the ceremony to keep.
// ErrNotEnabled when citizen has no usable passkey.
func (p *Passkeys) BeginLogin(_ context.Context, citizen string) ([]byte, *Ceremony, error) {
	r, err := p.load(citizen)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, nil, ErrNotEnabled
	}
	u := userOf(citizen, r)
	if len(u.creds) == 0 {
		return nil, nil, ErrNotEnabled
	}
	opts, data, err := p.wa.BeginLogin(u)
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: passkey options: %w", err)
	}
	out, err := json.Marshal(opts)
	if err != nil {
		return nil, nil, err
	}
	return out, &Ceremony{login: true, citizen: citizen, created: p.s.now(), data: *data}, nil
}

// FinishLogin checks an assertion (the JSON of the PublicKeyCredential)
// against the ceremony and citizen's passkeys, and records its use: the new
// signature counter, the flags, the time. Errors: ErrCeremony,
// ErrWrongPasskey, ErrPasskeyBlocked (the counter did not move forward: the
// passkey is blocked from now on).
func (p *Passkeys) FinishLogin(_ context.Context, c *Ceremony, citizen string, response []byte) error {
	if err := p.take(c, true, citizen); err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWrongPasskey, err)
	}
	blocked := false
	err = p.s.db.Update(func(tx *bolt.Tx) error {
		r, err := p.s.getPasskeys(tx, citizen)
		if err != nil {
			return err
		}
		if r == nil {
			return ErrWrongPasskey
		}
		cred, err := p.wa.ValidateLogin(userOf(citizen, r), c.data, parsed)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrWrongPasskey, err)
		}
		for i := range r.Keys {
			k := &r.Keys[i]
			if !bytes.Equal(k.Credential.ID, cred.ID) {
				continue
			}
			if cred.Authenticator.CloneWarning {
				// go-webauthn reports the counter did not move forward:
				// keep the stored counter, block the passkey, refuse.
				k.Credential.Authenticator.CloneWarning = true
				blocked = true
			} else {
				k.Credential = *cred
				k.LastUsed = p.s.now().UTC()
			}
			return p.s.putPasskeys(tx, citizen, r)
		}
		return ErrWrongPasskey
	})
	if err != nil {
		return err
	}
	if blocked {
		return ErrPasskeyBlocked
	}
	return nil
}
