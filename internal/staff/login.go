package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/argon2"
)

// Console logins: staff sign in to the web consoles with a login name and a
// password (Argon2id, OWASP parameters: 19 MiB, 2 passes), separate from
// citizens and from the API's bearer tokens.

var (
	// ErrBadLogin means the login name or the password is wrong.
	ErrBadLogin = errors.New("staff: wrong login or password")
	// ErrDisabled means the password was right but the account is
	// disabled. It is an ErrBadLogin.
	ErrDisabled = fmt.Errorf("%w: the account is disabled", ErrBadLogin)
	// ErrPasswordExpired means the password was a temporary one that has
	// expired. It is an ErrBadLogin.
	ErrPasswordExpired = fmt.Errorf("%w: the temporary password has expired", ErrBadLogin)
)

var loginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$`)

// MinPassword is the shortest password accepted.
const MinPassword = 12

// TemporaryPasswordTTL is how long a temporary password (a reset, a new
// account made in the console) opens the console.
const TemporaryPasswordTTL = 72 * time.Hour

type loginRecord struct {
	ID      string `json:"id"`                // the account's id
	Account []byte `json:"account,omitempty"` // schema 1: the account's token hash
	Salt    []byte `json:"salt"`
	Hash    []byte `json:"hash"`
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"`
	// Temporary passwords were made by Espai and shown to an admin; they
	// expire, and the account must choose its own password.
	Temporary bool      `json:"temporary,omitempty"`
	Expires   time.Time `json:"expires,omitzero"`
}

const (
	pwTime   = 2
	pwMemory = 19 * 1024
)

func passwordHash(password string, salt []byte, t, m uint32) []byte {
	return argon2.IDKey([]byte(password), salt, t, m, 1, 32)
}

// newLogin hashes password for account id.
func newLogin(id, password string) *loginRecord {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	return &loginRecord{ID: id, Salt: salt, Hash: passwordHash(password, salt, pwTime, pwMemory), Time: pwTime, Memory: pwMemory}
}

func (lr *loginRecord) matches(password string) bool {
	return subtle.ConstantTimeCompare(passwordHash(password, lr.Salt, lr.Time, lr.Memory), lr.Hash) == 1
}

func getLogin(tx *bolt.Tx, login string) (*loginRecord, error) {
	raw := tx.Bucket(bucketLogins).Get([]byte(login))
	if raw == nil {
		return nil, nil
	}
	lr := new(loginRecord)
	return lr, json.Unmarshal(raw, lr)
}

func putLogin(tx *bolt.Tx, login string, lr *loginRecord) error {
	raw, err := json.Marshal(lr)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketLogins).Put([]byte(login), raw)
}

func checkLogin(login string) error {
	if !loginRE.MatchString(login) {
		return fmt.Errorf("%w: login %q: 3-64 lower-case letters, digits, . _ -", ErrInvalid, login)
	}
	return nil
}

func checkPassword(password string) error {
	if len([]rune(password)) < MinPassword {
		return fmt.Errorf("%w: password shorter than %d characters", ErrInvalid, MinPassword)
	}
	if len(password) > 1024 {
		return fmt.Errorf("%w: password longer than 1024 bytes", ErrInvalid)
	}
	return nil
}

// temporaryPassword is 16 characters of an alphabet without look-alikes
// (about 79 bits), in groups of four.
func temporaryPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	out := make([]byte, 0, 19)
	buf := make([]byte, 1)
	for n := 0; n < 16; {
		_, _ = rand.Read(buf)
		if int(buf[0]) >= 256/len(alphabet)*len(alphabet) {
			continue // no modulo bias
		}
		if n > 0 && n%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(buf[0])%len(alphabet)])
		n++
	}
	return string(out)
}

// SetLogin gives the account of token tok a console login name and a
// permanent password (replacing an earlier login or password of the account).
func (s *Store) SetLogin(_ context.Context, tok, login, password string) error {
	if err := checkLogin(login); err != nil {
		return err
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketTokens).Get(hashToken(tok))
		if id == nil {
			return fmt.Errorf("%w: no account with that token", ErrInvalid)
		}
		r, err := getRecord(tx, string(id))
		if err != nil {
			return err
		}
		if old, err := getLogin(tx, login); err != nil {
			return err
		} else if old != nil && old.ID != r.ID {
			return fmt.Errorf("%w: login %q belongs to another account", ErrInvalid, login)
		}
		if r.Login != "" && r.Login != login {
			if err := tx.Bucket(bucketLogins).Delete([]byte(r.Login)); err != nil {
				return err
			}
		}
		r.Login, r.MustChangePassword = login, false
		if err := putRecord(tx, r); err != nil {
			return err
		}
		return putLogin(tx, login, newLogin(r.ID, password))
	})
}

// dummySalt makes a wrong login name cost as much as a wrong password.
var dummySalt = make([]byte, 16)

