package register

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// FormatVersion is the version of the register file format (docs/registers.md)
// that Open reads and the demo generator writes.
const FormatVersion = 1

// MaxFileSize bounds one register file (64 MiB, some 100,000 citizens): a
// larger file is refused rather than read into memory.
const MaxFileSize = 64 << 20

// Files is the file-backed implementation of every register source: four
// JSON files in one directory, read and validated once by Open and held in
// memory. It is immutable after Open and safe for concurrent use; lookups
// return copies. To pick up edited files, Open the directory again.
type Files struct {
	census   table[Census]
	tax      table[TaxCompliance]
	degrees  table[Degrees]
	worklife table[WorkLife]
	index    []searchEntry
}

var (
	_ CensusSource   = (*Files)(nil)
	_ TaxSource      = (*Files)(nil)
	_ DegreeSource   = (*Files)(nil)
	_ WorkLifeSource = (*Files)(nil)
	_ Directory      = (*Files)(nil)
)

// table is one register file, indexed by citizen id.
type table[T any] struct {
	src      Source
	byID     map[string]slot[T]
	ids      []string // sorted, quarantined ids included
	problems []*RecordError
}

// slot holds a valid record or, for a quarantined citizen, why not.
type slot[T any] struct {
	rec *T
	err *RecordError
}

// recordPtr is what decodeTable needs of a record type.
type recordPtr[T any] interface {
	*T
	validate(*checker)
	key() string
}

func (r *Census) key() string        { return r.ID }
func (r *TaxCompliance) key() string { return r.ID }
func (r *Degrees) key() string       { return r.ID }
func (r *WorkLife) key() string      { return r.ID }

// Open reads and validates the four register files in dir (census.json,
// tax.json, degrees.json, worklife.json). A file that is missing, too large,
// not JSON or not a register envelope of the right kind and version is an
// error wrapping ErrBadFile that names the file (and the byte offset, line and
// column of a syntax error). Invalid records do not fail Open: they are
// quarantined (see RecordError) and listed by Problems.
func Open(dir string) (*Files, error) {
	f := &Files{}
	var err error
	if f.census, err = readTable[Census](dir, SourceCensus); err != nil {
		return nil, err
	}
	if f.tax, err = readTable[TaxCompliance](dir, SourceTax); err != nil {
		return nil, err
	}
	if f.degrees, err = readTable[Degrees](dir, SourceDegree); err != nil {
		return nil, err
	}
	if f.worklife, err = readTable[WorkLife](dir, SourceWorkLife); err != nil {
		return nil, err
	}
	f.index = buildIndex(&f.census)
	return f, nil
}

func readTable[T any, P recordPtr[T]](dir string, src Source) (table[T], error) {
	path := filepath.Join(dir, src.File())
	fh, err := os.Open(path)
	if err != nil {
		return table[T]{}, fmt.Errorf("%w: %w", ErrBadFile, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return table[T]{}, fmt.Errorf("%w %s: %w", ErrBadFile, path, err)
	}
	if len(data) > MaxFileSize {
		return table[T]{}, fmt.Errorf("%w %s: larger than %d bytes", ErrBadFile, path, MaxFileSize)
	}
	t, err := decodeTable[T, P](src, data)
	if err != nil {
		return table[T]{}, fmt.Errorf("%w %s: %w", ErrBadFile, path, err)
	}
	return t, nil
}

// decodeTable parses one register file. Only envelope problems are errors;
// record problems are quarantined in the table.
func decodeTable[T any, P recordPtr[T]](src Source, data []byte) (table[T], error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return table[T]{}, describeJSONError(data, err)
	}
	for k := range top {
		if k != "register" && k != "version" && k != "records" {
			return table[T]{}, fmt.Errorf("unknown top-level field %q (want register, version, records)", k)
		}
	}
	var (
		name    string
		version int
		raws    []json.RawMessage
	)
	if err := json.Unmarshal(top["register"], &name); err != nil || Source(name) != src {
		return table[T]{}, fmt.Errorf("\"register\" must be %q", src)
	}
	if err := json.Unmarshal(top["version"], &version); err != nil || version != FormatVersion {
		return table[T]{}, fmt.Errorf("\"version\" must be %d (this espai reads format %d)", FormatVersion, FormatVersion)
	}
	if err := json.Unmarshal(top["records"], &raws); err != nil || raws == nil {
		return table[T]{}, errors.New("\"records\" must be an array")
	}

	t := table[T]{src: src, byID: make(map[string]slot[T], len(raws))}
	first := make(map[string]int, len(raws)) // id -> index of its first record
	for i, raw := range raws {
		rec, rerr := decodeRecord[T, P](src, i, raw)
		id := ""
		if rerr == nil {
			id = P(rec).key()
		} else if canon := squeezeID(rerr.ID); KindOf(canon) != KindInvalid {
			id = canon
		}
		if rerr == nil {
			if j, dup := first[id]; dup {
				rerr = &RecordError{Source: src, Index: i, ID: id, Reason: fmt.Sprintf("duplicate of record %d: the citizen is quarantined until one is removed", j)}
			}
		}
		if rerr != nil {
			t.problems = append(t.problems, rerr)
		}
		if id == "" {
			continue
		}
		prev, seen := t.byID[id]
		switch {
		case !seen:
			first[id] = i
			t.ids = append(t.ids, id)
			t.byID[id] = slot[T]{rec: rec, err: rerr}
		case prev.err == nil && rerr != nil:
			// A bad or duplicate record poisons the id: fail closed.
			t.byID[id] = slot[T]{err: rerr}
		}
	}
	slices.Sort(t.ids)
	return t, nil
}

// decodeRecord decodes and validates record i; on failure the record is nil.
func decodeRecord[T any, P recordPtr[T]](src Source, i int, raw json.RawMessage) (*T, *RecordError) {
	rec := P(new(T))
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		field, reason := fieldError(err)
		return nil, &RecordError{Source: src, Index: i, ID: probeID(raw), Field: field, Reason: reason}
	}
	var c checker
	rec.validate(&c)
	if !c.ok() {
		return nil, &RecordError{Source: src, Index: i, ID: truncate(rec.key()), Field: c.field, Reason: c.reason}
	}
	return (*T)(rec), nil
}

// probeID finds the nationalId of a record that does not decode, for the error.
func probeID(raw json.RawMessage) string {
	var p struct {
		ID any `json:"nationalId"`
	}
	_ = json.Unmarshal(raw, &p) // best effort: the record is already known bad
	s, _ := p.ID.(string)
	return truncate(s)
}

// truncate keeps error messages bounded whatever a file holds.
func truncate(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// fieldError turns a record decoding error into a field path and a reason.
func fieldError(err error) (field, reason string) {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Type == dateType {
			return ute.Field, fmt.Sprintf("%s is not a YYYY-MM-DD calendar date", truncate(ute.Value))
		}
		return ute.Field, fmt.Sprintf("want %s, got %s", jsonKind(ute.Type), truncate(ute.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return strings.Trim(name, `"`), "unknown field"
	}
	return "", err.Error()
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Pointer, reflect.Map:
		return "an object"
	}
	return t.String()
}

// describeJSONError names the byte offset, line and column of a syntax error.
func describeJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return fmt.Errorf("invalid JSON at byte %d (line %d, column %d): %w", se.Offset, line, col, err)
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return fmt.Errorf("want a JSON object with register, version and records, got %s", ute.Value)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}
