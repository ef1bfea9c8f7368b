package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/issuer"
	"github.com/gin-gonic/gin"
)

// The issuer console: find a person in the registers, issue or re-issue a
// credential into their wallet, revoke, suspend or reinstate with a reason
// (on the ledger; the citizen is told), and the administration's issuance
// statistics. Staff see and change only their own administration's
// credentials.
func (s *Server) mountIssuerConsole(g gin.IRouter) {
	g.GET("", s.consoleIssuerHome)
	g.GET("/citizens/:id", s.consoleIssuerCitizen)
	g.POST("/citizens/:id/issue", s.consoleIssue)
	g.POST("/credentials/:cid/status", s.consoleChangeStatus)
	g.POST("/credentials/:cid/reissue", s.consoleReissue)
}

type issuerHomeView struct {
	Query   string
	Matches []register.Match
	Error   string
	Notice  string // the search was cut short: ask for more words
	Scope   string // who a name search covers, in words ("" when name search is off)
	Stats   *issuer.Stats
	Types   []credential.Type
	Chart   []barRow
}

// issuerSearchShown bounds the people a console search lists.
const issuerSearchShown = 20

// issuerMayOpen reports whether admin's issuing staff may open citizen: the
// administration issues them something from its registers, or issued them a
// credential before (which it may still need to suspend or revoke). See
// issuer.IssuesFor and docs/operations.md.
func (s *Server) issuerMayOpen(ctx context.Context, admin, citizen string) (inRegister bool, ok bool, err error) {
	inRegister, err = s.cfg.App.Issuer.IssuesFor(ctx, admin, citizen)
	if err != nil || inRegister {
		return inRegister, inRegister, err
	}
	recs, err := s.cfg.App.Issuer.IssuedTo(ctx, citizen)
	if err != nil {
		return false, false, err
	}
	return false, slices.ContainsFunc(recs, func(r issuer.Record) bool { return r.Admin == admin }), nil
}

// issuerSearch finds people by name (or id prefix) within admin's local
// registers (issuer.LocalTypes): an Ajuntament's residents, a university's
// graduates. An administration that issues only from region-wide registers
// gets errIssuerNameSearch: its staff look people up by DNI/NIE.
func (s *Server) issuerSearch(ctx context.Context, tr translator, adm *issuer.Administration, v *issuerHomeView) error {
	local := issuer.LocalTypes(adm)
	if len(local) == 0 {
		return errIssuerNameSearch
	}
	all, err := s.cfg.App.Registers.Search(ctx, v.Query, register.MaxSearchLimit)
	if err != nil {
		return err
	}
	for _, m := range all {
		ok, err := s.cfg.App.Issuer.IssuesFor(ctx, adm.ID, m.ID, local...)
		if err != nil {
			return err
		}
		if ok {
			v.Matches = append(v.Matches, m)
			if len(v.Matches) == issuerSearchShown {
				break
			}
		}
	}
	// The registers' search stops at MaxSearchLimit people in all of
	// Catalonia, before the scope is applied: with that many, some of this
	// administration's people may be past the cut.
	if len(all) == register.MaxSearchLimit && len(v.Matches) < issuerSearchShown {
		v.Notice = tr.T("issuer.scope.narrow")
	}
	return nil
}

var errIssuerNameSearch = errors.New("name search is not offered to this administration")

// issuerScopeText says who a name search covers, or "" when it is off.
func issuerScopeText(tr translator, adm *issuer.Administration) string {
	var parts []string
	for _, t := range issuer.LocalTypes(adm) {
		parts = append(parts, tr.T("issuer.scope."+string(t)))
	}
	if len(parts) == 0 {
		return ""
	}
	return tr.T("issuer.scope.names", strings.Join(parts, tr.T("issuer.scope.and")))
}

// barRow is one bar of a small server-side bar chart (CSS widths).
type barRow struct {
	Label string
	Count int
	Pct   int
}

func bars(labels []string, counts []int) []barRow {
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	out := make([]barRow, len(labels))
	for i := range labels {
		out[i] = barRow{Label: labels[i], Count: counts[i]}
		if top > 0 {
			out[i].Pct = counts[i] * 100 / top
		}
	}
	return out
}

