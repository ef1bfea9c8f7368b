package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// A real SMTP server (go-smtp) on 127.0.0.1 whose backend records messages.

type received struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the session was encrypted
	User string // the authenticated user, or ""
}

type backend struct {
	user, pass string // when set, AUTH PLAIN is offered and required
	refuse     string // a recipient refused with 550 5.1.1

	mu   sync.Mutex
	msgs []received
}

func (b *backend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{be: b, tls: isTLS}, nil
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type session struct {
	be   *backend
	tls  bool
	user string
	cur  received
}

func (s *session) AuthMechanisms() []string {
	if s.be.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.be.user || pass != s.be.pass {
			return gosmtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if s.be.user != "" && s.user == "" {
		return gosmtp.ErrAuthRequired
	}
	s.cur = received{From: from, TLS: s.tls, User: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if to == s.be.refuse {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: user unknown"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = data
	s.be.mu.Lock()
	s.be.msgs = append(s.be.msgs, s.cur)
	s.be.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

type serverOpts struct {
	addr         string      // "" picks a free port
	cert         *tls.Config // offer STARTTLS with it
	implicitTLS  *tls.Config // TLS from the first byte
	insecureAuth bool        // offer AUTH without TLS
}

// startServer runs an SMTP server until the test ends and returns its address.
func startServer(t *testing.T, be *backend, o serverOpts) string {
	t.Helper()
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", o.addr)
	if err != nil {
		t.Fatal(err)
	}
	if o.implicitTLS != nil {
		l = tls.NewListener(l, o.implicitTLS)
	}
	s := gosmtp.NewServer(be)
	s.Domain = "localhost"
	s.TLSConfig = o.cert
	s.AllowInsecureAuth = o.insecureAuth
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close(); <-done })
	return l.Addr().String()
}

// freeAddr returns a loopback address on which nothing listens (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// selfSigned returns a server TLS config for localhost and 127.0.0.1 and a
// pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "espai test relay"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "Espai <no-reply@espai.example.cat>"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var alert = Message{
	To:      "Núria Puig <nuria@example.cat>",
	Subject: "Tens una notificació: termini de l'impost",
	Text:    "Bon dia,\n\nEl termini acaba el 30/06.\n.\nLínia llarga: " + strings.Repeat("àbc ", 40) + "\nFi  \n",
	Lang:    "ca",
}

// parsed is a message as a mail reader sees it.
type parsed struct {
	Header  mail.Header
	Subject string
	Body    string
}

// parse reads data as a mail client would, decoding the subject and body.
func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	for line := range strings.SplitSeq(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") || len(line) > 998 {
			t.Fatalf("bad line (bare CR/LF or longer than 998): %q", line)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode Subject: %v", err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return parsed{Header: m.Header, Subject: subject, Body: string(body)}
}

func wantBody(text string) string { return strings.ReplaceAll(normalizeText(text), "\n", "\r\n") }

func TestMessageBytes(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	data, err := alert.Bytes("Espai <no-reply@espai.example.cat>", now, "abc123@espai.example.cat")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("notificació")) || bytes.ContainsFunc(data, func(r rune) bool { return r >= 0x80 }) {
		t.Error("message is not 7-bit clean")
	}
	p := parse(t, data)
	if p.Subject != alert.Subject {
		t.Errorf("Subject decodes to %q, want %q", p.Subject, alert.Subject)
	}
	if p.Body != wantBody(alert.Text) {
		t.Errorf("body decodes to %q, want %q", p.Body, wantBody(alert.Text))
	}
	if d, err := p.Header.Date(); err != nil || !d.Equal(now) {
		t.Errorf("Date = %v, %v; want %v", d, err, now)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Núria Puig" || to[0].Address != "nuria@example.cat" {
		t.Errorf("To = %v, %v", to, err)
	}
	for k, want := range map[string]string{
		"From":                      `"Espai" <no-reply@espai.example.cat>`,
		"Message-Id":                "<abc123@espai.example.cat>",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Content-Language":          "ca",
		"Auto-Submitted":            "auto-generated",
	} {
		if got := p.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(p.Header) != 10 {
		t.Errorf("%d headers, want 10: %v", len(p.Header), p.Header)
	}
}

func TestMessageBytesRefuses(t *testing.T) {
	ok := alert
	for _, tc := range []struct {
		name  string
		edit  func(m *Message)
		from  string
		msgID string
		want  string
	}{
		{"to with CRLF", func(m *Message) { m.To = "nuria@example.cat\r\nBcc: spy@evil.example" }, "", "", "To contains a line break"},
		{"to with LF", func(m *Message) { m.To = "nuria@example.cat\nBcc: spy@evil.example" }, "", "", "To contains a line break"},
		{"subject with CRLF", func(m *Message) { m.Subject = "Hola\r\nBcc: spy@evil.example" }, "", "", "Subject contains a line break"},
		{"subject with CR", func(m *Message) { m.Subject = "Hola\rX-Evil: 1" }, "", "", "Subject contains a line break"},
		{"subject with NUL", func(m *Message) { m.Subject = "Hola\x00" }, "", "", "Subject contains a control character"},
		{"lang with CRLF", func(m *Message) { m.Lang = "ca\r\nBcc: spy@evil.example" }, "", "", "Lang is not a language tag"},
		{"from with CRLF", nil, "no-reply@espai.example.cat\r\nBcc: spy@evil.example", "", "From contains a line break"},
		{"msgid with CRLF", nil, "", "a@b\r\nBcc: spy@evil.example", "Message-ID is not of the form"},
		{"to not an address", func(m *Message) { m.To = "nuria at example.cat" }, "", "", "To is not a single e-mail address"},
		{"two recipients", func(m *Message) { m.To = "nuria@example.cat, pere@example.cat" }, "", "", "To is not a single e-mail address"},
		{"empty to", func(m *Message) { m.To = "" }, "", "", "To address is empty"},
		{"non-ascii address", func(m *Message) { m.To = "núria@example.cat" }, "", "", "non-ASCII"},
		{"empty subject", func(m *Message) { m.Subject = "  " }, "", "", "Subject is empty"},
		{"long subject", func(m *Message) { m.Subject = strings.Repeat("à", MaxSubjectRunes+1) }, "", "", "Subject is longer"},
		{"invalid utf-8 text", func(m *Message) { m.Text = "a\xffb" }, "", "", "Text is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			if tc.edit != nil {
				tc.edit(&m)
			}
			from := cmp(tc.from, "no-reply@espai.example.cat")
			data, err := m.Bytes(from, time.Now(), cmp(tc.msgID, "id@espai.example.cat"))
			if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (%d bytes), want ErrInvalidMessage with %q", err, len(data), tc.want)
			}
			for _, pd := range []string{"nuria", "núria", "pere", "spy@"} {
				if strings.Contains(err.Error(), pd) {
					t.Errorf("error %q repeats an address", err)
				}
			}
		})
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// FuzzMessageBytes checks that whatever Bytes accepts reads back as exactly
// the headers it writes, with the same recipient, subject and body.
func FuzzMessageBytes(f *testing.F) {
	f.Add(alert.To, alert.Subject, alert.Text, alert.Lang)
	f.Add("nuria@example.cat", "Hola", "x", "")
	f.Add("\"Puig, N.\" <n.puig@example.cat>", strings.Repeat("Notificació ", 20), "a\r\n.\r\nb\rc\n", "es-ES")
	f.Add("nuria@example.cat", "Hola\r\nBcc: x@y", "x", "ca")
	f.Fuzz(func(t *testing.T, to, subject, text, lang string) {
		m := Message{To: to, Subject: subject, Text: text, Lang: lang}
		data, err := m.Bytes("Espai Ciutadà <no-reply@espai.example.cat>", time.Unix(1780000000, 0), "x@y")
		if err != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("error %v does not wrap ErrInvalidMessage", err)
			}
			return
		}
		p := parse(t, data)
		want := 9
		if lang != "" {
			want++
		}
		if len(p.Header) != want {
			t.Fatalf("%d headers, want %d: %v", len(p.Header), want, p.Header)
		}
		wantTo, _ := mail.ParseAddress(to)
		gotTo, err := p.Header.AddressList("To")
		if err != nil || len(gotTo) != 1 || gotTo[0].Address != wantTo.Address {
			t.Fatalf("To = %v, %v; want %v", gotTo, err, wantTo)
		}
		if !strings.Contains(wantTo.Name, "=?") && gotTo[0].Name != wantTo.Name {
			t.Fatalf("To name = %q, want %q", gotTo[0].Name, wantTo.Name)
		}
		// An ASCII subject that itself looks like an encoded word is shown
		// decoded: harmless, and not worth a home-made encoder.
		if s := strings.TrimSpace(subject); !strings.Contains(s, "=?") && p.Subject != s {
			t.Fatalf("Subject = %q, want %q", p.Subject, s)
		}
		if p.Body != wantBody(text) {
			t.Fatalf("body = %q, want %q", p.Body, wantBody(text))
		}
	})
}

