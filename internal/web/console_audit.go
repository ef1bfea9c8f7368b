package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) mountAuditConsole(g gin.IRouter) {
	g.GET("", s.consoleAuditHome)
}

func (s *Server) consoleAuditHome(c *gin.Context) {
	s.renderConsole(c, http.StatusOK, "console_audit", "console.audit", "audit", nil)
}
