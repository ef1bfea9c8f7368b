package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// mountIssuerPublic mounts what any verifier fetches: the administrations' DID
// documents (did:web path form), the trust list and its anchor keys.
func (s *Server) mountIssuerPublic(r gin.IRouter) {
	r.GET("/issuers/:admin/did.json", s.didDocument)
	r.GET("/trust/list", s.trustList)
	r.GET("/trust/anchors", s.trustAnchors)
	r.GET("/status/:admin/:list", s.statusList)
	r.GET("/status/:admin/:list/:format", s.statusList)
}

func (s *Server) didDocument(c *gin.Context) {
	doc, err := s.cfg.App.Issuer.DIDDocument(c.Request.Context(), c.Param("admin"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Type", "application/did+json")
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, doc)
}

func (s *Server) trustList(c *gin.Context) {
	tok, err := s.cfg.App.Issuer.TrustList(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/trustlist+jwt", []byte(tok))
}

func (s *Server) trustAnchors(c *gin.Context) {
	keys, err := s.cfg.App.Issuer.TrustAnchors(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"keys": keys})
}
