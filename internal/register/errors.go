package register

import (
	"errors"
	"fmt"
	"log/slog"
)

var (
	// ErrNotFound means the register holds no record for the citizen: answer
	// "unknown citizen" (HTTP 404); nothing can be issued from this source.
	ErrNotFound = errors.New("no register record")
	// ErrInvalidID means a string is not a DNI or NIE with the right check
	// letter: a usage error (HTTP 400, CLI exit 2); ask the person to retype it.
	ErrInvalidID = errors.New("invalid DNI/NIE")
	// ErrInvalidCIF means a string is not a well-formed CIF (company tax id).
	ErrInvalidCIF = errors.New("invalid CIF")
	// ErrBadFile means a register file cannot be used at all (missing,
	// unreadable, not JSON, wrong envelope): the deployment is misconfigured;
	// refuse to start and show the error to the operator.
	ErrBadFile = errors.New("bad register file")
)

// RecordError describes one register record that failed validation. The
// record is quarantined: a lookup of its citizen returns this error instead
// of the data, so nothing is ever issued from it, while the other records of
// the file stay usable. The issuer answers "the register record is being
// corrected" and the operator fixes the file.
//
// Error() names the file, the record and the citizen id, so the operator can
// find it; it is meant for the operator's console. Loggers get LogValue,
// which leaves the id out.
type RecordError struct {
	Source Source // which register
	Index  int    // 0-based position in the file's "records" array (jq .records[Index])
	ID     string // citizen id as written in the record (may itself be invalid), "" if absent
	Field  string // JSON path of the offending field ("employment[2].endDate"), "" for the whole record
	Reason string // what is wrong, in plain words
}

// Error implements error:
// "census.json record 17 (DNI 1234567A): nationalId: invalid DNI check letter".
func (e *RecordError) Error() string {
	who := ""
	if e.ID != "" {
		who = fmt.Sprintf(" (%s %s)", guessKind(e.ID), e.ID)
	}
	field := ""
	if e.Field != "" {
		field = e.Field + ": "
	}
	return fmt.Sprintf("%s record %d%s: %s%s", e.Source.File(), e.Index, who, field, e.Reason)
}

// LogValue implements slog.LogValuer without the citizen id (personal data
// never reaches a log).
func (e *RecordError) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("file", e.Source.File()),
		slog.Int("record", e.Index),
		slog.String("field", e.Field),
		slog.String("reason", e.Reason),
	)
}
