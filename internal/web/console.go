package web

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/espai/espai/internal/staff"
	"github.com/gin-gonic/gin"
)

// The administration and auditor consoles, under /console. Staff sign in
// with their login name and password, apart from citizens (another cookie,
// scoped to /console, another session store): a citizen session opens no
// console page and a staff session opens no citizen page. Every console page
// needs a role; staff act only for their own administration.

const (
	consoleCookie   = "espai_console"
	consolePreAuth  = "espai_console_pre"
	consoleIdle     = 30 * time.Minute
	consoleAbsolute = 10 * time.Hour
	ctxConsole      = "espai.console"
)

// staffSession is one signed-in staff member.
type staffSession struct {
	ID       string
	Account  staff.Account
	CSRF     string
	Created  time.Time
	LastSeen time.Time
}

type staffSessions struct {
	mu sync.Mutex
	m  map[string]*staffSession
	// pending are logins whose password was right, waiting for the
	// account's second factor (console_mfa.go).
	pending map[string]*staffPending
}

func (s *staffSessions) create(a staff.Account, now time.Time) *staffSession {
	ss := &staffSession{ID: randomToken(), Account: a, CSRF: randomToken(), Created: now, LastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*staffSession{}
	}
	s.m[ss.ID] = ss
	return ss
}

func (s *staffSessions) get(id string, now time.Time) (*staffSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok {
		return nil, false
	}
	if now.Sub(ss.LastSeen) > consoleIdle || now.Sub(ss.Created) > consoleAbsolute {
		delete(s.m, id)
		return nil, false
	}
	ss.LastSeen = now
	return ss, true
}

func (s *staffSessions) end(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

func (s *staffSessions) sweep(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ss := range s.m {
		if now.Sub(ss.LastSeen) > consoleIdle || now.Sub(ss.Created) > consoleAbsolute {
			delete(s.m, id)
		}
	}
	for id, p := range s.pending {
		if now.Sub(p.created) > staffPendingFor {
			delete(s.pending, id)
		}
	}
}

// consolePage is what every console template gets.
type consolePage struct {
	page
	Staff *staff.Account
	Admin string // the administration's official name
}

func (s *Server) setConsoleCookie(c *gin.Context, name, value string, maxAge int) {
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(name, value, maxAge, "/console", "", s.overTLS(c), true)
}

func (s *Server) renderConsole(c *gin.Context, code int, name, title, active string, data any) {
	lang := langOf(c)
	tr := translator(lang)
	p := consolePage{page: page{T: tr, Lang: lang, Langs: languages, Title: tr.T(title), Active: active, Data: data}}
	if ss := consoleOf(c); ss != nil {
		p.CSRF, p.LoggedIn, p.Staff = ss.CSRF, true, &ss.Account
		p.Admin = ss.Account.Admin
		if adm, err := s.cfg.App.Issuer.Administration(c.Request.Context(), ss.Account.Admin); err == nil {
			p.Admin = adm.Name
		}
	}
	c.Header("Cache-Control", "no-store")
	c.HTML(code, name, p)
}

func (s *Server) mountConsole(r *gin.Engine) {
	r.GET("/console/login", s.consoleLoginPage)
	r.POST("/console/login", s.consoleLogin)
	r.GET("/console/login/code", s.consoleLoginCodePage)
	r.POST("/console/login/code", s.consoleLoginCode)
	g := r.Group("/console", s.requireConsole(""))
	g.GET("", s.consoleHome)
	g.POST("/logout", s.consoleLogout)
	s.mountIssuerConsole(r.Group("/console/issuer", s.requireConsole(staff.RoleIssuer)))
	s.mountVerifierConsole(r.Group("/console/verifier", s.requireConsole(staff.RoleVerifier)))
	s.mountAuditConsole(r.Group("/console/audit", s.requireConsole(staff.RoleAuditor)))
	s.mountAdminConsole(r.Group("/console/admin", s.requireConsole(staff.RoleAdmin)))
	s.mountExchangeConsole(r.Group("/console/verifier/exchange", s.requireConsole(staff.RoleVerifier)))
	s.mountAccountConsole(r.Group("/console/account", s.requireConsole("")))
}

// requireConsole loads the staff session and checks role ("" any role);
// state-changing requests must carry the session's CSRF token.
func (s *Server) requireConsole(role string) gin.HandlerFunc {
	return func(c *gin.Context) {
		// Forms are small; the scanner's image upload is the largest (8 MiB).
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 9<<20)
		id, err := c.Cookie(consoleCookie)
		ss, ok := s.consoles.get(id, s.now())
		if err != nil || !ok {
			if c.Request.Method == http.MethodGet {
				c.Redirect(http.StatusSeeOther, "/console/login")
			} else {
				c.Status(http.StatusForbidden)
			}
			c.Abort()
			return
		}
		if c.Request.Method != http.MethodGet && !tokensEqual(ss.CSRF, c.PostForm("csrf")) {
			c.Status(http.StatusForbidden)
			c.Abort()
			return
		}
		if ss, ok = s.consoleRefresh(c, ss); !ok { // the stored account: disabled, new roles, a password to change
			c.Abort()
			return
		}
		c.Set(ctxConsole, ss)
		if role != "" && !ss.Account.Has(role) {
			s.renderConsole(c, http.StatusForbidden, "console_denied", "console.forbidden", "", translator(langOf(c)).T("console.forbiddenhelp"))
			c.Abort()
			return
		}
		c.Next()
	}
}

