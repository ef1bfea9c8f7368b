package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/espai/espai/internal/staff"
	"github.com/gin-gonic/gin"
)

// The admin console: the staff of the signed-in admin's administration, new
// accounts with their roles, and each account's page: disable or re-enable
// it, change its roles, reset its console password, rotate or revoke its API
// token. Secrets (a new API token, a temporary password) are shown once, in
// the answer to the form that made them. Every account is looked up within
// the admin's own administration: another administration's is not found.
// An admin cannot disable themselves, take their own admin role, reset
// their own password or remove their own second factor, and no change may
// leave the administration without an active admin (staff.ErrLastAdmin).
// Each account's page and the list say whether it has a second factor, and
// its page removes it (console_mfa.go).
//
// Also here: every staff member's account page (/console/account: change
// their password, turn their second factor on or off; only the password
// form is open while a temporary password must be replaced), the check that
// keeps console sessions in step with the stored account, and the staff
// action log (logStaffAction, shown to the administration's admins at
// /console/admin/log).
func (s *Server) mountAdminConsole(g gin.IRouter) {
	g.GET("", s.consoleAdminHome)
	g.POST("/staff", s.consoleAddStaff)
	g.GET("/staff/:id", s.consoleAdminAccount)
	g.POST("/staff/:id/disable", s.consoleAdminSetDisabled(true))
	g.POST("/staff/:id/enable", s.consoleAdminSetDisabled(false))
	g.POST("/staff/:id/roles", s.consoleAdminRoles)
	g.POST("/staff/:id/password", s.consoleAdminResetPassword)
	g.POST("/staff/:id/token/rotate", s.consoleAdminRotateToken)
	g.POST("/staff/:id/token/revoke", s.consoleAdminRevokeToken)
	g.POST("/staff/:id/mfa/remove", s.consoleAdminRemoveMFA)
	g.GET("/log", s.consoleAdminLog)
}

// mountAccountConsole is every staff member's own account page.
func (s *Server) mountAccountConsole(g gin.IRouter) {
	g.GET("", s.consoleAccountPage)
	g.POST("/password", s.consoleChangePassword)
	g.POST("/mfa/begin", s.consoleMFABegin)
	g.POST("/mfa/confirm", s.consoleMFAConfirm)
	g.POST("/mfa/disable", s.consoleMFADisable)
}

const (
	adminLogShown = 10 // actions on the admin console's first page
	adminLogPage  = 50 // actions per page of the log
)

type adminView struct {
	Staff        []staff.Account
	RoleChoices  []roleChoice // the new account form's roles
	Message      string
	Error        string
	NewToken     string
	TempPassword string
	Name, Login  string
	CheckedRoles []string
	Actions      []actionRow
	MoreActions  bool
	TOTP         map[string]bool // account id -> has a second factor (accounts with a login)
}

func (s *Server) adminPage(c *gin.Context, code int, v adminView) {
	ctx := c.Request.Context()
	admin := consoleOf(c).Account.Admin
	list, err := s.cfg.Staff.List(ctx, admin)
	if err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	acts, more, err := s.cfg.Staff.Actions(ctx, admin, 0, adminLogShown)
	if err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	v.Staff, v.MoreActions, v.TOTP = list, more, s.staffTOTPOf(c, list)
	for _, r := range staff.Roles {
		v.RoleChoices = append(v.RoleChoices, roleChoice{Name: r, Checked: slices.Contains(v.CheckedRoles, r)})
	}
	v.Actions = actionRows(translator(langOf(c)), acts)
	s.renderConsole(c, code, "console_admin", "console.admin", "admin", v)
}

func (s *Server) consoleAdminHome(c *gin.Context) { s.adminPage(c, http.StatusOK, adminView{}) }

