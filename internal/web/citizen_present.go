package web

import (
	"errors"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
	"github.com/gin-gonic/gin"
)

func (s *Server) mountCitizenPresent(g gin.IRouter) {
	g.GET("/credentials/:id/qr", s.qrForm)
	g.POST("/credentials/:id/qr", s.qrShow)
	g.GET("/requests", s.requestOpen)
	g.POST("/requests/approve", s.requestApprove)
	g.POST("/requests/refuse", s.requestRefuse)
	g.GET("/consents", s.consents)
	g.POST("/consents/withdraw", s.withdraw)
}

func (s *Server) qrForm(c *gin.Context) {
	cs := citizenOf(c)
	cr, err := cs.Wallet.Credential(c.Request.Context(), c.Param("id"))
	if err != nil || cr.Format != credential.SDJWT {
		s.render(c, http.StatusNotFound, "error", "error.title", "", cs, translator(langOf(c)).T("error.title"))
		return
	}
	names := make([]string, 0, len(cr.Claims))
	for k := range cr.Claims {
		names = append(names, k)
	}
	sort.Strings(names)
	s.render(c, http.StatusOK, "qr", "qr.title", "credentials", cs, map[string]any{"ID": cr.ID, "Names": names})
}

func (s *Server) qrShow(c *gin.Context) {
	cs := citizenOf(c)
	claims := c.PostFormArray("claim")
	qr, err := s.cfg.App.PresentQR(c.Request.Context(), cs.Wallet, c.Param("id"), claims)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, wallet.ErrNotFound) {
			code = http.StatusNotFound
		}
		s.render(c, code, "error", "error.title", "", cs, err.Error())
		return
	}
	// The SVG is generated here from the QR matrix: no user data reaches
	// the markup but the module positions.
	svg := template.HTML(qr.Code.SVG()) //nolint:gosec // generated markup, see above
	s.render(c, http.StatusOK, "qr", "qr.title", "credentials", cs,
		map[string]any{"SVG": svg, "Expires": qr.Expires.In(time.Local), "Claims": strings.Join(claims, ", ")})
}

type requestPage struct {
	URI     string
	Error   string
	Request *app.IncomingRequest
	Outcome string
}

func (s *Server) requestOpen(c *gin.Context) {
	cs := citizenOf(c)
	d := requestPage{URI: strings.TrimSpace(c.Query("uri"))}
	code := http.StatusOK
	if d.URI != "" {
		ir, err := s.cfg.App.OpenRequest(c.Request.Context(), cs.Wallet, d.URI)
		if err != nil {
			code, d.Error = http.StatusUnprocessableEntity, translator(langOf(c)).T("req.refused", err.Error())
		} else {
			d.Request = ir
		}
	}
	s.render(c, code, "request-open", "req.title", "requests", cs, d)
}

func (s *Server) requestApprove(c *gin.Context) {
	cs := citizenOf(c)
	d := requestPage{URI: c.PostForm("uri")}
	ir, err := s.cfg.App.OpenRequest(c.Request.Context(), cs.Wallet, d.URI)
	if err == nil {
		var o *verifier.Outcome
		if o, err = s.cfg.App.Approve(c.Request.Context(), cs.Wallet, ir, c.PostForm("credential")); err == nil {
			d.Outcome = o.State
		}
	}
	if err != nil {
		d.Error = translator(langOf(c)).T("req.refused", err.Error())
		s.render(c, http.StatusUnprocessableEntity, "request-open", "req.title", "requests", cs, d)
		return
	}
	s.render(c, http.StatusOK, "request-open", "req.title", "requests", cs, d)
}

func (s *Server) requestRefuse(c *gin.Context) {
	cs := citizenOf(c)
	d := requestPage{URI: c.PostForm("uri")}
	ir, err := s.cfg.App.OpenRequest(c.Request.Context(), cs.Wallet, d.URI)
	if err == nil {
		err = s.cfg.App.Decline(c.Request.Context(), cs.Wallet, ir, "the citizen refused")
	}
	if err != nil {
		d.Error = translator(langOf(c)).T("req.refused", err.Error())
		s.render(c, http.StatusUnprocessableEntity, "request-open", "req.title", "requests", cs, d)
		return
	}
	d.Outcome = "refused"
	s.render(c, http.StatusOK, "request-open", "req.title", "requests", cs, d)
}

type consentRow struct {
	Admin, AdminName, Purpose string
	Time                      time.Time
}

// consents lists the consents the citizen gave and has not withdrawn, from
// the verified ledger receipts in the wallet.
func (s *Server) consents(c *gin.Context) {
	cs := citizenOf(c)
	ctx := c.Request.Context()
	entries, err := s.cfg.App.ReceiptEntries(ctx, cs.Wallet)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	names := s.adminNames(ctx)
	var rows []consentRow
	for _, r := range app.ActiveConsents(entries) {
		rows = append(rows, consentRow{Admin: r.Administration, AdminName: names[r.Administration], Purpose: r.Purpose, Time: r.Time})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Time.After(rows[j].Time) })
	s.render(c, http.StatusOK, "consents", "consents.title", "consents", cs, map[string]any{"Consents": rows})
}

func (s *Server) withdraw(c *gin.Context) {
	cs := citizenOf(c)
	if err := s.cfg.App.WithdrawConsent(c.Request.Context(), cs.Wallet, c.PostForm("admin"), c.PostForm("purpose")); err != nil {
		s.render(c, http.StatusBadRequest, "error", "error.title", "", cs, err.Error())
		return
	}
	c.Redirect(http.StatusSeeOther, "/consents")
}