func consoleOf(c *gin.Context) *staffSession {
	v, _ := c.Get(ctxConsole)
	ss, _ := v.(*staffSession)
	return ss
}

func (s *Server) consoleLoginPage(c *gin.Context) {
	if id, err := c.Cookie(consoleCookie); err == nil {
		if _, ok := s.consoles.get(id, s.now()); ok {
			c.Redirect(http.StatusSeeOther, "/console")
			return
		}
	}
	s.showConsoleLogin(c, http.StatusOK, "", "")
}

func (s *Server) showConsoleLogin(c *gin.Context, code int, errKey, login string) {
	tok := randomToken()
	s.setConsoleCookie(c, consolePreAuth, tok, 3600)
	lang := langOf(c)
	d := loginData{Citizen: login}
	if errKey != "" {
		d.Error = translator(lang).T(errKey)
	}
	p := consolePage{page: page{T: translator(lang), Lang: lang, Langs: languages, Title: translator(lang).T("console.login"), CSRF: tok, Data: d}}
	c.Header("Cache-Control", "no-store")
	c.HTML(code, "console_login", p)
}

// consoleLogin signs a staff member in. Failures count per login name and
// per address, like citizens' logins. An account with a second factor gets
// the code step (console_mfa.go) instead of a session; its failures are
// forgotten only once the code is right.
func (s *Server) consoleLogin(c *gin.Context) {
	pre, _ := c.Cookie(consolePreAuth)
	if !tokensEqual(pre, c.PostForm("csrf")) {
		s.showConsoleLogin(c, http.StatusForbidden, "console.failed", "")
		return
	}
	login := c.PostForm("login")
	addrKey, acctKey := "addr:"+c.ClientIP(), "staff:"+login
	if s.loginByAddr.blocked(addrKey) || s.loginByAccount.blocked(acctKey) {
		s.setRetryAfter(c, addrKey, acctKey)
		s.showConsoleLogin(c, http.StatusTooManyRequests, "login.limited", login)
		return
	}
	a, err := s.cfg.Staff.Login(c.Request.Context(), login, c.PostForm("password"))
	if err != nil {
		if !errors.Is(err, staff.ErrBadLogin) {
			s.cfg.Log.Error("console login failed", "err", err.Error())
		}
		s.loginByAddr.fail(addrKey)
		s.loginByAccount.fail(acctKey)
		s.showConsoleLogin(c, http.StatusUnauthorized, consoleLoginError(err), login)
		return
	}
	totp, err := s.staffHasTOTP(c, a.ID)
	if err != nil {
		s.cfg.Log.Error("console second factor unreadable", "err", err.Error())
		s.showConsoleLogin(c, http.StatusInternalServerError, "console.failed", login)
		return
	}
	if totp {
		s.askStaffCode(c, a)
		return
	}
	s.loginByAccount.reset(acctKey)
	s.startConsoleSession(c, a)
}

// startConsoleSession signs a staff member in once every factor is checked:
// a new session id (an older session of the browser ends), the login in the
// action log.
func (s *Server) startConsoleSession(c *gin.Context, a *staff.Account) {
	if old, err := c.Cookie(consoleCookie); err == nil {
		s.consoles.end(old)
	}
	ss := s.consoles.create(*a, s.now())
	s.setConsoleCookie(c, consoleCookie, ss.ID, int(consoleAbsolute/time.Second))
	s.setConsoleCookie(c, consolePreAuth, "", -1)
	c.Set(ctxConsole, ss)
	s.logStaffAction(c, "console.login", "")
	c.Redirect(http.StatusSeeOther, "/console")
}

func (s *Server) consoleLogout(c *gin.Context) {
	s.consoles.end(consoleOf(c).ID)
	s.setConsoleCookie(c, consoleCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/console/login")
}

func (s *Server) consoleHome(c *gin.Context) {
	s.renderConsole(c, http.StatusOK, "console_home", "console.title", "home", nil)
}