// consoleAddStaff creates an account of the admin's administration: with a
// console login, its password is temporary (shown once with the API token)
// and the person chooses their own at the first login; without one, it is a
// system with an API token only.
func (s *Server) consoleAddStaff(c *gin.Context) {
	tr := translator(langOf(c))
	v := adminView{Name: strings.TrimSpace(c.PostForm("name")), Login: strings.TrimSpace(c.PostForm("login")), CheckedRoles: c.PostFormArray("role")}
	a := staff.Account{Name: v.Name, Admin: consoleOf(c).Account.Admin, Roles: v.CheckedRoles, Created: s.now().UTC()}
	if key := badRoles(a.Roles); key != "" {
		v.Error = tr.T(key)
		s.adminPage(c, http.StatusBadRequest, v)
		return
	}
	var tok, temp string
	var err error
	if v.Login != "" {
		tok, temp, err = s.cfg.Staff.AddWithTemporaryLogin(c.Request.Context(), a, v.Login)
	} else {
		tok, err = s.cfg.Staff.Add(c.Request.Context(), a)
	}
	if err != nil {
		code := http.StatusBadRequest
		if !errors.Is(err, staff.ErrInvalid) {
			code = http.StatusInternalServerError
			s.cfg.Log.Error("console add staff", "err", err.Error())
		}
		v.Error = err.Error()
		s.adminPage(c, code, v)
		return
	}
	a.Login = v.Login
	s.logStaffAction(c, "staff.add", a.Label())
	s.adminPage(c, http.StatusOK, adminView{Message: tr.T("admin.created"), NewToken: tok, TempPassword: temp})
}

// roleChoice is one role's checkbox.
type roleChoice struct {
	Name    string
	Checked bool
}

// badRoles names the message for an unusable role list ("" when fine).
func badRoles(roles []string) string {
	if len(roles) == 0 {
		return "admin.norole"
	}
	for _, r := range roles {
		if !slices.Contains(staff.Roles, r) {
			return "admin.badrole"
		}
	}
	return ""
}

// adminAccountView is one account's page in the admin console.
type adminAccountView struct {
	Account      *staff.Account
	Self         bool // the signed-in admin's own account
	TOTP         bool // the account has a second factor
	Roles        []string
	Message      string
	Error        string
	NewToken     string
	TempPassword string
}

// adminAccount renders the page of account id (v carries the outcome of
// the form that led here).
func (s *Server) adminAccount(c *gin.Context, code int, v adminAccountView) {
	ss := consoleOf(c)
	a, err := s.cfg.Staff.Get(c.Request.Context(), ss.Account.Admin, c.Param("id"))
	if err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	v.Account, v.Self, v.Roles = a, a.ID == ss.Account.ID, staff.Roles
	v.TOTP = s.staffTOTPOf(c, []staff.Account{*a})[a.ID]
	s.renderConsole(c, code, "console_admin_account", "console.admin", "admin", v)
}

func (s *Server) consoleAdminAccount(c *gin.Context) {
	s.adminAccount(c, http.StatusOK, adminAccountView{})
}

// adminTarget loads the account a form changes; false when the page was
// already answered (not found, or an error).
func (s *Server) adminTarget(c *gin.Context) (*staff.Account, bool) {
	a, err := s.cfg.Staff.Get(c.Request.Context(), consoleOf(c).Account.Admin, c.Param("id"))
	if err != nil {
		s.consoleAdminFail(c, err)
		return nil, false
	}
	return a, true
}

// adminOtherTarget is adminTarget for what an admin may not do to their own
// account (selfKey says why, with 409): reset its password, remove its
// second factor; they do those on their account page.
func (s *Server) adminOtherTarget(c *gin.Context, selfKey string) (*staff.Account, bool) {
	a, ok := s.adminTarget(c)
	if ok && a.ID == consoleOf(c).Account.ID {
		s.adminAccount(c, http.StatusConflict, adminAccountView{Error: translator(langOf(c)).T(selfKey)})
		return nil, false
	}
	return a, ok
}

// adminRefused answers a form the store refused: the account's page with
// the reason, nothing changed.
func (s *Server) adminRefused(c *gin.Context, err error) {
	tr := translator(langOf(c))
	switch {
	case errors.Is(err, staff.ErrNotFound):
		s.consoleAdminFail(c, err)
	case errors.Is(err, staff.ErrLastAdmin):
		s.adminAccount(c, http.StatusConflict, adminAccountView{Error: tr.T("admin.lastadmin")})
	case errors.Is(err, staff.ErrInvalid):
		s.adminAccount(c, http.StatusBadRequest, adminAccountView{Error: err.Error()})
	default:
		s.consoleAdminFail(c, err)
	}
}

