package web

import (
	"net/http"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/staff"
	"github.com/gin-gonic/gin"
)

// mountExchangeAPI mounts the Via Oberta query API: an administration's
// system (verifier role) asks another administration's register about a
// citizen for one of its registered purposes.
func (s *Server) mountExchangeAPI(r gin.IRouter) {
	r.POST("/api/v1/exchange", s.requireStaff(staff.RoleVerifier), s.postExchange)
}

func (s *Server) postExchange(c *gin.Context) {
	var b struct {
		Citizen string `json:"citizen"`
		Purpose string `json:"purpose"`
	}
	if err := c.ShouldBindJSON(&b); err != nil {
		s.fail(c, badRequest("body must be JSON {citizen, purpose}"))
		return
	}
	id, err := citizenID(b.Citizen)
	if err != nil {
		s.fail(c, err)
		return
	}
	ans, err := s.cfg.App.Exchange(c.Request.Context(), app.ExchangeQuery{Requester: account(c).Admin, Purpose: b.Purpose, Citizen: id})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.logStaffAction(c, "exchange.query", id+" "+b.Purpose)
	c.JSON(http.StatusOK, ans)
}
