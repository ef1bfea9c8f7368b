package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
	"github.com/gin-gonic/gin"
)

// How credential claims read for people: in the citizen's space, the
// verifier console and Via Oberta answers. A credential's protocol claims
// (key binding, validity instants, issuer, type, status reference) are not
// data about the citizen: they are left out of the data list and shown,
// when at all, under "technical details".

// technicalClaims are SD-JWT VC / JWT claims that describe the credential,
// not the citizen.
var technicalClaims = map[string]bool{
	"cnf": true, "exp": true, "iat": true, "nbf": true, "iss": true, "sub": true, "aud": true, "jti": true,
	"vct": true, "vct#integrity": true, "status": true, "_sd": true, "_sd_alg": true,
}

// claimOrder puts a person's data in the order forms use; claims not named
// here follow in alphabetical order.
var claimOrder = []string{
	"givenName", "familyName", "secondFamilyName", "nationalId", "birthDate",
	"address", "postalCode", "municipality", "province", "registrationDate", "household",
	"upToDate", "obligationsChecked", "debtDescription", "checkDate", "validUntil",
	"degreeTitle", "university", "awardDate", "ects", "grade",
	"totalDaysContributed", "employment",
}

// personalClaim is one claim ready to show: its label, its value as text,
// and for a list of records (working periods, household members) one line
// per record.
type personalClaim struct {
	Name, Label, Value string
	Items              []string
}

// personalClaimNames are the claims of a credential that are about the
// citizen (what a QR code may disclose), in display order.
func personalClaimNames(claims map[string]any) []string {
	names := make([]string, 0, len(claims))
	for k := range claims {
		if !technicalClaims[k] {
			names = append(names, k)
		}
	}
	sortClaimNames(names)
	return names
}

func sortClaimNames(names []string) {
	rank := func(n string) int {
		if i := slices.Index(claimOrder, n); i >= 0 {
			return i
		}
		return len(claimOrder)
	}
	sort.SliceStable(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
}

// personalClaims renders the citizen's data of claims for people.
func personalClaims(tr translator, claims map[string]any) []personalClaim {
	names := personalClaimNames(claims)
	out := make([]personalClaim, 0, len(names))
	for _, n := range names {
		out = append(out, renderClaim(tr, n, claims[n]))
	}
	return out
}

func renderClaim(tr translator, name string, v any) personalClaim {
	pc := personalClaim{Name: name, Label: claimLabel(tr, name)}
	if list, ok := v.([]any); ok && slices.ContainsFunc(list, func(e any) bool { _, m := e.(map[string]any); return m }) {
		for _, e := range list {
			pc.Items = append(pc.Items, claimValue(tr, e))
		}
		return pc
	}
	pc.Value = claimValue(tr, v)
	return pc
}

// claimLabel names a claim for people; an unknown claim keeps its name.
func claimLabel(tr translator, name string) string {
	if l := tr.T("cv.claim." + name); l != "cv.claim."+name {
		return l
	}
	return name
}

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// claimValue renders a claim value for people: dates as dd/mm/yyyy, yes/no
// in the reader's language, whole numbers without exponent, lists joined,
// records as "label: value" pairs.
func claimValue(tr translator, v any) string {
	switch x := v.(type) {
	case string:
		if isoDate.MatchString(x) {
			if d, err := time.Parse(time.DateOnly, x); err == nil {
				return d.Format("02/01/2006")
			}
		}
		return x
	case bool:
		if x {
			return tr.T("claim.yes")
		}
		return tr.T("claim.no")
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimValue(tr, e)
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortClaimNames(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = claimLabel(tr, k) + ": " + claimValue(tr, x[k])
		}
		return strings.Join(parts, " · ")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// citizenReasonKey names, for a citizen, why an action in their space
// failed: the translation key of the error's class. The error's own text
// (English, for logs and operators) is shown only as a technical detail.
func citizenReasonKey(err error) string {
	switch {
	case errors.Is(err, wallet.ErrNotFound), errors.Is(err, verifier.ErrNotFound):
		return "error.notfound"
	case errors.Is(err, verifier.ErrExpired):
		return "error.expired"
	case errors.Is(err, verifier.ErrAnswered), errors.Is(err, verifier.ErrReplay):
		return "error.answered"
	case errors.Is(err, app.ErrRequestRefused), errors.Is(err, verifier.ErrBadRequest):
		return "error.request"
	case errors.Is(err, wallet.ErrInvalidInput), errors.Is(err, wallet.ErrInvalidCitizen):
		return "error.badinput"
	case errors.Is(err, wallet.ErrLocked):
		return "error.locked"
	}
	return "error.generic"
}

// citizenError shows a failed action as a page in the citizen's language:
// what went wrong in plain words, the technical text folded away.
func (s *Server) citizenError(c *gin.Context, cs *citizenSession, err error) {
	code := http.StatusBadRequest
	key := citizenReasonKey(err)
	switch key {
	case "error.notfound":
		code = http.StatusNotFound
	case "error.expired":
		code = http.StatusGone
	case "error.answered":
		code = http.StatusConflict
	case "error.generic":
		code, _ = statusOf(err)
		if code < 500 {
			code = http.StatusBadRequest
		}
	}
	if code >= 500 {
		s.cfg.Log.Error("citizen action failed", "route", c.FullPath(), "err", err.Error())
	}
	s.render(c, code, "error", "error.title", "", cs, errorPage{Message: translator(langOf(c)).T(key), Detail: err.Error()})
}

// errorPage is the error template's data: a message for people and,
// optionally, the technical detail behind it.
type errorPage struct{ Message, Detail string }
