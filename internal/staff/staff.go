// Package staff holds the accounts of administration staff: who they are,
// which administration they belong to, and their roles (issuer, verifier,
// auditor, admin, services). Systems authenticate to the HTTP API with a
// bearer token; only the token's SHA-256 hash is stored, so the database
// alone does not let anyone act as staff. People sign in to the web consoles
// with a login name and a password, stored as an Argon2id hash. The package
// also keeps each administration's staff action log (actions.go).
//
// An administration's admins manage its accounts: disable and re-enable
// them, change their roles, reset a console password to a temporary one the
// staff member must replace at the next login, and rotate or revoke an API
// token. Every such method takes the acting administration and finds no
// account of another one (ErrNotFound): an admin of one administration can
// neither see nor change another's staff. No change may leave an
// administration without an active admin (ErrLastAdmin).
//
// # Security
//
// Tokens are 256 random bits (base64url). Lookups compare hashes, so timing
// reveals nothing useful about a token. A staff member of one administration
// can act only for that administration; auditors read only. Console
// passwords are Argon2id (19 MiB, 2 passes, 16-byte salt); an unknown login
// name costs the same as a wrong password. A disabled account neither signs
// in nor authenticates with its token. Temporary passwords (about 80 random
// bits) expire after TemporaryPasswordTTL. Rate limiting of console logins,
// ending the console sessions of a disabled account and the consoles'
// optional second factor (TOTP, kept by internal/mfa under "staff:" and the
// account's id) are the web layer's.
//
// # Storage
//
// Schema 2 (schema 1 is migrated in place when the database is opened):
// staff_accounts maps an account id to the account (and the hash of its
// current token), staff_tokens a token hash to an account id, staff_logins a
// login name to its password hash and account id, and staff_actions holds
// one sub-bucket per administration of append-only actions.
//
// # Caveats
//
// Demo data directories get well-known demo tokens ("demo-atc-issuer"), printed
// in the README; never use --demo for a real deployment.
package staff

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Roles.
const (
	RoleIssuer   = "issuer"   // issue, revoke, suspend credentials of their administration
	RoleVerifier = "verifier" // open presentation requests, scan QR codes, query registers (Via Oberta)
	RoleAuditor  = "auditor"  // read the ledger and statistics; no personal data, no changes
	RoleAdmin    = "admin"    // manage their administration's staff
	// RoleServices is for an administration's citizen-facing systems: report
	// procedure statuses (e-TRAM), deposit notifications (e-NOTUM) and record
	// logins to their digital services.
	RoleServices = "services"
)

// Roles lists every role.
var Roles = []string{RoleIssuer, RoleVerifier, RoleAuditor, RoleAdmin, RoleServices}

var (
	// ErrUnauthenticated means no valid token: HTTP 401.
	ErrUnauthenticated = errors.New("staff: not authenticated")
	// ErrForbidden means the account lacks the role or acts for another administration: HTTP 403.
	ErrForbidden = errors.New("staff: not allowed")
	// ErrInvalid means an account's fields are invalid: a usage error.
	ErrInvalid = errors.New("staff: invalid account")
	// ErrNotFound means no account with that id or login in the acting
	// administration (another administration's accounts are not found).
	ErrNotFound = errors.New("staff: no such account")
	// ErrLastAdmin means the change would leave the administration without
	// an active admin.
	ErrLastAdmin = errors.New("staff: the administration would have no active admin left")
)

var (
	bucketMeta     = []byte("staff_meta")
	bucketAccounts = []byte("staff_accounts") // account id -> record (schema 1: token hash -> Account)
	bucketTokens   = []byte("staff_tokens")   // token hash -> account id
	bucketLogins   = []byte("staff_logins")   // login name -> loginRecord
	keySchema      = []byte("schema")
)

// schemaVersion is the layout Open leaves the database in.
const schemaVersion = 2

