package ledger

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// EntryVersion is the only entry format this package writes and reads.
const EntryVersion = 1

// Size limits of an entry (version 1). An encoded entry never exceeds MaxEntrySize.
const (
	MaxIDLen         = 128  // administration ids, purpose codes, credential types, category and claim names
	MaxLegalBasisLen = 512  // free text, UTF-8
	MaxCategories    = 32   // data categories or claim names per entry
	MaxEntrySize     = 8192 // bytes, encoded
	fixedHeaderLen   = 1 + 1 + 8 + 32 + 32 + 1
)

// Kind is what happened. Its numeric value is part of the entry format.
type Kind uint8

// Entry kinds (version 1). Never renumber; add new kinds at the end.
const (
	KindConsentGiven         Kind = 1 // the citizen consented to share Categories (claim names) for Purpose
	KindConsentRefused       Kind = 2 // the citizen refused a request
	KindConsentWithdrawn     Kind = 3 // the citizen withdrew an earlier consent
	KindPresentationVerified Kind = 4 // a verifier checked a presentation; Outcome accepted or refused
	KindDataExchange         Kind = 5 // a Via Oberta query: Administration asked Source for Categories
	KindCredentialIssued     Kind = 6
	KindCredentialRevoked    Kind = 7
	KindCredentialSuspended  Kind = 8
	KindCredentialReinstated Kind = 9
)

var kindNames = map[Kind]string{
	KindConsentGiven:         "consent-given",
	KindConsentRefused:       "consent-refused",
	KindConsentWithdrawn:     "consent-withdrawn",
	KindPresentationVerified: "presentation-verified",
	KindDataExchange:         "data-exchange",
	KindCredentialIssued:     "credential-issued",
	KindCredentialRevoked:    "credential-revoked",
	KindCredentialSuspended:  "credential-suspended",
	KindCredentialReinstated: "credential-reinstated",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind maps a kind name ("consent-given", ...) to its Kind.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n == s {
			return k, nil
		}
	}
	return 0, invalid("unknown kind %q", s)
}

