package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) mountAdminConsole(g gin.IRouter) {
	g.GET("", s.consoleAdminHome)
}

func (s *Server) consoleAdminHome(c *gin.Context) {
	s.renderConsole(c, http.StatusOK, "console_admin", "console.admin", "admin", nil)
}