// Account is a staff member.
type Account struct {
	ID      string    `json:"id"` // stable, not secret: names the account in URLs and on the command line
	Name    string    `json:"name"`
	Admin   string    `json:"admin"` // administration id
	Roles   []string  `json:"roles"`
	Created time.Time `json:"created"`
	Login   string    `json:"login,omitempty"` // console login name, when the account has one
	// Disabled accounts neither sign in nor authenticate with their token.
	Disabled bool `json:"disabled,omitempty"`
	// MustChangePassword is set by a password reset (and for accounts made
	// in the console): the console opens nothing but the account page until
	// the staff member has chosen their own password.
	MustChangePassword bool `json:"must_change_password,omitempty"`
	// TokenIssued is when the current API token was made; zero when the
	// account has none (revoked).
	TokenIssued time.Time `json:"token_issued,omitzero"`
}

// Has reports whether the account has role.
func (a *Account) Has(role string) bool { return a != nil && slices.Contains(a.Roles, role) }

// Label names the account for people and logs: its name and login.
func (a *Account) Label() string {
	if a.Login == "" {
		return a.Name
	}
	return a.Name + " (" + a.Login + ")"
}

// activeAdmin reports whether the account is an admin that can act.
func (a *Account) activeAdmin() bool { return a.Has(RoleAdmin) && !a.Disabled }

var adminRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)

// Validate checks an account.
func (a *Account) Validate() error {
	if a.Name == "" || len(a.Name) > 200 {
		return fmt.Errorf("%w: name is required", ErrInvalid)
	}
	if !adminRE.MatchString(a.Admin) {
		return fmt.Errorf("%w: administration id %q", ErrInvalid, a.Admin)
	}
	if len(a.Roles) == 0 {
		return fmt.Errorf("%w: at least one role", ErrInvalid)
	}
	for i, r := range a.Roles {
		if !slices.Contains(Roles, r) {
			return fmt.Errorf("%w: unknown role %q (want issuer, verifier, auditor, admin or services)", ErrInvalid, r)
		}
		if slices.Contains(a.Roles[:i], r) {
			return fmt.Errorf("%w: role %q twice", ErrInvalid, r)
		}
	}
	return nil
}

// record is an account as stored: with the hash of its current token.
type record struct {
	Account
	Token []byte `json:"token_hash,omitempty"`
}

// Store keeps staff accounts in its own buckets of a bbolt database.
type Store struct {
	db  *bolt.DB
	now func() time.Time
}

// Open opens (creating) the staff database at path, migrating an older
// layout in place.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by another espai process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open staff database: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketAccounts, bucketTokens, bucketLogins, bucketActions} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		v := uint64(0)
		if raw := m.Get(keySchema); len(raw) == 8 {
			v = binary.BigEndian.Uint64(raw)
		}
		switch {
		case v == schemaVersion:
			return nil
		case v > schemaVersion:
			return fmt.Errorf("staff database schema %d is newer than this espai (%d)", v, schemaVersion)
		case v == 1:
			if err := migrate1to2(tx); err != nil {
				return fmt.Errorf("staff database: migrate schema 1 to 2: %w", err)
			}
		}
		return m.Put(keySchema, binary.BigEndian.AppendUint64(nil, schemaVersion))
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

// migrate1to2 moves accounts from token-hash keys to ids, indexes the token
// hashes and points login records at ids.
func migrate1to2(tx *bolt.Tx) error {
	accts := tx.Bucket(bucketAccounts)
	type old struct{ key, val []byte }
	var olds []old
	if err := accts.ForEach(func(k, v []byte) error {
		olds = append(olds, old{bytes.Clone(k), bytes.Clone(v)})
		return nil
	}); err != nil {
		return err
	}
	idOf := map[string]string{} // token hash -> id
	for _, o := range olds {
		var r record
		if err := json.Unmarshal(o.val, &r.Account); err != nil {
			return err
		}
		r.ID, r.Token, r.TokenIssued = newID(), o.key, r.Created
		idOf[string(o.key)] = r.ID
		if err := accts.Delete(o.key); err != nil {
			return err
		}
		if err := putRecord(tx, &r); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokens).Put(o.key, []byte(r.ID)); err != nil {
			return err
		}
	}
	logins := tx.Bucket(bucketLogins)
	var recs []old
	if err := logins.ForEach(func(k, v []byte) error {
		recs = append(recs, old{bytes.Clone(k), bytes.Clone(v)})
		return nil
	}); err != nil {
		return err
	}
	for _, o := range recs {
		var lr loginRecord
		if err := json.Unmarshal(o.val, &lr); err != nil {
			return err
		}
		id, ok := idOf[string(lr.Account)]
		if !ok {
			if err := logins.Delete(o.key); err != nil { // a login of no account opens nothing
				return err
			}
			continue
		}
		lr.ID, lr.Account = id, nil
		if err := putLogin(tx, string(o.key), &lr); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SetClock replaces the store's clock (temporary passwords' expiry, the
// default time of actions); nil restores the system clock.
func (s *Store) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.now = now
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte("espai/staff-token/v1\x00" + tok))
	return h[:]
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func getRecord(tx *bolt.Tx, id string) (*record, error) {
	raw := tx.Bucket(bucketAccounts).Get([]byte(id))
	if raw == nil {
		return nil, ErrNotFound
	}
	r := new(record)
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, err
	}
	return r, nil
}

