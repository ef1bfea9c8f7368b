package mail

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// TLS modes of Config.TLS.
const (
	TLSStartTLS = "starttls" // upgrade when offered; required with credentials (default)
	TLSImplicit = "tls"      // TLS from the first byte, usually port 465
	TLSNone     = "none"     // plain text: only to a loopback relay, without credentials
)

// DefaultTimeout bounds one SMTP session (dial, TLS, commands, data) when
// Config.Timeout is zero. The context given to Send can shorten it.
const DefaultTimeout = 30 * time.Second

// Config says how to reach the mail relay. The zero value is not usable:
// Addr and From are required.
type Config struct {
	// Addr is the relay as host:port, such as "smtp.example.cat:587".
	Addr string
	// From is the envelope sender and From header, such as
	// "Espai <no-reply@espai.example.cat>"; it must be a single ASCII address.
	From string
	// Username and Password, when set, authenticate with AUTH PLAIN, which is
	// only ever sent inside TLS. Set both or neither.
	Username, Password string
	// TLS is TLSStartTLS (the default when empty), TLSImplicit or TLSNone.
	TLS string
	// Timeout bounds one SMTP session; zero means DefaultTimeout.
	Timeout time.Duration
	// ServerName is the name the relay's certificate must carry; empty means
	// the host part of Addr.
	ServerName string
	// RootCAs verifies the relay's certificate; nil means the system roots.
	// Set it for a relay with a private CA (and in tests).
	RootCAs *x509.CertPool
}

// Validate checks the configuration. It is nil-safe and does not change c;
// every error wraps ErrConfig.
func (c *Config) Validate() error {
	if c == nil {
		return fmt.Errorf("%w: no mail configuration", ErrConfig)
	}
	if c.Addr == "" {
		return fmt.Errorf("%w: Addr is required (host:port of the SMTP relay, such as smtp.example.cat:587)", ErrConfig)
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("%w: Addr %q is not host:port (such as smtp.example.cat:587)", ErrConfig, c.Addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%w: Addr %q has no valid port", ErrConfig, c.Addr)
	}
	if c.From == "" {
		return fmt.Errorf("%w: From is required (such as no-reply@espai.example.cat)", ErrConfig)
	}
	if _, err := parseAddress("From", c.From); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if (c.Username == "") != (c.Password == "") {
		return fmt.Errorf("%w: set both Username and Password, or neither", ErrConfig)
	}
	if strings.ContainsAny(c.Username+c.Password, "\x00\r\n") {
		return fmt.Errorf("%w: Username or Password contains NUL, CR or LF", ErrConfig)
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(host) {
			return fmt.Errorf("%w: TLS %q is allowed only for a relay on a loopback address, not %q; use %q or %q",
				ErrConfig, TLSNone, host, TLSStartTLS, TLSImplicit)
		}
		if c.Username != "" {
			return fmt.Errorf("%w: credentials need TLS; TLS %q cannot be used with Username and Password", ErrConfig, TLSNone)
		}
	default:
		return fmt.Errorf("%w: TLS %q is not one of %q, %q or %q", ErrConfig, c.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%w: Timeout %v is negative", ErrConfig, c.Timeout)
	}
	if strings.ContainsFunc(c.ServerName, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return fmt.Errorf("%w: ServerName %q contains spaces or control characters", ErrConfig, c.ServerName)
	}
	return nil
}

// LogValue redacts the password.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("tls", c.tlsMode()),
		slog.Bool("auth", c.Username != ""),
	)
}

func (c *Config) tlsMode() string {
	if c.TLS == "" {
		return TLSStartTLS
	}
	return c.TLS
}

func (c *Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// serverName is the name checked in the relay's certificate and by PlainAuth.
func (c *Config) serverName() string {
	if c.ServerName != "" {
		return c.ServerName
	}
	host, _, _ := net.SplitHostPort(c.Addr)
	return host
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
