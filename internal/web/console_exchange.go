package web

import (
	"net/http"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/trust"
	"github.com/gin-gonic/gin"
)

// The Via Oberta form of the verifier console: query another
// administration's register about a citizen, for one of the staff's
// administration's registered purposes.
func (s *Server) mountExchangeConsole(g gin.IRouter) {
	g.GET("", s.consoleExchangeForm)
	g.POST("", s.consoleExchange)
}

type exchangeView struct {
	Purposes []trust.Purpose
	Citizen  string
	Purpose  string
	Error    string
	Answer   *app.ExchangeAnswer
	Source   string
	Claims   []personalClaim
}

func (s *Server) consoleExchangeForm(c *gin.Context) {
	s.renderExchange(c, http.StatusOK, exchangeView{})
}

func (s *Server) renderExchange(c *gin.Context, code int, v exchangeView) {
	ps, err := s.cvAdminPurposes(c.Request.Context(), consoleOf(c).Account.Admin)
	if err != nil {
		s.cfg.Log.Error("trust list", "err", err.Error())
	}
	v.Purposes = ps
	s.renderConsole(c, code, "console_exchange", "console.exchange", "exchange", v)
}

func (s *Server) consoleExchange(c *gin.Context) {
	ss := consoleOf(c)
	v := exchangeView{Citizen: c.PostForm("citizen"), Purpose: c.PostForm("purpose")}
	id, err := citizenID(v.Citizen)
	if err == nil {
		v.Answer, err = s.cfg.App.Exchange(c.Request.Context(), app.ExchangeQuery{Requester: ss.Account.Admin, Purpose: v.Purpose, Citizen: id})
	}
	if err != nil {
		code, msg := consoleError(translator(langOf(c)), err)
		v.Error = msg
		s.renderExchange(c, code, v)
		return
	}
	s.logStaffAction(c, "exchange.query", id+" "+v.Purpose)
	v.Source = s.adminNames(c.Request.Context())[v.Answer.Source]
	v.Claims = personalClaims(translator(langOf(c)), v.Answer.Claims)
	s.renderExchange(c, http.StatusOK, v)
}