// MarshalText encodes the kind as its name.
func (k Kind) MarshalText() ([]byte, error) {
	if _, ok := kindNames[k]; !ok {
		return nil, invalid("unknown kind %d", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText decodes a kind name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	*k = v
	return err
}

// Outcome is the result of a verified presentation.
type Outcome uint8

// Outcomes. OutcomeNone is required for every kind but KindPresentationVerified.
const (
	OutcomeNone     Outcome = 0
	OutcomeAccepted Outcome = 1
	OutcomeRefused  Outcome = 2
)

func (o Outcome) String() string {
	switch o {
	case OutcomeNone:
		return ""
	case OutcomeAccepted:
		return "accepted"
	case OutcomeRefused:
		return "refused"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// MarshalText encodes the outcome as its name ("" for none).
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText decodes an outcome name.
func (o *Outcome) UnmarshalText(b []byte) error {
	switch string(b) {
	case "":
		*o = OutcomeNone
	case "accepted":
		*o = OutcomeAccepted
	case "refused":
		*o = OutcomeRefused
	default:
		return invalid("unknown outcome %q", b)
	}
	return nil
}

// Entry is one event of the log (version 1). Every field is a public
// identifier: administration ids ("ajuntament-girona"), purpose codes, legal
// basis text, claim or data category NAMES (never values), credential types,
// plus the per-administration pseudonym of the citizen and a commitment to the
// full receipt the citizen's wallet keeps. See docs/ledger.md for the bytes.
type Entry struct {
	Kind Kind `json:"kind"`
	// Time is when the event happened, stored in Unix milliseconds (UTC). The
	// zero value is replaced by the log's clock on append.
	Time time.Time `json:"time"`
	// Pseudonym is the citizen as seen by Administration (see Pseudonym).
	Pseudonym PseudonymID `json:"pseudonym"`
	// Commitment binds the entry to the full receipt document (see Commit).
	Commitment Commitment `json:"commitment"`
	// Administration is the acting administration: the verifier, the issuer,
	// the one asking for consent, or the requester of a data exchange.
	Administration string `json:"administration"`
	// Source is the administration holding the data in a data exchange.
	Source string `json:"source,omitempty"`
	// Purpose is a purpose code ("padro-verificacio", "ajut-lloguer").
	Purpose string `json:"purpose,omitempty"`
	// LegalBasis is the legal basis text (e.g. "Llei 39/2015 art. 28").
	LegalBasis string `json:"legal_basis,omitempty"`
	// CredentialType is the credential type involved ("CensusCredential").
	CredentialType string `json:"credential_type,omitempty"`
	// Categories are claim names (consents, presentations) or data categories
	// (data exchange). Names only, never values.
	Categories []string `json:"categories,omitempty"`
	// Outcome of a verified presentation; none for every other kind.
	Outcome Outcome `json:"outcome,omitempty"`
}

// field rules: required (r), optional (o) or forbidden (absent).
type rules struct {
	source, purpose, legalBasis, credType, categories byte
}

var kindRules = map[Kind]rules{
	KindConsentGiven:         {purpose: 'r', legalBasis: 'r', categories: 'r', credType: 'o'},
	KindConsentRefused:       {purpose: 'r', legalBasis: 'o', categories: 'r', credType: 'o'},
	KindConsentWithdrawn:     {purpose: 'r', legalBasis: 'o', categories: 'o', credType: 'o'},
	KindPresentationVerified: {purpose: 'r', legalBasis: 'o', categories: 'r', credType: 'r'},
	KindDataExchange:         {source: 'r', purpose: 'r', legalBasis: 'r', categories: 'r'},
	KindCredentialIssued:     {credType: 'r', purpose: 'o', legalBasis: 'o'},
	KindCredentialRevoked:    {credType: 'r', purpose: 'o', legalBasis: 'o'},
	KindCredentialSuspended:  {credType: 'r', purpose: 'o', legalBasis: 'o'},
	KindCredentialReinstated: {credType: 'r', purpose: 'o', legalBasis: 'o'},
}

// Validate checks the entry against the rules of its kind. It never modifies e.
func (e *Entry) Validate() error {
	if e == nil {
		return invalid("nil entry")
	}
	r, ok := kindRules[e.Kind]
	if !ok {
		return invalid("unknown kind %d", e.Kind)
	}
	if e.Time.IsZero() {
		return invalid("time is zero")
	}
	if ms := e.Time.UnixMilli(); ms < 0 {
		return invalid("time before 1970")
	}
	if e.Pseudonym == (PseudonymID{}) {
		return invalid("pseudonym is missing")
	}
	if e.Commitment == (Commitment{}) {
		return invalid("commitment is missing")
	}
	if err := checkID("administration", e.Administration, 'r'); err != nil {
		return err
	}
	if err := checkID("source", e.Source, r.source); err != nil {
		return err
	}
	if err := checkID("purpose", e.Purpose, r.purpose); err != nil {
		return err
	}
	if err := checkID("credential_type", e.CredentialType, r.credType); err != nil {
		return err
	}
	if err := checkText("legal_basis", e.LegalBasis, r.legalBasis); err != nil {
		return err
	}
	switch {
	case r.categories == 0 && len(e.Categories) > 0:
		return invalid("categories not allowed for %s", e.Kind)
	case r.categories == 'r' && len(e.Categories) == 0:
		return invalid("categories required for %s", e.Kind)
	case len(e.Categories) > MaxCategories:
		return invalid("%d categories, at most %d", len(e.Categories), MaxCategories)
	}
	for i, c := range e.Categories {
		if err := checkID(fmt.Sprintf("categories[%d]", i), c, 'r'); err != nil {
			return err
		}
	}
	if e.Kind == KindPresentationVerified {
		if e.Outcome != OutcomeAccepted && e.Outcome != OutcomeRefused {
			return invalid("presentation-verified needs outcome accepted or refused")
		}
	} else if e.Outcome != OutcomeNone {
		return invalid("outcome not allowed for %s", e.Kind)
	}
	return nil
}

// checkID accepts identifiers of 1..MaxIDLen bytes from [A-Za-z0-9._:/-].
func checkID(name, v string, rule byte) error {
	if err := presence(name, v, rule); err != nil || v == "" {
		return err
	}
	if len(v) > MaxIDLen {
		return invalid("%s is %d bytes, at most %d", name, len(v), MaxIDLen)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._:/-", c) >= 0
		if !ok {
			return invalid("%s has byte %q: only letters, digits and ._:/- are allowed", name, c)
		}
	}
	return nil
}

// checkText accepts printable UTF-8 without control characters.
func checkText(name, v string, rule byte) error {
	if err := presence(name, v, rule); err != nil || v == "" {
		return err
	}
	if len(v) > MaxLegalBasisLen {
		return invalid("%s is %d bytes, at most %d", name, len(v), MaxLegalBasisLen)
	}
	if !utf8.ValidString(v) {
		return invalid("%s is not UTF-8", name)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return invalid("%s has a control character", name)
		}
	}
	return nil
}

func presence(name, v string, rule byte) error {
	switch {
	case rule == 'r' && v == "":
		return invalid("%s is required", name)
	case rule == 0 && v != "":
		return invalid("%s is not allowed for this kind", name)
	}
	return nil
}

// MarshalBinary validates e and encodes it in the version 1 byte layout
// (docs/ledger.md). The encoding is canonical: one entry has one encoding.
func (e *Entry) MarshalBinary() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, fixedHeaderLen, 256)
	b[0] = EntryVersion
	b[1] = byte(e.Kind)
	binary.BigEndian.PutUint64(b[2:10], uint64(e.Time.UnixMilli()))
	copy(b[10:42], e.Pseudonym[:])
	copy(b[42:74], e.Commitment[:])
	b[74] = byte(e.Outcome)
	for _, s := range []string{e.Administration, e.Source, e.Purpose, e.LegalBasis, e.CredentialType} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	b = append(b, byte(len(e.Categories)))
	for _, c := range e.Categories {
		b = append(b, byte(len(c)))
		b = append(b, c...)
	}
	if len(b) > MaxEntrySize {
		return nil, invalid("encoded entry is %d bytes, at most %d", len(b), MaxEntrySize)
	}
	return b, nil
}

// ParseEntry decodes and validates a version 1 entry. Trailing bytes, unknown
// versions and any input that would not re-encode to the same bytes are rejected.
func ParseEntry(b []byte) (*Entry, error) {
	if len(b) > MaxEntrySize {
		return nil, malformed("entry", "%d bytes, at most %d", len(b), MaxEntrySize)
	}
	if len(b) < fixedHeaderLen {
		return nil, malformed("entry", "%d bytes, shorter than the header", len(b))
	}
	if b[0] != EntryVersion {
		return nil, malformed("entry", "version %d, want %d", b[0], EntryVersion)
	}
	e := &Entry{Kind: Kind(b[1]), Outcome: Outcome(b[74])}
	ms := binary.BigEndian.Uint64(b[2:10])
	if ms > 1<<62 {
		return nil, malformed("entry", "time out of range")
	}
	e.Time = time.UnixMilli(int64(ms)).UTC()
	copy(e.Pseudonym[:], b[10:42])
	copy(e.Commitment[:], b[42:74])
	rest := b[fixedHeaderLen:]
	var strs [5]string
	for i := range strs {
		if len(rest) < 2 {
			return nil, malformed("entry", "truncated string length")
		}
		n := int(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
		if len(rest) < n {
			return nil, malformed("entry", "truncated string")
		}
		strs[i] = string(rest[:n])
		rest = rest[n:]
	}
	e.Administration, e.Source, e.Purpose, e.LegalBasis, e.CredentialType = strs[0], strs[1], strs[2], strs[3], strs[4]
	if len(rest) < 1 {
		return nil, malformed("entry", "truncated category count")
	}
	count := int(rest[0])
	rest = rest[1:]
	for range count {
		if len(rest) < 1 {
			return nil, malformed("entry", "truncated category length")
		}
		n := int(rest[0])
		if len(rest) < 1+n {
			return nil, malformed("entry", "truncated category")
		}
		e.Categories = append(e.Categories, string(rest[1:1+n]))
		rest = rest[1+n:]
	}
	if len(rest) != 0 {
		return nil, malformed("entry", "%d trailing bytes", len(rest))
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return e, nil
}
