package web

import (
	"fmt"
	"strings"

	"github.com/espai/espai/internal/staff"
	"github.com/gin-gonic/gin"
)

const ctxAccount = "espai.staff"

// requireStaff authenticates the bearer token and checks the role.
func (s *Server) requireStaff(role string) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || s.cfg.Staff == nil {
			s.fail(c, errUnauthorized)
			return
		}
		a, err := s.cfg.Staff.Authenticate(c.Request.Context(), strings.TrimSpace(tok))
		if err != nil {
			s.fail(c, errUnauthorized)
			return
		}
		if err := staff.Authorize(a, role, ""); err != nil {
			s.fail(c, errForbidden)
			return
		}
		c.Set(ctxAccount, a)
		c.Next()
	}
}

func account(c *gin.Context) *staff.Account {
	a, _ := c.Get(ctxAccount)
	acct, _ := a.(*staff.Account)
	return acct
}

func badRequest(msg string) error { return fmt.Errorf("%w: %s", errBadRequest, msg) }
