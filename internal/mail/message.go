package mail

import (
	"bytes"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on a Message, well inside the SMTP line and size limits.
const (
	MaxSubjectRunes = 255     // characters of Subject
	MaxTextBytes    = 1 << 20 // bytes of Text
	MaxAddressBytes = 320     // bytes of To or From, display name included
)

// Message is one plain-text alert to one recipient.
type Message struct {
	To      string // recipient: one address, such as "nom@example.cat" or "Nom <nom@example.cat>"
	Subject string // one line of UTF-8
	Text    string // UTF-8 body; LF or CRLF line ends
	Lang    string // Content-Language (BCP 47, such as "ca"), or "" for none
}

// LogValue redacts the message: its address and text are personal data.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(slog.String("lang", m.Lang), slog.Int("text_bytes", len(m.Text)))
}

var (
	langRE  = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)
	msgIDRE = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]+$`)
)

// Bytes returns the message as RFC 5322 text with CRLF line ends, from the
// address from, dated now, with the Message-ID msgID ("id@domain", angle
// brackets optional). Every error wraps ErrInvalidMessage and names the field
// at fault, never its value (it may be personal data).
func (m Message) Bytes(from string, now time.Time, msgID string) ([]byte, error) {
	fromAddr, err := parseAddress("From", from)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	toAddr, err := parseAddress("To", m.To)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	subject, err := encodeSubject(m.Subject)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	if m.Lang != "" && !langRE.MatchString(m.Lang) {
		return nil, fmt.Errorf("%w: Lang is not a language tag such as \"ca\" or \"es-ES\"", ErrInvalidMessage)
	}
	msgID = strings.TrimSuffix(strings.TrimPrefix(msgID, "<"), ">")
	if !msgIDRE.MatchString(msgID) {
		return nil, fmt.Errorf("%w: Message-ID is not of the form id@domain", ErrInvalidMessage)
	}
	if len(m.Text) > MaxTextBytes {
		return nil, fmt.Errorf("%w: Text is longer than %d bytes", ErrInvalidMessage, MaxTextBytes)
	}
	if !utf8.ValidString(m.Text) {
		return nil, fmt.Errorf("%w: Text is not valid UTF-8", ErrInvalidMessage)
	}
	if now.IsZero() {
		return nil, fmt.Errorf("%w: no Date", ErrInvalidMessage)
	}

	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("Date", now.Format(time.RFC1123Z))
	header("From", formatAddress(fromAddr))
	header("To", formatAddress(toAddr))
	header("Subject", subject)
	header("Message-ID", "<"+msgID+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	if m.Lang != "" {
		header("Content-Language", m.Lang)
	}
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&b) // Binary false: "\n" becomes CRLF
	if _, err := qp.Write([]byte(normalizeText(m.Text))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// normalizeText turns CRLF and lone CR into LF and ends the text with a line
// break, so the quoted-printable writer emits only CRLF line ends.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// encodeSubject checks a subject and returns it as a header value: plain if
// ASCII, else RFC 2047 Q-encoded words folded one per line. Surrounding
// spaces are trimmed (a header reader would drop them anyway).
func encodeSubject(s string) (string, error) {
	if err := checkHeaderValue("Subject", s); err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%s is empty", "Subject")
	}
	if utf8.RuneCountInString(s) > MaxSubjectRunes {
		return "", fmt.Errorf("%s is longer than %d characters", "Subject", MaxSubjectRunes)
	}
	return foldEncodedWords(mime.QEncoding.Encode("utf-8", s)), nil
}

// formatAddress writes an address for a header: net/mail Q-encodes a
// non-ASCII display name.
func formatAddress(a *mail.Address) string { return foldEncodedWords(a.String()) }

// foldEncodedWords folds a header value after each RFC 2047 encoded word.
// mime's encoder separates encoded words (at most 75 characters, no spaces
// inside) by single spaces; folding there keeps every line short, and a
// decoder drops the whitespace between two encoded words. A value that does
// not start with an encoded word is left alone.
func foldEncodedWords(v string) string {
	if !strings.HasPrefix(v, "=?") {
		return v
	}
	return strings.ReplaceAll(v, "?= ", "?=\r\n ")
}

// checkHeaderValue refuses invalid UTF-8 and control characters (CR and LF
// above all: header injection) in a header value. Like parseAddress and
// encodeSubject it names the field, never the value, and leaves wrapping in a
// sentinel to the caller.
func checkHeaderValue(field, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("%s contains a line break (CR or LF), which could inject headers", field)
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
		return fmt.Errorf("%s contains a control character", field)
	}
	return nil
}

// parseAddress parses one address of field (From or To): a single ASCII
// addr-spec, optionally with a display name.
func parseAddress(field, s string) (*mail.Address, error) {
	if s == "" {
		return nil, fmt.Errorf("%s address is empty", field)
	}
	if len(s) > MaxAddressBytes {
		return nil, fmt.Errorf("%s is longer than %d bytes", field, MaxAddressBytes)
	}
	if err := checkHeaderValue(field, s); err != nil {
		return nil, err
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		// net/mail errors may quote the input, which is personal data.
		return nil, fmt.Errorf("%s is not a single e-mail address such as nom@example.cat", field)
	}
	for _, r := range a.Address {
		if r <= ' ' || r >= 0x7f {
			return nil, fmt.Errorf("%s address has non-ASCII characters or spaces (internationalised addresses are not supported)", field)
		}
	}
	if i := strings.LastIndexByte(a.Address, '@'); i <= 0 || i == len(a.Address)-1 {
		return nil, fmt.Errorf("%s address has no domain", field)
	}
	return a, nil
}