func TestConfigValidate(t *testing.T) {
	good := Config{Addr: "smtp.example.cat:587", From: "no-reply@espai.example.cat"}
	for _, tc := range []struct {
		name string
		edit func(c *Config)
		want string // "" means valid
	}{
		{"minimal", func(*Config) {}, ""},
		{"credentials", func(c *Config) { c.Username, c.Password = "u", "p" }, ""},
		{"implicit tls", func(c *Config) { c.Addr, c.TLS = "smtp.example.cat:465", TLSImplicit }, ""},
		{"none on loopback", func(c *Config) { c.Addr, c.TLS = "127.0.0.1:25", TLSNone }, ""},
		{"none on localhost", func(c *Config) { c.Addr, c.TLS = "localhost:25", TLSNone }, ""},
		{"none on ::1", func(c *Config) { c.Addr, c.TLS = "[::1]:25", TLSNone }, ""},
		{"no addr", func(c *Config) { c.Addr = "" }, "Addr is required"},
		{"no port", func(c *Config) { c.Addr = "smtp.example.cat" }, "not host:port"},
		{"bad port", func(c *Config) { c.Addr = "smtp.example.cat:0" }, "no valid port"},
		{"no from", func(c *Config) { c.From = "" }, "From is required"},
		{"bad from", func(c *Config) { c.From = "espai" }, "From is not a single e-mail address"},
		{"from with CRLF", func(c *Config) { c.From = "a@b.cat\r\nBcc: x@y" }, "From contains a line break"},
		{"username only", func(c *Config) { c.Username = "u" }, "both Username and Password"},
		{"none on network", func(c *Config) { c.TLS = TLSNone }, "only for a relay on a loopback address"},
		{"none with credentials", func(c *Config) { c.Addr, c.TLS, c.Username, c.Password = "127.0.0.1:25", TLSNone, "u", "p" }, "credentials need TLS"},
		{"unknown tls", func(c *Config) { c.TLS = "ssl" }, `TLS "ssl" is not one of`},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "negative"},
		{"bad server name", func(c *Config) { c.ServerName = "a b" }, "ServerName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrConfig with %q", err, tc.want)
			}
		})
	}
	var nilCfg *Config
	if err := nilCfg.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("nil Config: %v", err)
	}
	c := good
	c.Password, c.Username = "s3cret", "u"
	var buf bytes.Buffer
	log.New(&buf, "", 0).Print(c.LogValue())
	if strings.Contains(buf.String(), "s3cret") {
		t.Errorf("LogValue shows the password: %s", buf.String())
	}
}