func (s *Server) consoleIssuerHome(c *gin.Context) {
	ctx := c.Request.Context()
	tr := translator(langOf(c))
	admin := consoleOf(c).Account.Admin
	v := issuerHomeView{Query: strings.TrimSpace(c.Query("q"))}
	code := http.StatusOK
	adm, err := s.cfg.App.Issuer.Administration(ctx, admin)
	if err != nil {
		adm = &issuer.Administration{ID: admin}
	}
	v.Types, v.Scope = adm.Types, issuerScopeText(tr, adm)
	if len([]rune(v.Query)) > 100 {
		v.Query, v.Error, code = "", tr.T("issuer.scope.toolong"), http.StatusBadRequest
	}
	if v.Query != "" {
		if s.cfg.App.Registers == nil {
			v.Error = tr.T("issuer.noregisters")
		} else if id, err := register.NormalizeID(v.Query); err == nil {
			// An exact DNI/NIE opens the person only when this
			// administration issues them something; the answer is the
			// same whether or not the person exists elsewhere.
			if _, ok, err := s.issuerMayOpen(ctx, admin, id); err != nil {
				s.cfg.Log.Error("issuer console: scope", "err", err.Error())
				v.Error, code = tr.T("issuer.scope.unavailable"), http.StatusServiceUnavailable
			} else if ok {
				c.Redirect(http.StatusSeeOther, "/console/issuer/citizens/"+id)
				return
			} else {
				v.Error = tr.T("issuer.scope.outid")
			}
		} else if err := s.issuerSearch(ctx, tr, adm, &v); errors.Is(err, errIssuerNameSearch) {
			v.Error, code = tr.T("issuer.scope.nonames"), http.StatusForbidden
		} else if err != nil {
			s.cfg.Log.Error("issuer console: search", "err", err.Error())
			v.Error, code = tr.T("issuer.scope.unavailable"), http.StatusServiceUnavailable
		}
	}
	if v.Stats, err = s.cfg.App.Issuer.Stats(ctx, admin); err != nil {
		s.cfg.Log.Error("issuer stats", "err", err.Error())
	} else {
		var labels []string
		var counts []int
		for _, m := range v.Stats.ByMonth {
			labels, counts = append(labels, m.Month), append(counts, m.Count)
		}
		v.Chart = bars(labels, counts)
	}
	s.renderConsole(c, code, "console_issuer", "console.issuer", "issuer", v)
}

type issuerCitizenView struct {
	ID, Name, Municipality string
	Types                  []credential.Type
	Issued                 []issuer.Record
	Message, Error         string
	// Replacement is the credential a re-issue just delivered, with the one
	// it replaced; nil otherwise.
	Replacement *issuer.Record
}

func (s *Server) issuerCitizen(c *gin.Context, code int, msg, errMsg string) {
	ctx := c.Request.Context()
	admin := consoleOf(c).Account.Admin
	id, err := register.NormalizeID(c.Param("id"))
	if err != nil {
		s.renderConsole(c, http.StatusNotFound, "console_error", "error.title", "issuer", err.Error())
		return
	}
	inRegister, ok, err := s.issuerMayOpen(ctx, admin, id)
	if err != nil {
		s.cfg.Log.Error("issuer console: scope", "err", err.Error())
		s.renderConsole(c, http.StatusServiceUnavailable, "console_error", "error.title", "issuer", translator(langOf(c)).T("issuer.scope.unavailable"))
		return
	}
	if !ok {
		s.renderConsole(c, http.StatusNotFound, "console_error", "error.title", "issuer", translator(langOf(c)).T("issuer.scope.outid"))
		return
	}
	v := issuerCitizenView{ID: id, Message: msg, Error: errMsg}
	if r, ok := c.Get(ctxReissued); ok {
		v.Replacement, _ = r.(*issuer.Record)
	}
	if s.cfg.App.Registers != nil && inRegister {
		if r, err := s.cfg.App.Registers.Census(ctx, id); err == nil {
			v.Name, v.Municipality = r.GivenName+" "+r.FamilyName, r.Municipality
		}
	}
	if adm, err := s.cfg.App.Issuer.Administration(ctx, admin); err == nil {
		v.Types = adm.Types
	}
	recs, err := s.cfg.App.Issuer.IssuedTo(ctx, id)
	if err != nil {
		s.renderConsole(c, http.StatusInternalServerError, "console_error", "error.title", "issuer", err.Error())
		return
	}
	for _, r := range recs {
		if r.Admin == admin {
			v.Issued = append(v.Issued, r)
		}
	}
	s.renderConsole(c, code, "console_issuer_citizen", "console.issuer", "issuer", v)
}

func (s *Server) consoleIssuerCitizen(c *gin.Context) { s.issuerCitizen(c, http.StatusOK, "", "") }

func (s *Server) consoleIssue(c *gin.Context) {
	tr := translator(langOf(c))
	admin := consoleOf(c).Account.Admin
	id, err := register.NormalizeID(c.Param("id"))
	var t credential.Type
	var f credential.Format
	if err == nil {
		t, err = credential.ParseType(c.PostForm("type"))
	}
	if err == nil {
		f, err = credential.ParseFormat(c.PostForm("format"))
	}
	if err == nil {
		_, err = s.cfg.App.IssueAndDeliver(c.Request.Context(), issuer.Request{Type: t, Format: f, Citizen: id, Admin: admin})
	}
	if err != nil {
		code, msg := consoleError(tr, err)
		if code >= 500 {
			s.cfg.Log.Error("console issue failed", "err", err.Error())
		}
		s.issuerCitizen(c, code, "", msg)
		return
	}
	s.logStaffAction(c, "credential.issue", id+" "+string(t)+" "+string(f))
	s.issuerCitizen(c, http.StatusOK, tr.T("issuer.issued"), "")
}

