package web

import (
	"errors"
	"net/http"
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
}

type issuerHomeView struct {
	Query   string
	Matches []register.Match
	Error   string
	Stats   *issuer.Stats
	Types   []credential.Type
	Chart   []barRow
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
	admin := consoleOf(c).Account.Admin
	v := issuerHomeView{Query: strings.TrimSpace(c.Query("q"))}
	adm, err := s.cfg.App.Issuer.Administration(ctx, admin)
	if err == nil {
		v.Types = adm.Types
	}
	if v.Query != "" {
		if s.cfg.App.Registers == nil {
			v.Error = translator(langOf(c)).T("issuer.noregisters")
		} else if id, err := register.NormalizeID(v.Query); err == nil {
			c.Redirect(http.StatusSeeOther, "/console/issuer/citizens/"+id)
			return
		} else if v.Matches, err = s.cfg.App.Registers.Search(ctx, v.Query, 20); err != nil {
			v.Error = err.Error()
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
	s.renderConsole(c, http.StatusOK, "console_issuer", "console.issuer", "issuer", v)
}

type issuerCitizenView struct {
	ID, Name, Municipality string
	Types                  []credential.Type
	Issued                 []issuer.Record
	Message, Error         string
}

func (s *Server) issuerCitizen(c *gin.Context, code int, msg, errMsg string) {
	ctx := c.Request.Context()
	admin := consoleOf(c).Account.Admin
	id, err := register.NormalizeID(c.Param("id"))
	if err != nil {
		s.renderConsole(c, http.StatusNotFound, "console_error", "error.title", "issuer", err.Error())
		return
	}
	v := issuerCitizenView{ID: id, Message: msg, Error: errMsg}
	if s.cfg.App.Registers != nil {
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
		code, body := statusOf(err)
		if errors.Is(err, issuer.ErrNothingToIssue) || errors.Is(err, issuer.ErrNotAllowed) || code < 500 {
			s.issuerCitizen(c, code, "", body.Message)
			return
		}
		s.cfg.Log.Error("console issue failed", "err", err.Error())
		s.issuerCitizen(c, code, "", body.Message)
		return
	}
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
		code, body := statusOf(err)
		if code >= 500 {
			s.cfg.Log.Error("console status change failed", "err", err.Error())
		}
		s.issuerCitizen(c, code, "", body.Message)
		return
	}
	s.issuerCitizen(c, http.StatusOK, translator(langOf(c)).T("issuer.changed."+c.PostForm("action")), "")
}
