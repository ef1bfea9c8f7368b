package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) mountExchangeConsole(g gin.IRouter) {
	g.GET("", s.consoleExchangeHome)
}

func (s *Server) consoleExchangeHome(c *gin.Context) {
	s.renderConsole(c, http.StatusOK, "console_exchange", "console.exchange", "exchange", nil)
}
