package web

import (
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/verifier"
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

func (s *Server) qrForm(c *gin.Context) { s.qrFormPage(c, http.StatusOK, nil, "") }

// qrChoice is one claim the citizen may put in a QR code.
type qrChoice struct {
	Name, Label string
	Checked     bool
}

// qrFormPage shows the claims of an SD-JWT credential to pick for a QR code:
// only data about the citizen (the credential's protocol claims are always
// in it), labelled; errKey explains why the last choice was not accepted.
func (s *Server) qrFormPage(c *gin.Context, code int, chosen []string, errKey string) {
	cs := citizenOf(c)
	tr := translator(langOf(c))
	cr, err := cs.Wallet.Credential(c.Request.Context(), c.Param("id"))
	if err != nil || cr.Format != credential.SDJWT {
		s.render(c, http.StatusNotFound, "error", "error.title", "", cs, errorPage{Message: tr.T("error.notfound")})
		return
	}
	var choices []qrChoice
	for _, n := range personalClaimNames(cr.Claims) {
		choices = append(choices, qrChoice{Name: n, Label: claimLabel(tr, n), Checked: slices.Contains(chosen, n)})
	}
	d := map[string]any{"ID": cr.ID, "Claims": choices}
	if errKey != "" {
		d["Error"] = tr.T(errKey)
	}
	s.render(c, code, "qr", "qr.title", "credentials", cs, d)
}

func (s *Server) qrShow(c *gin.Context) {
	cs := citizenOf(c)
	tr := translator(langOf(c))
	claims := c.PostFormArray("claim")
	if len(claims) == 0 {
		s.qrFormPage(c, http.StatusUnprocessableEntity, nil, "qr.noclaims")
		return
	}
	if cr, err := cs.Wallet.Credential(c.Request.Context(), c.Param("id")); err == nil {
		allowed := personalClaimNames(cr.Claims)
		for _, n := range claims {
			if !slices.Contains(allowed, n) {
				s.qrFormPage(c, http.StatusUnprocessableEntity, nil, "qr.badclaim")
				return
			}
		}
	}
	qr, err := s.cfg.App.PresentQR(c.Request.Context(), cs.Wallet, c.Param("id"), claims)
	if err != nil {
		s.citizenError(c, cs, err)
		return
	}
	labels := make([]string, len(claims))
	for i, n := range claims {
		labels[i] = claimLabel(tr, n)
	}
	// The SVG is generated here from the QR matrix: no user data reaches
	// the markup but the module positions.
	svg := template.HTML(qr.Code.SVG()) //nolint:gosec // generated markup, see above
	s.render(c, http.StatusOK, "qr", "qr.title", "credentials", cs,
		map[string]any{"SVG": svg, "Expires": qr.Expires, "Claims": strings.Join(labels, ", ")})
}

type requestPage struct {
	URI     string
	Error   string
	Detail  string // the technical text behind Error (English)
	Request *app.IncomingRequest
	Outcome string
}

// refused explains in the citizen's language why a request could not be
// opened or answered; the technical reason is kept as a detail.
func (d *requestPage) refused(c *gin.Context, err error) {
	tr := translator(langOf(c))
	d.Error, d.Detail = tr.T("req.refused", tr.T(citizenReasonKey(err))), err.Error()
}

func (s *Server) requestOpen(c *gin.Context) {
	cs := citizenOf(c)
	d := requestPage{URI: strings.TrimSpace(c.Query("uri"))}
	if id, ru := c.Query("client_id"), c.Query("request_uri"); d.URI == "" && (id != "" || ru != "") {
		// A wallet link (the QR code on a clerk's screen, opened by the
		// phone's camera): the same request as its openid4vp:// form.
		d.URI = verifier.QRURI(id, ru)
	}
	code := http.StatusOK
	if d.URI != "" {
		ir, err := s.cfg.App.OpenRequest(c.Request.Context(), cs.Wallet, d.URI)
		if err != nil {
			code = http.StatusUnprocessableEntity
			d.refused(c, err)
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
		d.refused(c, err)
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
		d.refused(c, err)
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
		s.citizenError(c, cs, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/consents")
}