func (s *Server) consoleChangeStatus(c *gin.Context) {
	ctx := c.Request.Context()
	admin := consoleOf(c).Account.Admin
	rec, err := s.cfg.App.Issuer.Issued(ctx, c.Param("cid"))
	if err != nil || rec.Admin != admin {
		s.renderConsole(c, http.StatusNotFound, "console_error", "error.title", "issuer", translator(langOf(c)).T("error.notfound"))
		return
	}
	c.Params = append(c.Params, gin.Param{Key: "id", Value: rec.Citizen})
	reason := strings.TrimSpace(c.PostForm("reason"))
	var to byte
	switch c.PostForm("action") {
	case "revoke":
		to = issuer.StatusRevoked
	case "suspend":
		to = issuer.StatusSuspended
	case "reinstate":
		to = issuer.StatusValid
	default:
		s.issuerCitizen(c, http.StatusBadRequest, "", translator(langOf(c)).T("issuer.badaction"))
		return
	}
	if reason == "" || len(reason) > 500 {
		s.issuerCitizen(c, http.StatusBadRequest, "", translator(langOf(c)).T("issuer.reason"))
		return
	}
	if _, err := s.cfg.App.ChangeStatus(ctx, rec.ID, to, reason); err != nil {
		code, msg := consoleError(translator(langOf(c)), err)
		if code >= 500 {
			s.cfg.Log.Error("console status change failed", "err", err.Error())
		}
		s.issuerCitizen(c, code, "", msg)
		return
	}
	s.logStaffAction(c, "credential."+c.PostForm("action"), rec.ID)
	s.issuerCitizen(c, http.StatusOK, translator(langOf(c)).T("issuer.changed."+c.PostForm("action")), "")
}

// ctxReissued carries a re-issue's new record to the citizen page.
const ctxReissued = "espai.issuer.reissued"

// consoleReissue replaces a credential of the administration: a new one of
// the same type (in the chosen format, by default the old one's) goes into
// the citizen's wallet and the old one is revoked with the reason
// issuer.SupersededReason, followed by the staff member's note when given,
// on the ledger like any revocation (see app.Reissue).
func (s *Server) consoleReissue(c *gin.Context) {
	ctx := c.Request.Context()
	tr := translator(langOf(c))
	admin := consoleOf(c).Account.Admin
	rec, err := s.cfg.App.Issuer.Issued(ctx, c.Param("cid"))
	if err != nil || rec.Admin != admin {
		s.renderConsole(c, http.StatusNotFound, "console_error", "error.title", "issuer", tr.T("error.notfound"))
		return
	}
	c.Params = append(c.Params, gin.Param{Key: "id", Value: rec.Citizen})
	note := strings.TrimSpace(c.PostForm("reason"))
	if len(note) > 500 {
		s.issuerCitizen(c, http.StatusBadRequest, "", tr.T("issuer.reason"))
		return
	}
	var f credential.Format
	if v := c.PostForm("format"); v != "" {
		if f, err = credential.ParseFormat(v); err != nil {
			s.issuerCitizen(c, http.StatusBadRequest, "", tr.T("issuer.reissue.badformat"))
			return
		}
	}
	out, err := s.cfg.App.Reissue(ctx, rec.ID, admin, f, note)
	if err != nil {
		code, msg := consoleError(tr, err)
		switch {
		case out != nil && out.Old.ReplacedBy == "":
			// Delivered, not revoked: say so, so the old one is revoked by hand.
			s.cfg.Log.Error("console re-issue: old credential not revoked", "err", err.Error())
			c.Set(ctxReissued, &out.Issued.Record)
			code, msg = http.StatusInternalServerError, tr.T("issuer.reissue.partial", out.Old.ID, out.Issued.ID)
		case out != nil:
			// Replaced and revoked; the ledger record or the citizen's
			// alert failed (the error says which).
			s.cfg.Log.Error("console re-issue: revocation not recorded", "err", err.Error())
			c.Set(ctxReissued, &out.Issued.Record)
		case errors.Is(err, issuer.ErrStatusTransition):
			msg = tr.T("issuer.reissue.notallowed")
		case code >= 500:
			s.cfg.Log.Error("console re-issue failed", "err", err.Error())
		}
		s.issuerCitizen(c, code, "", msg)
		return
	}
	c.Set(ctxReissued, &out.Issued.Record)
	s.logStaffAction(c, "credential.reissue", out.Old.ID+" -> "+out.Issued.ID)
	s.issuerCitizen(c, http.StatusOK, tr.T("issuer.reissued", out.Old.ID, out.Issued.ID), "")
}
