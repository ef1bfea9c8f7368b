package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) mountIssuerConsole(g gin.IRouter) {
	g.GET("", s.consoleIssuerHome)
}

func (s *Server) consoleIssuerHome(c *gin.Context) {
	s.renderConsole(c, http.StatusOK, "console_issuer", "console.issuer", "issuer", nil)
}