func (s *Server) consoleAdminSetDisabled(disabled bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		tr := translator(langOf(c))
		ss := consoleOf(c)
		a, ok := s.adminTarget(c)
		if !ok {
			return
		}
		if disabled && a.ID == ss.Account.ID {
			s.adminAccount(c, http.StatusConflict, adminAccountView{Error: tr.T("admin.self.disable")})
			return
		}
		if _, err := s.cfg.Staff.SetDisabled(c.Request.Context(), ss.Account.Admin, a.ID, disabled); err != nil {
			s.adminRefused(c, err)
			return
		}
		kind, msg := "staff.enable", "admin.enabledmsg"
		if disabled {
			s.consoles.endAccount(a.ID, "")
			kind, msg = "staff.disable", "admin.disabledmsg"
		}
		s.logStaffAction(c, kind, a.Label())
		s.adminAccount(c, http.StatusOK, adminAccountView{Message: tr.T(msg)})
	}
}

func (s *Server) consoleAdminRoles(c *gin.Context) {
	tr := translator(langOf(c))
	ss := consoleOf(c)
	a, ok := s.adminTarget(c)
	if !ok {
		return
	}
	roles := c.PostFormArray("role")
	if key := badRoles(roles); key != "" {
		s.adminAccount(c, http.StatusBadRequest, adminAccountView{Error: tr.T(key)})
		return
	}
	if a.ID == ss.Account.ID && !slices.Contains(roles, staff.RoleAdmin) {
		s.adminAccount(c, http.StatusConflict, adminAccountView{Error: tr.T("admin.self.roles")})
		return
	}
	b, err := s.cfg.Staff.SetRoles(c.Request.Context(), ss.Account.Admin, a.ID, roles)
	if err != nil {
		s.adminRefused(c, err)
		return
	}
	s.logStaffAction(c, "staff.roles", a.Label()+": "+strings.Join(b.Roles, ","))
	s.adminAccount(c, http.StatusOK, adminAccountView{Message: tr.T("admin.rolessaved")})
}

// consoleAdminResetPassword gives an account a temporary password, shown
// once; the old password and the account's console sessions end at once.
func (s *Server) consoleAdminResetPassword(c *gin.Context) {
	tr := translator(langOf(c))
	ss := consoleOf(c)
	a, ok := s.adminOtherTarget(c, "admin.self.password")
	if !ok {
		return
	}
	if a.Login == "" {
		s.adminAccount(c, http.StatusBadRequest, adminAccountView{Error: tr.T("admin.nologinreset")})
		return
	}
	temp, err := s.cfg.Staff.ResetPassword(c.Request.Context(), ss.Account.Admin, a.ID)
	if err != nil {
		s.adminRefused(c, err)
		return
	}
	s.consoles.endAccount(a.ID, "")
	s.logStaffAction(c, "staff.password-reset", a.Label())
	s.adminAccount(c, http.StatusOK, adminAccountView{Message: tr.T("admin.resetdone"), TempPassword: temp})
}

func (s *Server) consoleAdminRotateToken(c *gin.Context) {
	tr := translator(langOf(c))
	a, ok := s.adminTarget(c)
	if !ok {
		return
	}
	tok, err := s.cfg.Staff.RotateToken(c.Request.Context(), consoleOf(c).Account.Admin, a.ID)
	if err != nil {
		s.adminRefused(c, err)
		return
	}
	s.logStaffAction(c, "staff.token-rotate", a.Label())
	s.adminAccount(c, http.StatusOK, adminAccountView{Message: tr.T("admin.rotated"), NewToken: tok})
}

func (s *Server) consoleAdminRevokeToken(c *gin.Context) {
	tr := translator(langOf(c))
	a, ok := s.adminTarget(c)
	if !ok {
		return
	}
	if err := s.cfg.Staff.RevokeToken(c.Request.Context(), consoleOf(c).Account.Admin, a.ID); err != nil {
		s.adminRefused(c, err)
		return
	}
	s.logStaffAction(c, "staff.token-revoke", a.Label())
	s.adminAccount(c, http.StatusOK, adminAccountView{Message: tr.T("admin.revoked")})
}

