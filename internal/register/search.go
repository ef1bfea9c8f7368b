package register

import (
	"context"
	"slices"
	"strings"
	"unicode"
)

// Search bounds.
const (
	DefaultSearchLimit = 20  // results when the caller asks for limit <= 0
	MaxSearchLimit     = 100 // results at most, whatever the caller asks
	maxQueryTokens     = 8
)

// Match is one search result: enough to pick a citizen in a console.
type Match struct {
	ID           string
	Name         string // full name as in the census
	Municipality string
}

type searchEntry struct {
	key    string   // folded full name, for ordering
	tokens []string // folded name words
	match  Match
}

// buildIndex indexes the valid census records by name, ordered by folded
// full name then id. Quarantined records are not searchable.
func buildIndex(t *table[Census]) []searchEntry {
	idx := make([]searchEntry, 0, len(t.byID))
	for _, id := range t.ids {
		s := t.byID[id]
		if s.rec == nil {
			continue
		}
		name := s.rec.FullName()
		toks := foldWords(name)
		idx = append(idx, searchEntry{
			key:    strings.Join(toks, " "),
			tokens: toks,
			match:  Match{ID: id, Name: name, Municipality: s.rec.Municipality},
		})
	}
	slices.SortFunc(idx, func(a, b searchEntry) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.match.ID, b.match.ID)
	})
	return idx
}

// Search finds citizens in the census whose id starts with the query
// ("4713", "x12", case and hyphens ignored) or whose name has, for every word
// of the query, a word starting with it, ignoring case and accents ("marti
// ferr" finds "Martí Ferrer i Soler"; "lopez" finds "López"). Results are
// ordered by name and bounded by limit (DefaultSearchLimit when limit <= 0,
// never more than MaxSearchLimit). A blank query finds nothing. Quarantined
// records are never returned (see Problems).
func (f *Files) Search(ctx context.Context, query string, limit int) ([]Match, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	words := foldWords(query)
	if len(words) == 0 {
		return nil, nil
	}
	words = words[:min(len(words), maxQueryTokens)]
	idPrefix := idPrefixOf(query)
	var out []Match
	for i := range f.index {
		e := &f.index[i]
		if (idPrefix != "" && strings.HasPrefix(e.match.ID, idPrefix)) || wordsMatch(e.tokens, words) {
			out = append(out, e.match)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// idPrefixOf returns the query as an id prefix ("x-12" is "X12") when it
// can start a DNI or NIE, or "".
func idPrefixOf(query string) string {
	p := squeezeID(query)
	if p == "" || len(p) > 9 || !strings.ContainsRune("0123456789XYZ", rune(p[0])) {
		return ""
	}
	for i := 1; i < len(p); i++ {
		if c := p[i]; (c < '0' || c > '9') && (i != 8 || c < 'A' || c > 'Z') {
			return ""
		}
	}
	return p
}

// wordsMatch reports whether every query word prefixes some name word.
func wordsMatch(name, query []string) bool {
	for _, q := range query {
		if !slices.ContainsFunc(name, func(w string) bool { return strings.HasPrefix(w, q) }) {
			return false
		}
	}
	return true
}

// foldWords lower-cases s, removes the accents of Catalan and Spanish
// letters (à é è í ï ò ó ú ü ç ñ, and the punt volat of l·l) and splits it
// into words at anything that is not a letter or digit ("d'Urgell" is "d",
// "urgell"; "Garcia-López" is "garcia", "lopez").
func foldWords(s string) []string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '·' || r == '\u2027': // punt volat: "col·legi" is "collegi"
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(foldRune(unicode.ToLower(r)))
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

// foldRune maps an accented lower-case Latin letter to its base letter.
func foldRune(r rune) rune {
	switch r {
	case 'à', 'á', 'â', 'ä', 'ã':
		return 'a'
	case 'è', 'é', 'ê', 'ë':
		return 'e'
	case 'ì', 'í', 'î', 'ï':
		return 'i'
	case 'ò', 'ó', 'ô', 'ö', 'õ':
		return 'o'
	case 'ù', 'ú', 'û', 'ü':
		return 'u'
	case 'ç':
		return 'c'
	case 'ñ':
		return 'n'
	}
	return r
}