func TestSend(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	for _, tc := range []struct {
		name     string
		be       *backend
		server   serverOpts
		cfg      Config
		wantTLS  bool
		wantUser string
	}{
		{"plain text to loopback", &backend{}, serverOpts{}, Config{TLS: TLSNone}, false, ""},
		{"opportunistic starttls", &backend{}, serverOpts{cert: serverTLS}, Config{RootCAs: roots}, true, ""},
		{"starttls and auth plain", &backend{user: "espai", pass: "s3cret"}, serverOpts{cert: serverTLS},
			Config{Username: "espai", Password: "s3cret", RootCAs: roots, ServerName: "localhost"}, true, "espai"},
		{"implicit tls and auth plain", &backend{user: "espai", pass: "s3cret"}, serverOpts{implicitTLS: serverTLS},
			Config{TLS: TLSImplicit, Username: "espai", Password: "s3cret", RootCAs: roots}, true, "espai"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Addr = startServer(t, tc.be, tc.server)
			if err := newSender(t, cfg).Send(t.Context(), alert); err != nil {
				t.Fatal(err)
			}
			msgs := tc.be.messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.From != "no-reply@espai.example.cat" || len(got.To) != 1 || got.To[0] != "nuria@example.cat" {
				t.Errorf("envelope from %q to %q", got.From, got.To)
			}
			if got.TLS != tc.wantTLS || got.User != tc.wantUser {
				t.Errorf("tls %v user %q, want %v %q", got.TLS, got.User, tc.wantTLS, tc.wantUser)
			}
			p := parse(t, got.Data)
			if p.Subject != alert.Subject || p.Body != wantBody(alert.Text) {
				t.Errorf("subject %q body %q", p.Subject, p.Body)
			}
			if id := p.Header.Get("Message-Id"); !strings.HasSuffix(id, "@espai.example.cat>") {
				t.Errorf("Message-ID %q", id)
			}
		})
	}
}