// consoleAdminFail answers an account not found in the admin's
// administration with 404 (whether or not it exists elsewhere), anything
// else with 500 (the detail in the log only).
func (s *Server) consoleAdminFail(c *gin.Context, err error) {
	tr := translator(langOf(c))
	if errors.Is(err, staff.ErrNotFound) {
		s.renderConsole(c, http.StatusNotFound, "console_error", "error.title", "admin", tr.T("admin.notfound"))
		return
	}
	s.cfg.Log.Error("admin console failed", "route", c.FullPath(), "err", err.Error())
	s.renderConsole(c, http.StatusInternalServerError, "console_error", "error.title", "admin", tr.T("admin.failed"))
}

// The staff action log.

// logStaffAction appends an action of the signed-in staff member (console)
// or the calling system (API) to its administration's action log: call it
// where an action has succeeded, with what it was done to. A failure to
// record is logged (without the target) and does not undo the action.
func (s *Server) logStaffAction(c *gin.Context, kind, target string) {
	if s.cfg.Staff == nil {
		return
	}
	var a *staff.Account
	via := "console"
	if ss := consoleOf(c); ss != nil {
		a = &ss.Account
	} else if a = account(c); a != nil {
		via = "api"
	}
	if a == nil {
		s.cfg.Log.Error("staff action without a staff member", "kind", kind, "route", c.FullPath())
		return
	}
	err := s.cfg.Staff.LogAction(c.Request.Context(), staff.Action{Time: s.now().UTC(), Admin: a.Admin, Via: via,
		ActorID: a.ID, ActorName: a.Name, ActorLogin: a.Login, Kind: kind, Target: target})
	if err != nil {
		s.cfg.Log.Error("staff action not recorded", "kind", kind, "route", c.FullPath(), "err", err.Error())
	}
}

// actionRow is one action as the admin console shows it.
type actionRow struct {
	Seq    uint64
	Time   time.Time
	Who    string
	Login  string
	Via    string
	Kind   string // the stored kind
	What   string // the kind in words, when known
	Target string
}

func actionRows(tr translator, acts []staff.Action) []actionRow {
	out := make([]actionRow, 0, len(acts))
	for _, a := range acts {
		r := actionRow{Seq: a.Seq, Time: a.Time, Who: a.ActorName, Login: a.ActorLogin, Via: tr.T("admin.via." + a.Via), Kind: a.Kind, What: a.Kind, Target: a.Target}
		if a.Via == "cli" && r.Who == "" {
			r.Who = tr.T("admin.cli")
		}
		if l := tr.T("actionkind." + a.Kind); l != "actionkind."+a.Kind {
			r.What = l
		}
		out = append(out, r)
	}
	return out
}

type adminLogView struct {
	Actions []actionRow
	Older   uint64 // the before= of the next page, when HasOlder
	// HasOlder and First: links to the next page and back to the newest.
	HasOlder, First bool
}

// consoleAdminLog pages through the administration's action log, newest
// first (?before=N starts below action N).
func (s *Server) consoleAdminLog(c *gin.Context) {
	tr := translator(langOf(c))
	var before uint64
	if q := c.Query("before"); q != "" {
		n, err := strconv.ParseUint(q, 10, 64)
		if err != nil || n == 0 {
			s.renderConsole(c, http.StatusBadRequest, "console_error", "error.title", "admin", tr.T("admin.badpage"))
			return
		}
		before = n
	}
	acts, more, err := s.cfg.Staff.Actions(c.Request.Context(), consoleOf(c).Account.Admin, before, adminLogPage)
	if err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	v := adminLogView{Actions: actionRows(tr, acts), HasOlder: more && len(acts) > 0, First: before == 0}
	if v.HasOlder {
		v.Older = acts[len(acts)-1].Seq
	}
	s.renderConsole(c, http.StatusOK, "console_admin_log", "admin.log", "admin", v)
}

// Every staff member's account page.

type accountView struct {
	Account *staff.Account
	Must    bool // a temporary password must be replaced first
	TOTP    bool // the account has a second factor
	Enrol   *staffEnrolment
	Message string
	Error   string
}

func (s *Server) accountPage(c *gin.Context, code int, v accountView) {
	ss := consoleOf(c)
	a, err := s.cfg.Staff.Get(c.Request.Context(), ss.Account.Admin, ss.Account.ID)
	if err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	v.Account, v.Must = a, a.MustChangePassword
	v.TOTP = s.staffTOTPOf(c, []staff.Account{*a})[a.ID]
	s.renderConsole(c, code, "console_account", "myaccount.title", "account", v)
}

