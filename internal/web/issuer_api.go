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
		s.logStaffAction(c, "credential.issue", req.Citizen+" "+string(t)+" "+string(f))
		c.JSON(http.StatusCreated, gin.H{"record": out.Issued.Record, "delivery": out.Delivery})
		return
	}
	out, err := s.cfg.App.Issue(c.Request.Context(), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.logStaffAction(c, "credential.issue", req.Citizen+" "+string(t)+" "+string(f))
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
	case "reissue":
		s.reissueCredential(c)
		return
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
	s.logStaffAction(c, "credential."+out.Status, rec.ID)
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

// reissueCredential replaces one of the caller's credentials
// (POST /api/v1/issuer/credentials/:id/reissue {format, note}): a new one of
// the same type is delivered into the citizen's wallet and the old one is
// revoked as superseded (App.Reissue).
func (s *Server) reissueCredential(c *gin.Context) {
	var body struct {
		Format string `json:"format"`
		Note   string `json:"note"`
	}
	if c.Request.ContentLength != 0 {
		if err := c.ShouldBindJSON(&body); err != nil || len(body.Note) > 500 {
			s.fail(c, badRequest("body must be JSON {format, note} (both optional, note up to 500 bytes)"))
			return
		}
	}
	var f credential.Format
	if body.Format != "" {
		var err error
		if f, err = credential.ParseFormat(body.Format); err != nil {
			s.fail(c, err)
			return
		}
	}
	acct := account(c)
	if rec, err := s.cfg.App.Issuer.Issued(c.Request.Context(), c.Param("id")); err != nil || rec.Admin != acct.Admin {
		s.fail(c, issuer.ErrUnknownCredential) // do not reveal other administrations' credentials
		return
	}
	out, err := s.cfg.App.Reissue(c.Request.Context(), c.Param("id"), acct.Admin, f, strings.TrimSpace(body.Note))
	if err != nil && (out == nil || out.Delivered == nil) {
		s.fail(c, err)
		return
	}
	s.logStaffAction(c, "credential.reissue", out.Old.ID+" -> "+out.Issued.ID)
	if err != nil {
		// Delivered, but the old one is still valid: say so; revoking it again completes the change.
		c.JSON(http.StatusMultiStatus, gin.H{"record": out.Issued.Record, "delivery": out.Delivery, "replaced": out.Old.ID,
			"error": "the new credential was delivered but the old one could not be revoked: revoke it"})
		return
	}
	c.JSON(http.StatusCreated, gin.H{"record": out.Issued.Record, "delivery": out.Delivery, "replaced": out.Old.ID})
}
