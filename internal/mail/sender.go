package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strings"
	"time"
)

// helloName is the name given in EHLO. Submission relays identify a client by
// its credentials or address, not by this name.
const helloName = "localhost"

// Sender sends messages through the configured relay, one SMTP session per
// message. It is safe for concurrent use.
type Sender struct {
	cfg  Config
	from *mail.Address
}

// New checks cfg and returns a Sender. It does not connect.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	from, err := parseAddress("From", cfg.From)
	if err != nil { // Validate checked it
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &Sender{cfg: cfg, from: from}, nil
}

// Send delivers m to the relay with a new random Message-ID. It returns once
// the relay has accepted the message (its reply to the end of DATA), and
// honours ctx's deadline and cancellation as well as Config.Timeout.
//
// Errors wrap ErrInvalidMessage (nothing sent, permanent), ErrTLSRequired,
// *ReplyError (the relay refused a command), the context's error, or a
// network or TLS error. None contains the recipient address or the text.
func (s *Sender) Send(ctx context.Context, m Message) error {
	return s.send(ctx, m, s.newMessageID())
}

// newMessageID returns a random Message-ID in the domain of From: 128 random
// bits make it unique without revealing anything about the message.
func (s *Sender) newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b) + "@" + s.fromDomain()
}

func (s *Sender) fromDomain() string {
	return s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
}

// send is Send with a chosen Message-ID, so the Outbox can keep one per key.
func (s *Sender) send(ctx context.Context, m Message, msgID string) error {
	to, err := parseAddress("To", m.To)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	data, err := m.Bytes(s.cfg.From, time.Now(), msgID)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout())
	defer cancel()
	if err := s.session(ctx, envelopeAddress(to), data); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Connection deadlines come only from ctx, whose own timer may
			// not have fired yet: wait for it, so callers see ctx's error.
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return fmt.Errorf("mail: send: %w (%v)", ctxErr, err)
		}
		return err
	}
	return nil
}

// envelopeAddress is a's addr-spec as MAIL FROM and RCPT TO want it, with a
// local part quoted where RFC 5321 requires it.
func envelopeAddress(a *mail.Address) string {
	return strings.TrimSuffix(strings.TrimPrefix((&mail.Address{Address: a.Address}).String(), "<"), ">")
}

// session runs one SMTP session that delivers data to rcpt.
func (s *Sender) session(ctx context.Context, rcpt string, data []byte) (err error) {
	serverName := s.cfg.serverName()
	tlsConfig := &tls.Config{
		ServerName: serverName,
		RootCAs:    s.cfg.RootCAs,
		MinVersion: tls.VersionTLS12,
	}
	var conn net.Conn
	if s.cfg.tlsMode() == TLSImplicit {
		conn, err = (&tls.Dialer{Config: tlsConfig}).DialContext(ctx, "tcp", s.cfg.Addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", s.cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", s.cfg.Addr, err)
	}
	// Bound every read and write by the context: its deadline now, and an
	// immediate deadline as soon as it is cancelled.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, serverName) // reads the greeting
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %s: %w", s.cfg.Addr, replyError("greeting", err))
	}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if err := c.Hello(helloName); err != nil {
		return replyError("EHLO", err)
	}
	if s.cfg.tlsMode() == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return fmt.Errorf("mail: STARTTLS with %s: %w", s.cfg.Addr, replyError("STARTTLS", err))
			}
		} else if s.cfg.Username != "" {
			return ErrTLSRequired
		}
	}
	if s.cfg.Username != "" {
		// net/smtp's PlainAuth would also send the password in plain text to
		// "localhost": require TLS here.
		if _, ok := c.TLSConnectionState(); !ok {
			return ErrTLSRequired
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, serverName)); err != nil {
			return replyError("AUTH", err)
		}
	}
	if err := c.Mail(envelopeAddress(s.from)); err != nil {
		return replyError("MAIL", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return replyError("RCPT", err)
	}
	w, err := c.Data()
	if err != nil {
		return replyError("DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("mail: write message: %w", err)
	}
	if err := w.Close(); err != nil { // the relay's verdict on the message
		return replyError("DATA", err)
	}
	// The relay has the message: a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}