func (s *Server) consoleAccountPage(c *gin.Context) { s.accountPage(c, http.StatusOK, accountView{}) }

// consoleChangePassword sets the staff member's own password, given the
// current one (wrong guesses count towards the login limit). The account's
// other console sessions end.
func (s *Server) consoleChangePassword(c *gin.Context) {
	tr := translator(langOf(c))
	ss := consoleOf(c)
	current, next := c.PostForm("current"), c.PostForm("new")
	key := "staff:" + ss.Account.Login
	switch {
	case s.loginByAccount.blocked(key):
		s.accountPage(c, http.StatusTooManyRequests, accountView{Error: tr.T("login.limited")})
		return
	case current == "" || next == "":
		s.accountPage(c, http.StatusBadRequest, accountView{Error: tr.T("myaccount.missing")})
		return
	case next != c.PostForm("repeat"):
		s.accountPage(c, http.StatusBadRequest, accountView{Error: tr.T("myaccount.mismatch")})
		return
	case len([]rune(next)) < staff.MinPassword:
		s.accountPage(c, http.StatusBadRequest, accountView{Error: tr.T("myaccount.short")})
		return
	case next == current:
		s.accountPage(c, http.StatusBadRequest, accountView{Error: tr.T("myaccount.same")})
		return
	}
	err := s.cfg.Staff.ChangePassword(c.Request.Context(), ss.Account.Admin, ss.Account.ID, current, next)
	switch {
	case errors.Is(err, staff.ErrBadLogin):
		s.loginByAccount.fail(key)
		s.accountPage(c, http.StatusBadRequest, accountView{Error: tr.T("myaccount.wrong")})
		return
	case errors.Is(err, staff.ErrInvalid):
		s.accountPage(c, http.StatusBadRequest, accountView{Error: err.Error()})
		return
	case err != nil:
		s.consoleAdminFail(c, err)
		return
	}
	s.loginByAccount.reset(key)
	s.consoles.endAccount(ss.Account.ID, ss.ID)
	s.logStaffAction(c, "account.password-change", ss.Account.Label())
	s.accountPage(c, http.StatusOK, accountView{Message: tr.T("myaccount.changed")})
}

// Console sessions and the stored account.

// endAccount ends every console session of account id but except, and
// the account's logins waiting for their second factor.
func (s *staffSessions) endAccount(id, except string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sid, ss := range s.m {
		if ss.Account.ID == id && sid != except {
			delete(s.m, sid)
		}
	}
	for pid, p := range s.pending {
		if p.account == id {
			delete(s.pending, pid)
		}
	}
}

// consoleRefresh runs on every console request with a session: it reloads
// the account, so a change of roles counts at once, and a disabled (or
// removed) account's session ends there. While the account must replace a
// temporary password, only its account page and logging out are open. It
// returns the session with the current account (a copy: sessions are
// shared between requests), or false once it has answered.
func (s *Server) consoleRefresh(c *gin.Context, ss *staffSession) (*staffSession, bool) {
	a, err := s.cfg.Staff.Get(c.Request.Context(), ss.Account.Admin, ss.Account.ID)
	if err != nil && !errors.Is(err, staff.ErrNotFound) {
		s.cfg.Log.Error("console account", "err", err.Error())
		c.Status(http.StatusInternalServerError)
		return nil, false
	}
	if err != nil || a.Disabled {
		s.consoles.end(ss.ID)
		s.setConsoleCookie(c, consoleCookie, "", -1)
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, "/console/login")
		} else {
			c.Status(http.StatusForbidden)
		}
		return nil, false
	}
	cp := *ss
	cp.Account = *a
	if a.MustChangePassword {
		p := c.FullPath()
		if p != "/console/account" && p != "/console/account/password" && p != "/console/logout" {
			c.Redirect(http.StatusSeeOther, "/console/account")
			return nil, false
		}
	}
	return &cp, true
}

// consoleLoginError names the login page's message for a failed login: a
// right password of a disabled account, or an expired temporary one, is
// told as such.
func consoleLoginError(err error) string {
	switch {
	case errors.Is(err, staff.ErrDisabled):
		return "console.disabled"
	case errors.Is(err, staff.ErrPasswordExpired):
		return "console.expired"
	}
	return "console.failed"
}