// Login checks a console login name and password. A right password of a
// disabled account is ErrDisabled, an expired temporary one
// ErrPasswordExpired; both are ErrBadLogin.
func (s *Store) Login(_ context.Context, login, password string) (*Account, error) {
	var lr *loginRecord
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		lr, err = getLogin(tx, login)
		return err
	})
	if err != nil {
		return nil, err
	}
	if lr == nil {
		passwordHash(password, dummySalt, pwTime, pwMemory)
		return nil, ErrBadLogin
	}
	if !lr.matches(password) {
		return nil, ErrBadLogin
	}
	var a Account
	err = s.db.View(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, lr.ID)
		if errors.Is(err, ErrNotFound) {
			return ErrBadLogin
		}
		if err != nil {
			return err
		}
		a = r.Account
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case a.Disabled:
		return nil, ErrDisabled
	case lr.Temporary && !s.now().Before(lr.Expires):
		return nil, ErrPasswordExpired
	}
	return &a, nil
}

// AddWithLogin creates an account with a console login and a permanent
// password in one transaction (nothing is created when any part is invalid
// or the login is taken) and returns its new API token (shown once).
func (s *Store) AddWithLogin(ctx context.Context, a Account, login, password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	tok, err := s.addWithLogin(ctx, a, login, password, false)
	return tok, err
}

// AddWithTemporaryLogin creates an account with a console login whose
// password is temporary (returned, shown once; nobody but the staff member
// ever knows their permanent one), and returns its new API token (shown
// once) and the temporary password.
func (s *Store) AddWithTemporaryLogin(ctx context.Context, a Account, login string) (tok, password string, err error) {
	password = temporaryPassword()
	tok, err = s.addWithLogin(ctx, a, login, password, true)
	if err != nil {
		return "", "", err
	}
	return tok, password, nil
}

func (s *Store) addWithLogin(_ context.Context, a Account, login, password string, temporary bool) (string, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	if err := checkLogin(login); err != nil {
		return "", err
	}
	tok := newToken()
	if a.Created.IsZero() {
		a.Created = s.now().UTC()
	}
	a.Login, a.MustChangePassword = login, temporary
	lr := newLogin("", password)
	if temporary {
		lr.Temporary, lr.Expires = true, s.now().Add(TemporaryPasswordTTL).UTC()
	}
	return tok, s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketLogins).Get([]byte(login)) != nil {
			return fmt.Errorf("%w: login %q is taken", ErrInvalid, login)
		}
		r, err := s.insert(tx, a, hashToken(tok))
		if err != nil {
			return err
		}
		lr.ID = r.ID
		return putLogin(tx, login, lr)
	})
}

// ResetPassword replaces the console password of an account of
// administration admin with a temporary one (returned, shown once to the
// admin). The account must choose its own at its next login; the old
// password stops working at once.
func (s *Store) ResetPassword(_ context.Context, admin, id string) (string, error) {
	password := temporaryPassword()
	lr := newLogin(id, password)
	lr.Temporary, lr.Expires = true, s.now().Add(TemporaryPasswordTTL).UTC()
	_, err := s.update(admin, id, func(tx *bolt.Tx, r *record) error {
		if r.Login == "" {
			return fmt.Errorf("%w: the account has no console login", ErrInvalid)
		}
		r.MustChangePassword = true
		return putLogin(tx, r.Login, lr)
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// ChangePassword sets the console password of account id (of administration
// admin) to next, given its current one; it clears MustChangePassword. A
// wrong current password is ErrBadLogin; a short new one, or the same as the
// current one, ErrInvalid.
func (s *Store) ChangePassword(ctx context.Context, admin, id, current, next string) error {
	if err := checkPassword(next); err != nil {
		return err
	}
	if next == current {
		return fmt.Errorf("%w: the new password must differ from the current one", ErrInvalid)
	}
	a, err := s.Get(ctx, admin, id)
	if err != nil {
		return err
	}
	if a.Login == "" {
		return fmt.Errorf("%w: the account has no console login", ErrInvalid)
	}
	var old *loginRecord
	if err := s.db.View(func(tx *bolt.Tx) (err error) {
		old, err = getLogin(tx, a.Login)
		return err
	}); err != nil {
		return err
	}
	// Argon2 outside the write transaction; the update checks nothing
	// changed meanwhile.
	if old == nil || old.ID != id || !old.matches(current) {
		return ErrBadLogin
	}
	lr := newLogin(id, next)
	_, err = s.update(admin, id, func(tx *bolt.Tx, r *record) error {
		now, err := getLogin(tx, r.Login)
		if err != nil {
			return err
		}
		if r.Login != a.Login || now == nil || now.ID != id || subtle.ConstantTimeCompare(now.Hash, old.Hash) != 1 {
			return ErrBadLogin // the password changed meanwhile
		}
		r.MustChangePassword = false
		return putLogin(tx, r.Login, lr)
	})
	return err
}
