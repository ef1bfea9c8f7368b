package mail

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
)

var (
	// ErrConfig means the Config is invalid: a usage error; fix the setting.
	ErrConfig = errors.New("mail: invalid config")
	// ErrInvalidMessage means a Message (or a key) was refused before anything
	// was sent: a bad address, a line break or control character in a header
	// value, invalid UTF-8. It is permanent; fix the caller, never retry.
	ErrInvalidMessage = errors.New("mail: invalid message")
	// ErrTLSRequired means the relay did not offer STARTTLS although the
	// configuration requires TLS (credentials are set). Nothing was sent, no
	// credentials left the process; fix the relay or the configuration.
	ErrTLSRequired = errors.New("mail: server does not offer STARTTLS, which credentials require")
)

// ReplyError is a refusal by the SMTP server: a reply code of 4xx (temporary)
// or 5xx (permanent) to one command.
//
// Error gives the command, the reply code and the enhanced status code
// (RFC 3463) only. The server's free text often repeats the recipient address,
// so it is kept in Text for a caller that must show it to the operator; never
// log Text.
type ReplyError struct {
	Command  string // "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "greeting"
	Code     int    // SMTP reply code, such as 550
	Enhanced string // enhanced status code such as "5.1.1", or ""
	Text     string // the server's text: may contain personal data
}

func (e *ReplyError) Error() string {
	if e.Enhanced != "" {
		return fmt.Sprintf("mail: server refused %s: %d %s", e.Command, e.Code, e.Enhanced)
	}
	return fmt.Sprintf("mail: server refused %s: %d", e.Command, e.Code)
}

// Temporary reports whether the server asked to try again later (4xx).
func (e *ReplyError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

var enhancedRE = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// replyError turns a textproto reply error into a *ReplyError for command and
// passes any other error through.
func replyError(command string, err error) error {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return err
	}
	return &ReplyError{Command: command, Code: te.Code, Enhanced: enhancedRE.FindString(te.Msg), Text: te.Msg}
}

// permanent reports whether sending the same message again cannot succeed: the
// message was refused locally, or the server refused the recipient or the
// content with a 5xx reply. A 5xx to MAIL or AUTH is not counted: it points at
// the configuration, which an operator can fix while the message waits.
func permanent(err error) bool {
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	var re *ReplyError
	return errors.As(err, &re) && re.Code >= 500 && (re.Command == "RCPT" || re.Command == "DATA")
}
