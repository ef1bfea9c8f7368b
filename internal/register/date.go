package register

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Date is a calendar date without time or zone, written "YYYY-MM-DD" in JSON
// (the register files use no other form). The zero value means "absent" (an
// open employment period has a zero End) and marshals to nothing under
// `omitzero`; JSON null decodes to the zero value.
//
// Dates are comparable with == and ordered by Compare.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

var dateType = reflect.TypeFor[Date]()

// NewDate returns the date y-m-d, normalised as time.Date does
// (NewDate(2026, 2, 30) is 2026-03-02).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "YYYY-MM-DD" strictly: exactly 10 characters and a real
// calendar day ("2025-02-30" is an error).
func ParseDate(s string) (Date, error) {
	if len(s) != len(time.DateOnly) {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want a real YYYY-MM-DD calendar day", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero (absent) date.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String returns "YYYY-MM-DD" ("" for the zero date).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	if c := cmp.Compare(d.Year, o.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(d.Month, o.Month); c != 0 {
		return c
	}
	return cmp.Compare(d.Day, o.Day)
}

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is strictly after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// AddDate adds years, months and days as time.Time.AddDate does
// (2025-08-31 plus 6 months is 2026-03-03).
func (d Date) AddDate(years, months, days int) Date {
	return DateOf(d.Time().AddDate(years, months, days))
}

// DaysUntil returns the number of days from d to o (negative when o is before d).
func (d Date) DaysUntil(o Date) int {
	return int(o.Time().Sub(d.Time()).Hours() / 24)
}

// MarshalJSON writes "YYYY-MM-DD"; the zero date is written as null (use
// `omitzero` to leave it out).
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null. Any other value is a
// *json.UnmarshalTypeError, so encoding/json adds the field path.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: dateType}
	}
	v, err := ParseDate(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("%q", s), Type: dateType}
	}
	*d = v
	return nil
}
