// Package mail delivers citizen alerts by e-mail over SMTP, when a deployment
// configures a mail relay. It is deliberately small: plain-text messages to one
// recipient each, built with the standard library (net/smtp, mime,
// mime/quotedprintable) and handed to the operator's submission server, which
// does the real delivery (queues, DKIM, bounces).
//
// A [Sender] sends one [Message] per SMTP session. An [Outbox] puts a durable
// queue in front of it: alerts are enqueued under an idempotency key (such as
// "notif-deadline/<id>") in a bbolt file and sent by [Outbox.Flush], which the
// caller runs periodically; a message that cannot be sent waits with
// exponential backoff and is not lost when the relay is down or the process
// restarts.
//
// # Message format
//
// [Message.Bytes] writes an RFC 5322 message: Date, From, To, Subject,
// Message-ID, MIME-Version, Content-Type (text/plain; charset=utf-8),
// Content-Transfer-Encoding (quoted-printable), optional Content-Language, and
// Auto-Submitted: auto-generated (RFC 3834, so auto-responders do not answer).
// A non-ASCII subject ("Tens una notificació") is written as RFC 2047
// Q-encoded words, folded so no header line grows past the limits; the body is
// quoted-printable with CRLF line ends, so the message is 7-bit clean and passes
// through any relay.
//
// # Security
//
//   - Header injection: CR, LF and other control characters are refused in
//     every header value (To, Subject, Content-Language, From, Message-ID)
//     before anything is written; addresses must parse with net/mail and be a
//     single ASCII addr-spec. The body cannot add headers: it is
//     quoted-printable and SMTP dot-stuffing is done by net/smtp.
//   - Transport: TLS "starttls" (the default) upgrades the connection whenever
//     the server offers STARTTLS and verifies the server certificate against
//     the system roots (or Config.RootCAs) and Config.ServerName; a failed
//     upgrade or verification is an error, never a silent fallback to plain
//     text. With credentials configured STARTTLS is required. TLS "tls" is
//     implicit TLS (port 465). TLS "none" is accepted only for a relay on a
//     loopback address and never with credentials.
//   - Credentials are sent only with AUTH PLAIN inside TLS; the check is made
//     here, not left to net/smtp (whose PlainAuth also allows plain-text
//     localhost). Config.LogValue redacts the password.
//   - Personal data: a recipient address and a message body never reach a log
//     or an error string. Errors carry the SMTP command and reply code only
//     ([ReplyError] keeps the server's text, which often repeats the address,
//     in a field for a caller that must show it); the Outbox logs only the key
//     and that error. Message.LogValue redacts the message.
//
// # Caveats
//
//   - Opportunistic STARTTLS without credentials can be stripped by an active
//     attacker between Espai and the relay, who then reads recipient addresses
//     and alert text. Use a relay on loopback, TLS "tls", or credentials (which
//     make STARTTLS mandatory) for any relay across a network.
//   - The Outbox file holds pending messages (recipient and text) in clear
//     until they are sent; it is created 0600 and belongs in the data
//     directory with the other bbolt files. Once a message is sent or given up,
//     only its key and the time remain, and those markers are pruned after 90
//     days.
//   - Delivery is at least once, not exactly once: if the process stops after
//     the relay accepted a message but before the sent marker is written, or
//     the connection drops while waiting for the relay's final reply, the
//     message is sent again on the next Flush (with the same Message-ID, which
//     lets mail clients drop the duplicate). Within 90 days a key is never
//     enqueued or sent twice after it was marked sent.
//   - No DKIM, no HTML, no attachments, one recipient per message: the relay
//     signs, and alerts are short texts pointing back to the citizen's space.
package mail
