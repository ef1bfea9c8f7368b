package mfa

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/espai/espai/internal/mfa/mfatest"
	bolt "go.etcd.io/bbolt"
)

type softKey = mfatest.Authenticator

var b64 = base64.RawURLEncoding

func newSoftKey(t *testing.T, rp RelyingParty) *softKey { return mfatest.New(t, rp.ID, rp.Origin) }

func parseOptions(t *testing.T, raw []byte) mfatest.Options { return mfatest.ParseOptions(t, raw) }

const (
	laia  = "12345678Z"
	jordi = "38765432J"
)

var demoRP = RelyingParty{ID: "localhost", Origin: "http://localhost:8080"}

func passkeysOf(t *testing.T, s *Store) *Passkeys {
	t.Helper()
	p, err := s.Passkeys(demoRP)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// register registers k for citizen under name.
func register(t *testing.T, p *Passkeys, citizen, name string, k *softKey) *Passkey {
	t.Helper()
	ctx := context.Background()
	opts, c, err := p.BeginRegistration(ctx, citizen, name)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := p.FinishRegistration(ctx, c, citizen, k.Create(opts))
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return pk
}

// login runs a login with k for citizen.
func login(t *testing.T, p *Passkeys, citizen string, k *softKey) error {
	t.Helper()
	opts, c, err := p.BeginLogin(context.Background(), citizen)
	if err != nil {
		return err
	}
	return p.FinishLogin(context.Background(), c, citizen, k.Get(opts))
}

// raw is the sealed passkey record of citizen as it is in the file.
func raw(t *testing.T, s *Store, citizen string) []byte {
	t.Helper()
	var out []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		out = append(out, tx.Bucket(bucketPasskeys).Get([]byte(citizen))...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// consistent runs bbolt's consistency check.
func consistent(t *testing.T, s *Store) {
	t.Helper()
	if err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestRelyingPartyFor(t *testing.T) {
	for _, c := range []struct {
		base, id, origin string
	}{
		{"http://127.0.0.1:8080", "localhost", "http://localhost:8080"},
		{"http://localhost:8080/", "localhost", "http://localhost:8080"},
		{"http://[::1]:9000", "localhost", "http://localhost:9000"},
		{"https://espai.example.cat", "espai.example.cat", "https://espai.example.cat"},
		{"https://Espai.Example.cat:8443/base", "espai.example.cat", "https://espai.example.cat:8443"},
	} {
		rp, err := RelyingPartyFor(c.base)
		if err != nil || rp.ID != c.id || rp.Origin != c.origin {
			t.Errorf("%s: %+v %v, want %s %s", c.base, rp, err, c.id, c.origin)
		}
	}
	for _, base := range []string{"", "espai.example.cat", "ftp://espai.example.cat", "http://10.0.0.5:8080", "https://192.168.1.10",
		"https://[2001:db8::1]", "http://espai.example.cat"} {
		if rp, err := RelyingPartyFor(base); !errors.Is(err, ErrNoRelyingParty) {
			t.Errorf("%q: %+v %v, want ErrNoRelyingParty", base, rp, err)
		}
	}
}

func TestPasskeysRegisterListLoginRemove(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := open(t, &now)
	p := passkeysOf(t, s)
	if f, err := s.Factors(ctx, laia); err != nil || f.Any() {
		t.Fatalf("factors before any: %+v %v", f, err)
	}
	if _, _, err := p.BeginLogin(ctx, laia); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("login options without passkeys: %v", err)
	}

	phone, laptop := newSoftKey(t, demoRP), newSoftKey(t, demoRP)
	a := register(t, p, laia, "  El meu mòbil ", phone)
	now = now.Add(time.Minute)
	b := register(t, p, laia, "Portàtil", laptop)
	if a.Name != "El meu mòbil" || a.ID != b64.EncodeToString(phone.ID) || !a.LastUsed.IsZero() || a.Blocked {
		t.Fatalf("first passkey: %+v", a)
	}
	list, err := s.ListPasskeys(ctx, laia)
	if err != nil || len(list) != 2 || list[0].Name != "El meu mòbil" || list[1].Name != "Portàtil" || !list[1].Created.After(list[0].Created) {
		t.Fatalf("list: %+v %v", list, err)
	}
	if on, err := s.Enabled(ctx, laia); !on || err != nil {
		t.Fatalf("enabled with passkeys: %v %v", on, err)
	}
	if f, _ := s.Factors(ctx, laia); f.TOTP || f.Passkeys != 2 || f.Blocked != 0 {
		t.Fatalf("factors: %+v", f)
	}
	// The user handle is random, not the DNI, and the same for both.
	if len(phone.Handle) != userHandleLen || !bytes.Equal(phone.Handle, laptop.Handle) || bytes.Contains(phone.Handle, []byte(laia)) {
		t.Fatalf("user handles: %x %x", phone.Handle, laptop.Handle)
	}

	// Either passkey logs in, and its last use is recorded.
	now = now.Add(time.Hour)
	if err := login(t, p, laia, laptop); err != nil {
		t.Fatal(err)
	}
	if err := login(t, p, laia, phone); err != nil {
		t.Fatal(err)
	}
	list, _ = s.ListPasskeys(ctx, laia)
	if !list[0].LastUsed.Equal(now) || !list[1].LastUsed.Equal(now) {
		t.Fatalf("last use not recorded: %+v", list)
	}

	// The login options name both passkeys; a second registration of the
	// same authenticator is excluded up front, and refused if it comes.
	opts, _, _ := p.BeginLogin(ctx, laia)
	if o := parseOptions(t, opts); len(o.PublicKey.Allow) != 2 || o.PublicKey.RPID != "localhost" {
		t.Fatalf("login options: %s", opts)
	}
	opts, c, err := p.BeginRegistration(ctx, laia, "Mòbil, un altre cop")
	if err != nil {
		t.Fatal(err)
	}
	if o := parseOptions(t, opts); len(o.PublicKey.Exclude) != 2 || o.PublicKey.RP.ID != "localhost" {
		t.Fatalf("registration options: %s", opts)
	}
	if _, err := p.FinishRegistration(ctx, c, laia, phone.Create(opts)); !errors.Is(err, ErrDuplicatePasskey) {
		t.Fatalf("same authenticator twice: %v", err)
	}

	// Removing one leaves the other working; the removed one no longer logs in.
	if got, err := s.RemovePasskey(ctx, laia, a.ID); err != nil || got.Name != "El meu mòbil" {
		t.Fatalf("remove: %+v %v", got, err)
	}
	if err := login(t, p, laia, phone); !errors.Is(err, ErrWrongPasskey) {
		t.Fatalf("removed passkey: %v", err)
	}
	if err := login(t, p, laia, laptop); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemovePasskey(ctx, laia, b.ID); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.Enabled(ctx, laia); on {
		t.Fatal("enabled without passkeys")
	}
	// The handle stays for the next passkey.
	again := newSoftKey(t, demoRP)
	register(t, p, laia, "Clau nova", again)
	if !bytes.Equal(again.Handle, phone.Handle) {
		t.Fatal("the user handle changed")
	}
	consistent(t, s)
}

func TestPasskeyCeremoniesAreSingleUseShortLivedAndBound(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := open(t, &now)
	p := passkeysOf(t, s)
	k := newSoftKey(t, demoRP)
	register(t, p, laia, "Mòbil", k)

	opts, c, err := p.BeginLogin(ctx, laia)
	if err != nil {
		t.Fatal(err)
	}
	answer := k.Get(opts)
	// Another citizen's ceremony, or a registration ceremony, does not do.
	if err := p.FinishLogin(ctx, c, jordi, answer); !errors.Is(err, ErrCeremony) {
		t.Fatalf("ceremony of another citizen: %v", err)
	}
	_, reg, err := p.BeginRegistration(ctx, laia, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.FinishLogin(ctx, reg, laia, answer); !errors.Is(err, ErrCeremony) {
		t.Fatalf("registration ceremony at login: %v", err)
	}
	if err := p.FinishLogin(ctx, nil, laia, answer); !errors.Is(err, ErrCeremony) {
		t.Fatalf("no ceremony: %v", err)
	}

	// A ceremony is spent by its first answer, right or wrong.
	opts, c, _ = p.BeginLogin(ctx, laia)
	answer = k.Get(opts)
	if err := p.FinishLogin(ctx, c, laia, []byte(`{"id":"x"}`)); !errors.Is(err, ErrWrongPasskey) {
		t.Fatalf("garbage: %v", err)
	}
	if err := p.FinishLogin(ctx, c, laia, answer); !errors.Is(err, ErrCeremony) {
		t.Fatalf("second answer to one ceremony: %v", err)
	}
	// A good answer works once; replayed into a new ceremony, its
	// challenge is the old one.
	opts, c, _ = p.BeginLogin(ctx, laia)
	answer = k.Get(opts)
	if err := p.FinishLogin(ctx, c, laia, answer); err != nil {
		t.Fatal(err)
	}
	if err := p.FinishLogin(ctx, c, laia, answer); !errors.Is(err, ErrCeremony) {
		t.Fatalf("replay into the same ceremony: %v", err)
	}
	_, c, _ = p.BeginLogin(ctx, laia)
	if err := p.FinishLogin(ctx, c, laia, answer); !errors.Is(err, ErrWrongPasskey) {
		t.Fatalf("replay into a new ceremony: %v", err)
	}
	// Five minutes, then it is gone.
	opts, c, _ = p.BeginLogin(ctx, laia)
	answer = k.Get(opts)
	now = now.Add(CeremonyFor + time.Second)
	if err := p.FinishLogin(ctx, c, laia, answer); !errors.Is(err, ErrCeremony) {
		t.Fatalf("stale ceremony: %v", err)
	}
	opts, c, _ = p.BeginRegistration(ctx, laia, "Tarda")
	now = now.Add(CeremonyFor + time.Second)
	if _, err := p.FinishRegistration(ctx, c, laia, newSoftKey(t, demoRP).Create(opts)); !errors.Is(err, ErrCeremony) {
		t.Fatalf("stale registration: %v", err)
	}
	if list, _ := s.ListPasskeys(ctx, laia); len(list) != 1 {
		t.Fatalf("a refused registration was kept: %+v", list)
	}
}

func TestPasskeysAreBoundToTheirCitizen(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := open(t, &now)
	p := passkeysOf(t, s)
	lk, jk := newSoftKey(t, demoRP), newSoftKey(t, demoRP)
	lp := register(t, p, laia, "Mòbil de la Laia", lk)
	register(t, p, jordi, "Mòbil d'en Jordi", jk)

	// Laia's passkey does not answer for Jordi, nor can he remove it.
	opts, c, err := p.BeginLogin(ctx, jordi)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.FinishLogin(ctx, c, jordi, lk.Get(opts)); !errors.Is(err, ErrWrongPasskey) {
		t.Fatalf("Laia's passkey for Jordi: %v", err)
	}
	if _, err := s.RemovePasskey(ctx, jordi, lp.ID); !errors.Is(err, ErrNoPasskey) {
		t.Fatalf("Jordi removed Laia's passkey: %v", err)
	}
	if list, _ := s.ListPasskeys(ctx, laia); len(list) != 1 {
		t.Fatal("Laia's passkey is gone")
	}
	// The record is sealed to its citizen: names are not in the file in
	// clear, and Laia's record copied under Jordi's id does not open.
	lr := raw(t, s, laia)
	if len(lr) == 0 || bytes.Contains(lr, []byte("Laia")) {
		t.Fatal("passkey record stored in clear or not at all")
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketPasskeys).Put([]byte(jordi), lr) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListPasskeys(ctx, jordi); err == nil {
		t.Fatal("Laia's record opened as Jordi's")
	}
	if _, err := s.Enabled(ctx, jordi); err == nil {
		t.Fatal("a damaged record read as no second factor")
	}
	// Forgetting Jordi (erasure) removes his factors and nobody else's.
	if err := s.Forget(ctx, jordi); err != nil {
		t.Fatal(err)
	}
	if on, err := s.Enabled(ctx, jordi); on || err != nil {
		t.Fatalf("after forget: %v %v", on, err)
	}
	if err := login(t, p, laia, lk); err != nil {
		t.Fatal(err)
	}
}

func TestPasskeyBadInputChangesNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := open(t, &now)
	p := passkeysOf(t, s)
	k := newSoftKey(t, demoRP)
	register(t, p, laia, "Mòbil", k)
	if err := login(t, p, laia, k); err != nil {
		t.Fatal(err)
	}
	before := raw(t, s, laia)
	unchanged := func(what string) {
		t.Helper()
		if !bytes.Equal(raw(t, s, laia), before) {
			t.Fatalf("%s changed the stored passkeys", what)
		}
	}

	for _, name := range []string{"", "   ", strings.Repeat("x", MaxPasskeyName+1), "a\nb", "tab\there", "nul\x00", string([]byte{0xff, 0xfe})} {
		if _, _, err := p.BeginRegistration(ctx, laia, name); !errors.Is(err, ErrPasskeyName) {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if _, err := CheckPasskeyName(strings.Repeat("à", MaxPasskeyName)); err != nil {
		t.Fatalf("a long name in characters, not bytes: %v", err)
	}
	unchanged("bad names")

	// Registration answers that do not verify.
	for name, mutate := range map[string]func(*softKey){
		"another origin": func(k *softKey) { k.Origin = "http://localhost:8081" },
		"another RP ID":  func(k *softKey) { k.RPID = "example.com" },
		"an evil origin": func(k *softKey) { k.Origin = "https://evil.example" },
	} {
		bad := newSoftKey(t, demoRP)
		mutate(bad)
		opts, c, err := p.BeginRegistration(ctx, laia, "Dolent")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.FinishRegistration(ctx, c, laia, bad.Create(opts)); !errors.Is(err, ErrWrongPasskey) {
			t.Errorf("registration from %s: %v", name, err)
		}
	}
	for _, garbage := range []string{"", "{}", "null", `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}`, strings.Repeat("[", 10000)} {
		_, c, _ := p.BeginRegistration(ctx, laia, "Brossa")
		if _, err := p.FinishRegistration(ctx, c, laia, []byte(garbage)); !errors.Is(err, ErrWrongPasskey) {
			t.Errorf("registration %.20q: %v", garbage, err)
		}
	}
	unchanged("bad registrations")

	// Login answers that do not verify: wrong origin, wrong RP ID, a bad
	// signature, an unknown key.
	for name, mutate := range map[string]func(k *softKey) func(){
		"another origin": func(k *softKey) func() {
			o := k.Origin
			k.Origin = "http://localhost:8081"
			return func() { k.Origin = o }
		},
		"another RP ID": func(k *softKey) func() { r := k.RPID; k.RPID = "example.com"; return func() { k.RPID = r } },
		"another key": func(k *softKey) func() {
			key := k.Key
			k.Key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			return func() { k.Key = key }
		},
	} {
		restore := mutate(k)
		opts, c, err := p.BeginLogin(ctx, laia)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.FinishLogin(ctx, c, laia, k.GetAt(opts, k.Counter+1)); !errors.Is(err, ErrWrongPasskey) {
			t.Errorf("login from %s: %v", name, err)
		}
		restore()
	}
	if err := login(t, p, laia, newSoftKey(t, demoRP)); !errors.Is(err, ErrWrongPasskey) {
		t.Fatalf("unknown passkey: %v", err)
	}
	unchanged("bad logins")

	for _, id := range []string{"", "!!", b64.EncodeToString([]byte("not a passkey"))} {
		if _, err := s.RemovePasskey(ctx, laia, id); !errors.Is(err, ErrNoPasskey) {
			t.Errorf("remove %q: %v", id, err)
		}
	}
	unchanged("bad removals")
	if err := login(t, p, laia, k); err != nil {
		t.Fatalf("the passkey after the bad input: %v", err)
	}

	// At most MaxPasskeys.
	for i := 1; i < MaxPasskeys; i++ {
		register(t, p, laia, "Clau", newSoftKey(t, demoRP))
	}
	if _, _, err := p.BeginRegistration(ctx, laia, "Una més"); !errors.Is(err, ErrTooManyPasskeys) {
		t.Fatalf("passkey %d: %v", MaxPasskeys+1, err)
	}
	consistent(t, s)
}

func TestPasskeyCounterGoingBackBlocksIt(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := open(t, &now)
	p := passkeysOf(t, s)
	k := newSoftKey(t, demoRP)
	register(t, p, laia, "Clau", k)
	for range 3 {
		if err := login(t, p, laia, k); err != nil {
			t.Fatal(err)
		}
	}
	// A copy of the key, behind the original: the counter does not move
	// forward. Refused, and the passkey is blocked from now on.
	opts, c, _ := p.BeginLogin(ctx, laia)
	if err := p.FinishLogin(ctx, c, laia, k.GetAt(opts, 2)); !errors.Is(err, ErrPasskeyBlocked) {
		t.Fatalf("counter went back: %v", err)
	}
	list, _ := s.ListPasskeys(ctx, laia)
	if len(list) != 1 || !list[0].Blocked {
		t.Fatalf("not blocked: %+v", list)
	}
	// Blocked is still a second factor (no fallback to the passphrase
	// alone), but it cannot be used.
	if f, _ := s.Factors(ctx, laia); !f.Any() || f.Passkeys != 0 || f.Blocked != 1 {
		t.Fatalf("factors: %+v", f)
	}
	if _, _, err := p.BeginLogin(ctx, laia); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("login options with only a blocked passkey: %v", err)
	}
	// With another passkey, the blocked one stays refused.
	other := newSoftKey(t, demoRP)
	register(t, p, laia, "Una altra", other)
	opts, c, _ = p.BeginLogin(ctx, laia)
	if err := p.FinishLogin(ctx, c, laia, k.GetAt(opts, 100)); !errors.Is(err, ErrWrongPasskey) {
		t.Fatalf("blocked passkey with a higher counter: %v", err)
	}
	if err := login(t, p, laia, other); err != nil {
		t.Fatal(err)
	}
	// Authenticators without a counter (always 0) are never blocked.
	zero := newSoftKey(t, demoRP)
	register(t, p, jordi, "Sincronitzada", zero)
	for range 2 {
		opts, c, _ := p.BeginLogin(ctx, jordi)
		if err := p.FinishLogin(ctx, c, jordi, zero.GetAt(opts, 0)); err != nil {
			t.Fatalf("counterless passkey: %v", err)
		}
	}
}

func TestForgetAndDisableLeaveTheRightFactors(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 5, 0, time.UTC)
	s := open(t, &now)
	p := passkeysOf(t, s)
	e, err := s.Begin(ctx, laia)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Confirm(ctx, laia, code(t, e.Secret, now)); err != nil {
		t.Fatal(err)
	}
	register(t, p, laia, "Clau", newSoftKey(t, demoRP))
	if f, _ := s.Factors(ctx, laia); !f.TOTP || f.Passkeys != 1 {
		t.Fatalf("factors: %+v", f)
	}
	// Turning TOTP off keeps the passkey: still a second factor.
	if err := s.Disable(ctx, laia, "", true); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, laia); f.TOTP || f.Passkeys != 1 || !f.Any() {
		t.Fatalf("after turning TOTP off: %+v", f)
	}
	if err := s.Forget(ctx, laia); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, laia); f.Any() {
		t.Fatalf("after forget: %+v", f)
	}
}