// getOwn loads an account of administration admin; any other is not found.
func getOwn(tx *bolt.Tx, admin, id string) (*record, error) {
	r, err := getRecord(tx, id)
	if err != nil {
		return nil, err
	}
	if r.Admin != admin {
		return nil, ErrNotFound
	}
	return r, nil
}

func putRecord(tx *bolt.Tx, r *record) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketAccounts).Put([]byte(r.ID), raw)
}

// Add creates an account and returns its new bearer token (shown once).
func (s *Store) Add(ctx context.Context, a Account) (string, error) {
	tok := newToken()
	return tok, s.AddWithToken(ctx, a, tok)
}

// AddWithToken creates an account with a chosen token (demo accounts). Adding
// the same token again with the same account is a no-op.
func (s *Store) AddWithToken(_ context.Context, a Account, tok string) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if len(tok) < 12 {
		return fmt.Errorf("%w: token shorter than 12 characters", ErrInvalid)
	}
	if a.Created.IsZero() {
		a.Created = s.now().UTC()
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		k := hashToken(tok)
		if id := tx.Bucket(bucketTokens).Get(k); id != nil {
			old, err := getRecord(tx, string(id))
			if err != nil {
				return err
			}
			if old.Name == a.Name && old.Admin == a.Admin && slices.Equal(old.Roles, a.Roles) {
				// The same account again (demo seeding is idempotent).
				return nil
			}
			return fmt.Errorf("%w: token already in use", ErrInvalid)
		}
		_, err := s.insert(tx, a, k)
		return err
	})
}

// insert stores a new account with token hash k.
func (s *Store) insert(tx *bolt.Tx, a Account, k []byte) (*record, error) {
	r := &record{Account: a, Token: k}
	r.ID, r.Disabled, r.TokenIssued = newID(), false, s.now().UTC()
	if err := putRecord(tx, r); err != nil {
		return nil, err
	}
	return r, tx.Bucket(bucketTokens).Put(k, []byte(r.ID))
}

// Authenticate returns the account of a bearer token; a disabled account's
// token authenticates nobody.
func (s *Store) Authenticate(_ context.Context, tok string) (*Account, error) {
	if tok == "" {
		return nil, ErrUnauthenticated
	}
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketTokens).Get(hashToken(tok))
		if id == nil {
			return ErrUnauthenticated
		}
		r, err := getRecord(tx, string(id))
		if errors.Is(err, ErrNotFound) || (err == nil && r.Disabled) {
			return ErrUnauthenticated
		}
		if err != nil {
			return err
		}
		a = r.Account
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Authorize checks that a may act in role for administration admin. Auditors
// and every role act only for their own administration, except that an
// auditor of the scheme operator may read every administration's data.
func Authorize(a *Account, role, admin string) error {
	if a == nil {
		return ErrUnauthenticated
	}
	if a.Disabled {
		return fmt.Errorf("%w: %s is disabled", ErrForbidden, a.Name)
	}
	if !a.Has(role) {
		return fmt.Errorf("%w: %s lacks the %s role", ErrForbidden, a.Name, role)
	}
	if admin != "" && a.Admin != admin {
		return fmt.Errorf("%w: %s acts for %s, not %s", ErrForbidden, a.Name, a.Admin, admin)
	}
	return nil
}

