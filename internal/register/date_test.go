package register

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-11-02", Date{2026, 11, 2}, true},
		{"2024-02-29", Date{2024, 2, 29}, true},
		{"2025-02-29", Date{}, false},
		{"2025-13-01", Date{}, false},
		{"2025-1-01", Date{}, false},
		{"2025-01-01T00:00:00Z", Date{}, false},
		{"01/02/2025", Date{}, false},
		{"", Date{}, false},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		A Date `json:"a"`
		B Date `json:"b,omitzero"`
	}
	out, err := json.Marshal(doc{A: NewDate(2026, 2, 30)})
	if err != nil || string(out) != `{"a":"2026-03-02"}` {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"a":"2000-05-14","b":null}`), &d); err != nil || d.A != (Date{2000, 5, 14}) || !d.B.IsZero() {
		t.Fatalf("Unmarshal = %+v, %v", d, err)
	}
	for _, bad := range []string{`{"a":"2000-02-30"}`, `{"a":20000514}`, `{"a":""}`, `{"a":{}}`} {
		var ute *json.UnmarshalTypeError
		err := json.Unmarshal([]byte(bad), &d)
		if !errors.As(err, &ute) || ute.Field != "a" {
			t.Errorf("Unmarshal(%s) = %v, want an UnmarshalTypeError on field a", bad, err)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	a, b := Date{2025, 8, 31}, Date{2026, 3, 3}
	if got := a.AddDate(0, 6, 0); got != b {
		t.Errorf("AddDate = %v, want %v", got, b)
	}
	if got := a.DaysUntil(b); got != 184 {
		t.Errorf("DaysUntil = %d, want 184", got)
	}
	if !a.Before(b) || !b.After(a) || a.Compare(a) != 0 || b.DaysUntil(a) != -184 {
		t.Error("ordering is wrong")
	}
	// Across the March DST change in Europe the count must stay whole days.
	if got := (Date{2026, 3, 1}).DaysUntil(Date{2026, 4, 1}); got != 31 {
		t.Errorf("DaysUntil across DST = %d", got)
	}
}
