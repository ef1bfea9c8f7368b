package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/issuer"
	"github.com/gin-gonic/gin"
)

// mountIssuerAPI mounts the issuer staff API under /api/v1/issuer. Every route
// needs a staff bearer token with the issuer role; staff act only for their
// own administration.
func (s *Server) mountIssuerAPI(r gin.IRouter) {
	g := r.Group("/api/v1/issuer", s.requireStaff(staff.RoleIssuer))
	g.POST("/credentials", s.issueCredential)
	g.GET("/citizens/:citizen/credentials", s.listIssued)
	g.POST("/credentials/:id/:action", s.changeStatus)
}

type issueBody struct {
	Type    string `json:"type"`
	Citizen string `json:"citizen"`
	Format  string `json:"format"`
	Degree  int    `json:"degree"`
	Deliver bool   `json:"deliver"`
}

func (s *Server) issueCredential(c *gin.Context) {
	var body issueBody
	if err := c.ShouldBindJSON(&body); err != nil {
		s.fail(c, badRequest("body must be JSON {type, citizen, format, deliver}"))
		return
	}
	if body.Format == "" {
		body.Format = string(credential.SDJWT)
	}
	t, err := credential.ParseType(body.Type)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := credential.ParseFormat(body.Format)
	if err != nil {
		s.fail(c, err)
		return
	}
	acct := account(c)
	req := issuer.Request{Type: t, Format: f, Citizen: strings.ToUpper(strings.TrimSpace(body.Citizen)), Degree: body.Degree, Admin: acct.Admin}
	if body.Deliver {
		out, err := s.cfg.App.IssueAndDeliver(c.Request.Context(), req)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"record": out.Issued.Record, "delivery": out.Delivery})
		return
	}
	out, err := s.cfg.App.Issue(c.Request.Context(), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"record": out.Record, "credential": out.Credential})
}

func (s *Server) listIssued(c *gin.Context) {
	recs, err := s.cfg.App.Issuer.IssuedTo(c.Request.Context(), strings.ToUpper(c.Param("citizen")))
	if err != nil {
		s.fail(c, err)
		return
	}
	acct := account(c)
	out := []issuer.Record{}
	for _, r := range recs {
		if r.Admin == acct.Admin { // staff see only their own administration's issuances
			out = append(out, r)
		}
	}
	c.JSON(http.StatusOK, gin.H{"credentials": out})
}

func (s *Server) changeStatus(c *gin.Context) {
	var to byte
	switch c.Param("action") {
	case "revoke":
		to = issuer.StatusRevoked
	case "suspend":
		to = issuer.StatusSuspended
	case "reinstate":
		to = issuer.StatusValid
	default:
		s.fail(c, errNotFound)
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := c.ShouldBindJSON(&body); err != nil || strings.TrimSpace(body.Reason) == "" {
		s.fail(c, badRequest("body must be JSON {reason}"))
		return
	}
	rec, err := s.cfg.App.Issuer.Issued(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if rec.Admin != account(c).Admin {
		s.fail(c, issuer.ErrUnknownCredential) // do not reveal other administrations' credentials
		return
	}
	out, err := s.cfg.App.ChangeStatus(c.Request.Context(), rec.ID, to, body.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"record": out})
}

// statusList serves a Token Status List JWT (/status/:admin/:list) or, with
// the suffix /ld, the Bitstring Status List credential.
func (s *Server) statusList(c *gin.Context) {
	no, err := strconv.Atoi(c.Param("list"))
	if err != nil || no < 1 {
		s.fail(c, errNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=60")
	if c.Param("format") == "ld" {
		doc, err := s.cfg.App.Issuer.BitstringStatusCredential(c.Request.Context(), c.Param("admin"), no)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "application/vc+ld+json", doc)
		return
	}
	tok, err := s.cfg.App.Issuer.StatusListToken(c.Request.Context(), c.Param("admin"), no)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/statuslist+jwt", []byte(tok))
}
