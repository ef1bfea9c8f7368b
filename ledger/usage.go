package ledger

import (
	"context"
	"fmt"
	"time"
)

// Usage is a tally of a log's entries for auditors' statistics: how many
// entries of each kind each administration logged, per local day, purpose and
// legal basis, plus the accesses that had neither a legal basis nor a consent
// in force. It keeps no pseudonym and no commitment.
type Usage struct {
	Entries  uint64 // entries read
	Unparsed uint64 // entries that did not parse (not tallied; Audit reports them)
	// First and Last are the earliest and latest entry times (zero when no
	// entry parsed). Entry times come from the writers and are not verified.
	First, Last time.Time
	Counts      map[UsageKey]int
	// WithoutConsent lists, in log order, the accesses without consent (see
	// TallyUsage for the rule).
	WithoutConsent []Access
}

// UsageKey is one group of Usage.Counts.
type UsageKey struct {
	Day            string // civil date of the entry in the tally's location, "2006-01-02"
	Kind           Kind
	Administration string
	Purpose        string
	LegalBasis     string
}

// Access is one presentation-verified or data-exchange entry.
type Access struct {
	Index          uint64
	Time           time.Time
	Kind           Kind
	Administration string
	Purpose        string
}

// IsExchange reports whether entries of kind k are an administration getting
// a citizen's data: a verified presentation or a data exchange.
func (k Kind) IsExchange() bool { return k == KindPresentationVerified || k == KindDataExchange }

// TallyUsage reads the entries [0, size) of src, page by page, and tallies
// them by day (in loc; nil means UTC), kind, administration, purpose and legal
// basis.
//
// An access is without consent when it is a presentation-verified or
// data-exchange entry with an empty legal basis and, at that point of the log,
// no consent is in force for the same administration, purpose and pseudonym.
// A consent is in force from a consent-given entry until a later
// consent-withdrawn entry with the same three values. Because pseudonyms are
// derived per administration (from the entry's Administration), they can only
// match between entries of one administration: a consent given to one body
// never covers another's access, and presentations made under one-time
// pseudonyms (QR codes scanned without a wallet pseudonym) never match one.
// "Earlier" is log order (index), not entry time. Validate requires a legal
// basis on every data exchange, so in practice only presentations qualify.
func TallyUsage(ctx context.Context, src AuditSource, size uint64, loc *time.Location) (*Usage, error) {
	if loc == nil {
		loc = time.UTC
	}
	type consentKey struct {
		admin, purpose string
		pseudonym      PseudonymID
	}
	inForce := map[consentKey]bool{}
	u := &Usage{Counts: map[UsageKey]int{}}
	for start := uint64(0); start < size; {
		end := min(start+MaxRange, size)
		page, err := src.EntryRange(ctx, start, end)
		if err != nil {
			return nil, fmt.Errorf("ledger: usage: entries [%d, %d): %w", start, end, err)
		}
		if len(page) == 0 {
			return nil, fmt.Errorf("%w: ledger: usage: no entries in [%d, %d)", ErrNotFound, start, end)
		}
		for _, ie := range page {
			u.Entries++
			e, err := ParseEntry(ie.Data)
			if err != nil {
				u.Unparsed++
				continue
			}
			if u.First.IsZero() || e.Time.Before(u.First) {
				u.First = e.Time
			}
			if e.Time.After(u.Last) {
				u.Last = e.Time
			}
			u.Counts[UsageKey{Day: e.Time.In(loc).Format(time.DateOnly), Kind: e.Kind,
				Administration: e.Administration, Purpose: e.Purpose, LegalBasis: e.LegalBasis}]++
			k := consentKey{e.Administration, e.Purpose, e.Pseudonym}
			switch {
			case e.Kind == KindConsentGiven:
				inForce[k] = true
			case e.Kind == KindConsentWithdrawn:
				delete(inForce, k)
			case e.Kind.IsExchange() && e.LegalBasis == "" && !inForce[k]:
				u.WithoutConsent = append(u.WithoutConsent, Access{Index: ie.Index, Time: e.Time, Kind: e.Kind,
					Administration: e.Administration, Purpose: e.Purpose})
			}
		}
		start = page[len(page)-1].Index + 1
	}
	return u, nil
}
