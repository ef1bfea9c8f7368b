package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/espai/espai/internal/staff"
	"github.com/gin-gonic/gin"
)

// The admin console: the staff of the signed-in admin's administration, and
// new accounts with their roles. A new account gets an API token, shown
// once, and a console login.
func (s *Server) mountAdminConsole(g gin.IRouter) {
	g.GET("", s.consoleAdminHome)
	g.POST("/staff", s.consoleAddStaff)
}

type adminView struct {
	Staff        []staff.Account
	Roles        []string
	Message      string
	Error        string
	NewToken     string
	Name, Login  string
	CheckedRoles []string
}

func (s *Server) adminPage(c *gin.Context, code int, v adminView) {
	list, err := s.cfg.Staff.List(c.Request.Context(), consoleOf(c).Account.Admin)
	if err != nil {
		s.renderConsole(c, http.StatusInternalServerError, "console_error", "error.title", "admin", err.Error())
		return
	}
	v.Staff, v.Roles = list, staff.Roles
	s.renderConsole(c, code, "console_admin", "console.admin", "admin", v)
}

func (s *Server) consoleAdminHome(c *gin.Context) { s.adminPage(c, http.StatusOK, adminView{}) }

func (s *Server) consoleAddStaff(c *gin.Context) {
	tr := translator(langOf(c))
	v := adminView{Name: strings.TrimSpace(c.PostForm("name")), Login: strings.TrimSpace(c.PostForm("login")), CheckedRoles: c.PostFormArray("role")}
	a := staff.Account{Name: v.Name, Admin: consoleOf(c).Account.Admin, Roles: v.CheckedRoles, Created: s.now().UTC()}
	for _, r := range a.Roles {
		if !slices.Contains(staff.Roles, r) {
			v.Error = tr.T("admin.badrole")
			s.adminPage(c, http.StatusBadRequest, v)
			return
		}
	}
	tok, err := s.cfg.Staff.AddWithLogin(c.Request.Context(), a, v.Login, c.PostForm("password"))
	if err != nil {
		code := http.StatusBadRequest
		if !errors.Is(err, staff.ErrInvalid) {
			code = http.StatusInternalServerError
		}
		v.Error = err.Error()
		s.adminPage(c, code, v)
		return
	}
	s.adminPage(c, http.StatusOK, adminView{Message: tr.T("admin.created"), NewToken: tok})
}