// Get returns an account of administration admin by id.
func (s *Store) Get(_ context.Context, admin, id string) (*Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := getOwn(tx, admin, id)
		if err != nil {
			return err
		}
		a = r.Account
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// ByLogin returns the account of administration admin with a console login.
func (s *Store) ByLogin(_ context.Context, admin, login string) (*Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		lr, err := getLogin(tx, login)
		if err != nil {
			return err
		}
		if lr == nil {
			return ErrNotFound
		}
		r, err := getOwn(tx, admin, lr.ID)
		if err != nil {
			return err
		}
		a = r.Account
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// List returns the accounts of one administration, by name.
func (s *Store) List(_ context.Context, admin string) ([]Account, error) {
	var out []Account
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if r.Admin == admin {
				out = append(out, r.Account)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Account) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// otherActiveAdmins counts the active admins of admin other than id.
func otherActiveAdmins(tx *bolt.Tx, admin, id string) (int, error) {
	n := 0
	err := tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.Admin == admin && r.ID != id && r.activeAdmin() {
			n++
		}
		return nil
	})
	return n, err
}

// keepAnAdmin refuses a change that turns the last active admin of an
// administration into a non-admin or a disabled account.
func keepAnAdmin(tx *bolt.Tx, before, after *Account) error {
	if !before.activeAdmin() || after.activeAdmin() {
		return nil
	}
	n, err := otherActiveAdmins(tx, before.Admin, before.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

// update applies change to an account of admin in one transaction, keeping
// an active admin, and returns the account as changed.
func (s *Store) update(admin, id string, change func(tx *bolt.Tx, r *record) error) (*Account, error) {
	var out Account
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := getOwn(tx, admin, id)
		if err != nil {
			return err
		}
		before := r.Account
		before.Roles = slices.Clone(r.Roles)
		if err := change(tx, r); err != nil {
			return err
		}
		if err := keepAnAdmin(tx, &before, &r.Account); err != nil {
			return err
		}
		out = r.Account
		return putRecord(tx, r)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SetDisabled disables or re-enables an account of administration admin.
// Disabling the last active admin is refused (ErrLastAdmin).
func (s *Store) SetDisabled(_ context.Context, admin, id string, disabled bool) (*Account, error) {
	return s.update(admin, id, func(_ *bolt.Tx, r *record) error {
		r.Disabled = disabled
		return nil
	})
}

// SetRoles replaces the roles of an account of administration admin (in the
// order of Roles). Taking the admin role from the last active admin is
// refused (ErrLastAdmin).
func (s *Store) SetRoles(_ context.Context, admin, id string, roles []string) (*Account, error) {
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return nil, fmt.Errorf("%w: unknown role %q (want issuer, verifier, auditor, admin or services)", ErrInvalid, r)
		}
	}
	var norm []string
	for _, r := range Roles {
		if slices.Contains(roles, r) {
			norm = append(norm, r)
		}
	}
	if len(norm) == 0 {
		return nil, fmt.Errorf("%w: at least one role", ErrInvalid)
	}
	return s.update(admin, id, func(_ *bolt.Tx, r *record) error {
		r.Roles = norm
		return nil
	})
}

// RotateToken gives an account of administration admin a new API token
// (returned, shown once); the old one stops working at once.
func (s *Store) RotateToken(_ context.Context, admin, id string) (string, error) {
	tok := newToken()
	_, err := s.update(admin, id, func(tx *bolt.Tx, r *record) error {
		if r.Token != nil {
			if err := tx.Bucket(bucketTokens).Delete(r.Token); err != nil {
				return err
			}
		}
		r.Token, r.TokenIssued = hashToken(tok), s.now().UTC()
		return tx.Bucket(bucketTokens).Put(r.Token, []byte(r.ID))
	})
	if err != nil {
		return "", err
	}
	return tok, nil
}

// RevokeToken removes the API token of an account of administration admin:
// the account then has none until RotateToken.
func (s *Store) RevokeToken(_ context.Context, admin, id string) error {
	_, err := s.update(admin, id, func(tx *bolt.Tx, r *record) error {
		if r.Token != nil {
			if err := tx.Bucket(bucketTokens).Delete(r.Token); err != nil {
				return err
			}
		}
		r.Token, r.TokenIssued = nil, time.Time{}
		return nil
	})
	return err
}

// FactorKey is the key of account id's second factor in the deployment's
// second-factor store (internal/mfa), shared with citizens: "staff:" cannot
// begin a DNI/NIE, so the two never meet.
func FactorKey(id string) string { return "staff:" + id }
