// Package staff holds the accounts of administration staff: who they are,
// which administration they belong to, and their roles (issuer, verifier,
// auditor, admin, services). Systems authenticate to the HTTP API with a
// bearer token; only the token's SHA-256 hash is stored, so the database
// alone does not let anyone act as staff. People sign in to the web consoles
// with a login name and a password, stored as an Argon2id hash.
//
// # Security
//
// Tokens are 256 random bits (base64url). Lookups compare hashes, so timing
// reveals nothing useful about a token. A staff member of one administration
// can act only for that administration; auditors read only. Console
// passwords are Argon2id (19 MiB, 2 passes, 16-byte salt); an unknown login
// name costs the same as a wrong password. Rate limiting of console logins is
// the web layer's.
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
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"golang.org/x/crypto/argon2"
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
)

var (
	bucketMeta     = []byte("staff_meta")
	bucketAccounts = []byte("staff_accounts") // token hash -> Account
	bucketLogins   = []byte("staff_logins")   // login name -> loginRecord
	keySchema      = []byte("schema")
)

// Account is a staff member.
type Account struct {
	Name    string    `json:"name"`
	Admin   string    `json:"admin"` // administration id
	Roles   []string  `json:"roles"`
	Created time.Time `json:"created"`
	Login   string    `json:"login,omitempty"` // console login name, when the account has one
}

// Has reports whether the account has role.
func (a *Account) Has(role string) bool { return a != nil && slices.Contains(a.Roles, role) }

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
	for _, r := range a.Roles {
		if !slices.Contains(Roles, r) {
			return fmt.Errorf("%w: unknown role %q (want issuer, verifier, auditor, admin or services)", ErrInvalid, r)
		}
	}
	return nil
}

// Store keeps staff accounts in its own buckets of a bbolt database.
type Store struct{ db *bolt.DB }

// Open opens (creating) the staff database at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by another espai process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open staff database: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketAccounts, bucketLogins} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		if m.Get(keySchema) == nil {
			return m.Put(keySchema, binary.BigEndian.AppendUint64(nil, 1))
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte("espai/staff-token/v1\x00" + tok))
	return h[:]
}

// Add creates an account and returns its new bearer token (shown once).
func (s *Store) Add(ctx context.Context, a Account) (string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
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
		a.Created = time.Now().UTC()
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		k := hashToken(tok)
		if raw := b.Get(k); raw != nil {
			var old Account
			if err := json.Unmarshal(raw, &old); err != nil {
				return err
			}
			if old.Name == a.Name && old.Admin == a.Admin && slices.Equal(old.Roles, a.Roles) {
				// The same account again (demo seeding is idempotent).
				return nil
			}
			return fmt.Errorf("%w: token already in use", ErrInvalid)
		}
		raw, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put(k, raw)
	})
}

// Authenticate returns the account of a bearer token.
func (s *Store) Authenticate(_ context.Context, tok string) (*Account, error) {
	if tok == "" {
		return nil, ErrUnauthenticated
	}
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAccounts).Get(hashToken(tok))
		if raw == nil {
			return ErrUnauthenticated
		}
		return json.Unmarshal(raw, &a)
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
	if !a.Has(role) {
		return fmt.Errorf("%w: %s lacks the %s role", ErrForbidden, a.Name, role)
	}
	if admin != "" && a.Admin != admin {
		return fmt.Errorf("%w: %s acts for %s, not %s", ErrForbidden, a.Name, a.Admin, admin)
	}
	return nil
}

// Console logins: staff sign in to the web consoles with a login name and a
// password (Argon2id, OWASP parameters: 19 MiB, 2 passes), separate from
// citizens and from the API's bearer tokens.

// ErrBadLogin means the login name or the password is wrong.
var ErrBadLogin = errors.New("staff: wrong login or password")

var loginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$`)

// MinPassword is the shortest password accepted.
const MinPassword = 12

type loginRecord struct {
	Account []byte `json:"account"` // token hash: the key of the account
	Salt    []byte `json:"salt"`
	Hash    []byte `json:"hash"`
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"`
}

