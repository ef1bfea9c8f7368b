package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) mountVerifierConsole(g gin.IRouter) {
	g.GET("", s.consoleVerifierHome)
}

func (s *Server) consoleVerifierHome(c *gin.Context) {
	s.renderConsole(c, http.StatusOK, "console_verifier", "console.verifier", "verifier", nil)
}
