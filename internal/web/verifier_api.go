package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/verifier"
	"github.com/gin-gonic/gin"
)

// mountVerifier mounts the verifier staff API (/api/v1/verifier, verifier
// role, own administration only) and the public OpenID4VP endpoints a wallet
// calls: the request object, the direct_post response and one-time
// presentation links.
func (s *Server) mountVerifier(r gin.IRouter) {
	g := r.Group("/api/v1/verifier", s.requireStaff(staff.RoleVerifier))
	g.POST("/requests", s.createRequest)
	g.GET("/requests/:id", s.getRequest)
	g.GET("/requests/:id/qr.svg", s.requestQR)
	g.GET("/requests/:id/qr.png", s.requestQR)
	g.POST("/scan", s.scan)

	r.GET("/verifier/requests/:id/object", s.requestObject)
	r.POST("/verifier/requests/:id/response", s.requestResponse)
	r.GET("/p/:id", s.handoff)
}

type requestBody struct {
	Purpose string   `json:"purpose"`
	Format  string   `json:"format"`
	Claims  []string `json:"claims"`
}

// requestView is what the staff screen shows of a request.
type requestView struct {
	*verifier.Request
	QR string `json:"qr_uri"`
	// WalletLink is the same request as an https link to the citizen
	// space, what the QR images hold (a phone's camera opens it).
	WalletLink string `json:"wallet_link"`
}

func (s *Server) createRequest(c *gin.Context) {
	var body requestBody
	if err := c.ShouldBindJSON(&body); err != nil || body.Purpose == "" {
		s.fail(c, badRequest("body must be JSON {purpose, format, claims}"))
		return
	}
	r, err := s.cfg.App.Verifier.CreateRequest(c.Request.Context(), account(c).Admin, body.Purpose, body.Format, body.Claims)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.logStaffAction(c, "verifier.request", r.ID)
	c.JSON(http.StatusCreated, requestView{Request: withoutSigned(r), QR: r.QR(s.cfg.App.PublicBase()), WalletLink: r.WalletLink(s.cfg.App.PublicBase())})
}

// ownRequest loads a request of the caller's administration; others' are
// not found (their existence is not revealed).
func (s *Server) ownRequest(c *gin.Context) (*verifier.Request, bool) {
	r, err := s.cfg.App.Verifier.Request(c.Request.Context(), c.Param("id"))
	if err == nil && r.Admin != account(c).Admin {
		err = verifier.ErrNotFound
	}
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return r, true
}

func (s *Server) getRequest(c *gin.Context) {
	r, ok := s.ownRequest(c)
	if !ok {
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, requestView{Request: withoutSigned(r), QR: r.QR(s.cfg.App.PublicBase()), WalletLink: r.WalletLink(s.cfg.App.PublicBase())})
}

func withoutSigned(r *verifier.Request) *verifier.Request {
	out := *r
	out.Signed = ""
	return &out
}

func (s *Server) requestQR(c *gin.Context) {
	r, ok := s.ownRequest(c)
	if !ok {
		return
	}
	code, err := qrpayload.Encode(r.WalletLink(s.cfg.App.PublicBase()))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	if strings.HasSuffix(c.Request.URL.Path, ".png") {
		img, err := code.PNG(6)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "image/png", img)
		return
	}
	c.Data(http.StatusOK, "image/svg+xml", []byte(code.SVG()))
}

func (s *Server) scan(c *gin.Context) {
	var body struct {
		Payload string `json:"payload"`
	}
	if err := c.ShouldBindJSON(&body); err != nil || strings.TrimSpace(body.Payload) == "" {
		s.fail(c, badRequest("body must be JSON {payload}: the text read from the QR code"))
		return
	}
	v, err := s.cfg.App.Verifier.Scan(c.Request.Context(), account(c).Admin, body.Payload)
	if err != nil && v == nil {
		s.fail(c, err)
		return
	}
	s.logStaffAction(c, "verifier.scan", v.Type+" "+map[bool]string{true: "accepted", false: "refused"}[v.Valid])
	c.JSON(http.StatusOK, v)
}

// requestObject serves the signed request object (OpenID4VP request_uri).
func (s *Server) requestObject(c *gin.Context) {
	tok, err := s.cfg.App.Verifier.RequestObject(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/oauth-authz-req+jwt", []byte(tok))
}

// maxResponseBody bounds a direct_post body.
const maxResponseBody = 512 << 10

// requestResponse receives the wallet's direct_post (form encoded).
func (s *Server) requestResponse(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxResponseBody)
	if err := c.Request.ParseForm(); err != nil {
		s.fail(c, badRequest("the response must be an application/x-www-form-urlencoded body of at most 512 KiB"))
		return
	}
	f := c.Request.PostForm
	_, out, err := s.cfg.App.Verifier.Respond(c.Request.Context(), c.Param("id"), verifier.Response{
		State: f.Get("state"), VPToken: f.Get("vp_token"), Error: f.Get("error"), ErrorDescription: f.Get("error_description"),
		Pseudonym: f.Get("espai_pseudonym"), Commitment: f.Get("espai_commitment"),
	})
	if err != nil && out == nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// handoff serves a one-time presentation link once.
func (s *Server) handoff(c *gin.Context) {
	p, err := s.cfg.App.Verifier.TakeHandoff(c.Request.Context(), c.Param("id"))
	if err != nil {
		if errors.Is(err, verifier.ErrExpired) {
			err = verifier.ErrNotFound
		}
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/plain; charset=utf-8", p)
}