const (
	pwTime   = 2
	pwMemory = 19 * 1024
)

func passwordHash(password string, salt []byte, t, m uint32) []byte {
	return argon2.IDKey([]byte(password), salt, t, m, 1, 32)
}

// SetLogin gives the account of token tok a console login name and password
// (replacing an earlier password of the same login).
func (s *Store) SetLogin(_ context.Context, tok, login, password string) error {
	if !loginRE.MatchString(login) {
		return fmt.Errorf("%w: login %q: 3-64 lower-case letters, digits, . _ -", ErrInvalid, login)
	}
	if len([]rune(password)) < MinPassword {
		return fmt.Errorf("%w: password shorter than %d characters", ErrInvalid, MinPassword)
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	rec := loginRecord{Account: hashToken(tok), Salt: salt, Hash: passwordHash(password, salt, pwTime, pwMemory), Time: pwTime, Memory: pwMemory}
	return s.db.Update(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAccounts).Get(rec.Account)
		if raw == nil {
			return fmt.Errorf("%w: no account with that token", ErrInvalid)
		}
		if old := tx.Bucket(bucketLogins).Get([]byte(login)); old != nil {
			var o loginRecord
			if err := json.Unmarshal(old, &o); err != nil {
				return err
			}
			if !bytes.Equal(o.Account, rec.Account) {
				return fmt.Errorf("%w: login %q belongs to another account", ErrInvalid, login)
			}
		}
		var a Account
		if err := json.Unmarshal(raw, &a); err != nil {
			return err
		}
		a.Login = login
		acct, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketAccounts).Put(rec.Account, acct); err != nil {
			return err
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketLogins).Put([]byte(login), b)
	})
}

// dummySalt makes a wrong login name cost as much as a wrong password.
var dummySalt = make([]byte, 16)

// Login checks a console login name and password.
func (s *Store) Login(_ context.Context, login, password string) (*Account, error) {
	var rec *loginRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketLogins).Get([]byte(login))
		if raw == nil {
			return nil
		}
		rec = new(loginRecord)
		return json.Unmarshal(raw, rec)
	})
	if err != nil {
		return nil, err
	}
	if rec == nil {
		passwordHash(password, dummySalt, pwTime, pwMemory)
		return nil, ErrBadLogin
	}
	if subtle.ConstantTimeCompare(passwordHash(password, rec.Salt, rec.Time, rec.Memory), rec.Hash) != 1 {
		return nil, ErrBadLogin
	}
	var a Account
	err = s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketAccounts).Get(rec.Account)
		if raw == nil {
			return ErrBadLogin
		}
		return json.Unmarshal(raw, &a)
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
			var a Account
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if a.Admin == admin {
				out = append(out, a)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Account) int { return strings.Compare(a.Name, b.Name) })
	return out, err
}

// AddWithLogin creates an account with a console login in one transaction
// (nothing is created when any part is invalid or the login is taken) and
// returns its new API token (shown once).
func (s *Store) AddWithLogin(_ context.Context, a Account, login, password string) (string, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	if !loginRE.MatchString(login) {
		return "", fmt.Errorf("%w: login %q: 3-64 lower-case letters, digits, . _ -", ErrInvalid, login)
	}
	if len([]rune(password)) < MinPassword {
		return "", fmt.Errorf("%w: password shorter than %d characters", ErrInvalid, MinPassword)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	rec := loginRecord{Account: hashToken(tok), Salt: salt, Hash: passwordHash(password, salt, pwTime, pwMemory), Time: pwTime, Memory: pwMemory}
	if a.Created.IsZero() {
		a.Created = time.Now().UTC()
	}
	a.Login = login
	return tok, s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketLogins).Get([]byte(login)) != nil {
			return fmt.Errorf("%w: login %q is taken", ErrInvalid, login)
		}
		acct, err := json.Marshal(a)
		if err != nil {
			return err
		}
		lr, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketAccounts).Put(rec.Account, acct); err != nil {
			return err
		}
		return tx.Bucket(bucketLogins).Put([]byte(login), lr)
	})
}