func TestSendRefused(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	auth := &backend{user: "espai", pass: "s3cret"}
	withTLS := startServer(t, auth, serverOpts{cert: serverTLS})
	insecure := startServer(t, &backend{user: "espai", pass: "s3cret"}, serverOpts{insecureAuth: true})
	refusing := &backend{refuse: "nobody@example.cat"}
	plain := startServer(t, refusing, serverOpts{})

	t.Run("wrong password", func(t *testing.T) {
		err := newSender(t, Config{Addr: withTLS, Username: "espai", Password: "wrong", RootCAs: roots}).Send(t.Context(), alert)
		var re *ReplyError
		if !errors.As(err, &re) || re.Command != "AUTH" || re.Code != 535 {
			t.Fatalf("err = %v, want AUTH 535", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		err := newSender(t, Config{Addr: withTLS}).Send(t.Context(), alert)
		var ve *tls.CertificateVerificationError
		if !errors.As(err, &ve) {
			t.Fatalf("err = %v, want a certificate verification error", err)
		}
	})
	t.Run("credentials without starttls", func(t *testing.T) {
		// The server offers AUTH PLAIN in plain text; the password must not go.
		err := newSender(t, Config{Addr: insecure, Username: "espai", Password: "s3cret"}).Send(t.Context(), alert)
		if !errors.Is(err, ErrTLSRequired) {
			t.Fatalf("err = %v, want ErrTLSRequired", err)
		}
	})
	t.Run("refused recipient", func(t *testing.T) {
		m := alert
		m.To = "nobody@example.cat"
		err := newSender(t, Config{Addr: plain, TLS: TLSNone}).Send(t.Context(), m)
		var re *ReplyError
		if !errors.As(err, &re) || re.Command != "RCPT" || re.Code != 550 || re.Enhanced != "5.1.1" || !permanent(err) {
			t.Fatalf("err = %v, want a permanent RCPT 550 5.1.1", err)
		}
		if strings.Contains(err.Error(), "nobody") || !strings.Contains(re.Text, "nobody@example.cat") {
			t.Errorf("Error() = %q, Text = %q: the address belongs in Text only", err, re.Text)
		}
	})
	t.Run("invalid message", func(t *testing.T) {
		m := alert
		m.Subject = "x\r\nBcc: spy@evil.example"
		if err := newSender(t, Config{Addr: plain, TLS: TLSNone}).Send(t.Context(), m); !errors.Is(err, ErrInvalidMessage) {
			t.Fatalf("err = %v, want ErrInvalidMessage", err)
		}
	})
	if n := len(auth.messages()) + len(refusing.messages()); n != 0 {
		t.Errorf("servers got %d messages, want 0", n)
	}
}

// TestSendContext checks that a relay that never answers cannot hold Send
// beyond the context or Config.Timeout.
func TestSendContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	accepted := make(chan struct{}, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // no greeting, ever
			mu.Unlock()
			accepted <- struct{}{}
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-accepted; cancel() }()
		err := newSender(t, Config{Addr: l.Addr().String(), TLS: TLSNone}).Send(ctx, alert)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		err := newSender(t, Config{Addr: l.Addr().String(), TLS: TLSNone, Timeout: 50 * time.Millisecond}).Send(t.Context(), alert)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
	})
}
