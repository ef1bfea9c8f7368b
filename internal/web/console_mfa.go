package web

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/espai/espai/internal/mfa"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/staff"
	"github.com/gin-gonic/gin"
)

// The staff consoles' optional second factor: a TOTP code (RFC 6238, an
// authenticator app), kept by internal/mfa like the citizens' (sealed at
// rest, one step of drift, no code accepted twice) under the key "staff:"
// and the account's id.
//
//   - /console/account: the staff member turns it on (a QR code, confirmed
//     with a code; their other console sessions end) and off (with a current
//     code; wrong codes count towards the login limit).
//   - /console/login: after a right password, an account with it gets a
//     second step instead of a session. The pending login is bound to a
//     cookie scoped to /console, carries its own CSRF token, lasts
//     staffPendingFor and completes once. Wrong codes count per login name
//     and per address like wrong passwords (429 with Retry-After past the
//     limit, which also ends the pending login); the account's failures are
//     forgotten only when the code is right, so a known password does not
//     buy more guesses. A temporary password still has to be replaced
//     first, after both steps (consoleRefresh).
//   - /console/admin/staff/<id>: an admin of the same administration removes
//     another account's second factor (a lost phone), which ends that
//     account's sessions and pending logins and is in the action log
//     (staff.mfa-remove). An admin's own is turned off on their account
//     page, with a code.

const (
	consoleMFACookie = "espai_console_mfa"
	staffPendingFor  = 5 * time.Minute
	// staffTOTPIssuer is the name authenticator apps show beside the login.
	staffTOTPIssuer = "Espai (consola)"
)

// staffFactorKey is the key of an account's second factor in internal/mfa;
// no citizen's id (a DNI/NIE) has a colon.
func staffFactorKey(id string) string { return staff.FactorKey(id) }

// staffHasTOTP reports whether account id has an active second factor.
func (s *Server) staffHasTOTP(c *gin.Context, id string) (bool, error) {
	f, err := s.cfg.App.MFA.Factors(c.Request.Context(), staffFactorKey(id))
	return f.TOTP, err
}

// staffPending is a console login whose password was right, waiting for
// the account's code.
type staffPending struct {
	account string // the account's id
	admin   string // its administration
	login   string // its login name (the per-account limit's key)
	csrf    string
	created time.Time
}

func (s *staffSessions) addPending(p *staffPending) string {
	id := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = map[string]*staffPending{}
	}
	s.pending[id] = p
	return id
}

// pendingLogin returns the pending login id, unless it has expired.
func (s *staffSessions) pendingLogin(id string, now time.Time) (*staffPending, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	if ok && now.Sub(p.created) > staffPendingFor {
		delete(s.pending, id)
		return nil, false
	}
	return p, ok
}

// takePending ends the pending login id and reports whether it was still
// there: only one answer completes a login.
func (s *staffSessions) takePending(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pending[id]
	delete(s.pending, id)
	return ok
}

// askStaffCode keeps the login pending and asks for the account's code.
func (s *Server) askStaffCode(c *gin.Context, a *staff.Account) {
	p := &staffPending{account: a.ID, admin: a.Admin, login: a.Login, csrf: randomToken(), created: s.now()}
	id := s.consoles.addPending(p)
	s.setConsoleCookie(c, consoleMFACookie, id, int(staffPendingFor/time.Second))
	s.setConsoleCookie(c, consolePreAuth, "", -1)
	s.showStaffCode(c, http.StatusOK, p, "")
}

type staffCodeData struct{ Error string }

func (s *Server) showStaffCode(c *gin.Context, code int, p *staffPending, errKey string) {
	lang := langOf(c)
	tr := translator(lang)
	d := staffCodeData{}
	if errKey != "" {
		d.Error = tr.T(errKey)
	}
	pg := consolePage{page: page{T: tr, Lang: lang, Langs: languages, Title: tr.T("console.mfa.title"), CSRF: p.csrf, Data: d}}
	c.Header("Cache-Control", "no-store")
	c.HTML(code, "console_login_code", pg)
}

// consoleLoginCodePage shows the code step again (a reload, another
// language); without a pending login, the login page.
func (s *Server) consoleLoginCodePage(c *gin.Context) {
	id, _ := c.Cookie(consoleMFACookie)
	if p, ok := s.consoles.pendingLogin(id, s.now()); ok {
		s.showStaffCode(c, http.StatusOK, p, "")
		return
	}
	s.consoleLoginPage(c)
}

// consoleLoginCode checks the code of a pending login and starts the
// session.
func (s *Server) consoleLoginCode(c *gin.Context) {
	id, _ := c.Cookie(consoleMFACookie)
	p, ok := s.consoles.pendingLogin(id, s.now())
	if !ok || !tokensEqual(p.csrf, c.PostForm("csrf")) {
		s.showConsoleLogin(c, http.StatusForbidden, "console.mfa.expired", "")
		return
	}
	addrKey, acctKey := "addr:"+c.ClientIP(), "staff:"+p.login
	if s.loginByAddr.blocked(addrKey) || s.loginByAccount.blocked(acctKey) {
		s.setRetryAfter(c, addrKey, acctKey)
		s.consoles.takePending(id)
		s.setConsoleCookie(c, consoleMFACookie, "", -1)
		s.showConsoleLogin(c, http.StatusTooManyRequests, "login.limited", p.login)
		return
	}
	if err := s.cfg.App.MFA.Verify(c.Request.Context(), staffFactorKey(p.account), c.PostForm("code")); err != nil {
		if !errors.Is(err, mfa.ErrWrongCode) && !errors.Is(err, mfa.ErrNotEnabled) {
			s.cfg.Log.Error("console second factor check failed", "err", err.Error())
		}
		s.loginByAddr.fail(addrKey)
		s.loginByAccount.fail(acctKey)
		s.showStaffCode(c, http.StatusUnauthorized, p, "console.mfa.wrong")
		return
	}
	s.setConsoleCookie(c, consoleMFACookie, "", -1)
	if !s.consoles.takePending(id) { // another answer completed it, or the account's sessions were ended
		s.showConsoleLogin(c, http.StatusForbidden, "console.mfa.expired", "")
		return
	}
	// The account as it is now: disabled meanwhile, it does not sign in.
	a, err := s.cfg.Staff.Get(c.Request.Context(), p.admin, p.account)
	switch {
	case errors.Is(err, staff.ErrNotFound):
		s.showConsoleLogin(c, http.StatusUnauthorized, "console.failed", "")
		return
	case err != nil:
		s.cfg.Log.Error("console login failed", "err", err.Error())
		s.showConsoleLogin(c, http.StatusInternalServerError, "console.failed", "")
		return
	case a.Disabled:
		s.showConsoleLogin(c, http.StatusUnauthorized, "console.disabled", "")
		return
	}
	s.loginByAccount.reset(acctKey)
	s.startConsoleSession(c, a)
}

// The staff member's own second factor, on /console/account.

// staffEnrolment is a new secret being turned on: its QR code and the key
// to type in by hand.
type staffEnrolment struct {
	Secret string
	QR     template.HTML
}

func (s *Server) consoleMFABegin(c *gin.Context) {
	tr := translator(langOf(c))
	ss := consoleOf(c)
	e, err := s.cfg.App.MFA.BeginAs(c.Request.Context(), staffFactorKey(ss.Account.ID), staffTOTPIssuer, ss.Account.Login)
	if errors.Is(err, mfa.ErrActive) {
		s.accountPage(c, http.StatusConflict, accountView{Error: tr.T("myaccount.mfa.already")})
		return
	}
	if err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	code, err := qrpayload.Encode(e.URL)
	if err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	s.accountPage(c, http.StatusOK, accountView{Enrol: &staffEnrolment{Secret: e.Secret, QR: template.HTML(code.SVG())}})
}

// consoleMFAConfirm turns the second factor on when the code matches the
// new secret; the account's other console sessions (opened with the
// password alone) end.
func (s *Server) consoleMFAConfirm(c *gin.Context) {
	tr := translator(langOf(c))
	ss := consoleOf(c)
	if err := s.cfg.App.MFA.Confirm(c.Request.Context(), staffFactorKey(ss.Account.ID), c.PostForm("code")); err != nil {
		if !errors.Is(err, mfa.ErrWrongCode) && !errors.Is(err, mfa.ErrNoEnrolment) {
			s.consoleAdminFail(c, err)
			return
		}
		s.accountPage(c, http.StatusBadRequest, accountView{Error: tr.T("myaccount.mfa.notconfirmed")})
		return
	}
	s.consoles.endAccount(ss.Account.ID, ss.ID)
	s.logStaffAction(c, "account.mfa-enable", ss.Account.Label())
	s.accountPage(c, http.StatusOK, accountView{Message: tr.T("myaccount.mfa.enabled")})
}

// consoleMFADisable turns the second factor off, given a current code;
// wrong codes count towards the login limit, like a wrong current password.
func (s *Server) consoleMFADisable(c *gin.Context) {
	tr := translator(langOf(c))
	ss := consoleOf(c)
	addrKey, acctKey := "addr:"+c.ClientIP(), "staff:"+ss.Account.Login
	if s.loginByAccount.blocked(acctKey) {
		s.setRetryAfter(c, addrKey, acctKey)
		s.accountPage(c, http.StatusTooManyRequests, accountView{Error: tr.T("login.limited")})
		return
	}
	on, err := s.staffHasTOTP(c, ss.Account.ID)
	if err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	if !on {
		s.accountPage(c, http.StatusConflict, accountView{Error: tr.T("myaccount.mfa.notactive")})
		return
	}
	if err := s.cfg.App.MFA.Disable(c.Request.Context(), staffFactorKey(ss.Account.ID), c.PostForm("code"), false); err != nil {
		if !errors.Is(err, mfa.ErrWrongCode) {
			s.consoleAdminFail(c, err)
			return
		}
		s.loginByAccount.fail(acctKey)
		s.accountPage(c, http.StatusBadRequest, accountView{Error: tr.T("myaccount.mfa.wrong")})
		return
	}
	s.logStaffAction(c, "account.mfa-disable", ss.Account.Label())
	s.accountPage(c, http.StatusOK, accountView{Message: tr.T("myaccount.mfa.disabled")})
}

// consoleAdminRemoveMFA removes another account's second factor (a lost
// phone): its console sessions and pending logins end; it signs in with the
// password alone until it turns a new one on.
func (s *Server) consoleAdminRemoveMFA(c *gin.Context) {
	tr := translator(langOf(c))
	a, ok := s.adminOtherTarget(c, "admin.self.mfa")
	if !ok {
		return
	}
	// A record that does not open is removed too: Forget deletes unread.
	if on, err := s.staffHasTOTP(c, a.ID); err == nil && !on {
		s.adminAccount(c, http.StatusBadRequest, adminAccountView{Error: tr.T("admin.mfa.none")})
		return
	}
	if err := s.cfg.App.MFA.Forget(c.Request.Context(), staffFactorKey(a.ID)); err != nil {
		s.consoleAdminFail(c, err)
		return
	}
	s.consoles.endAccount(a.ID, "")
	s.logStaffAction(c, "staff.mfa-remove", a.Label())
	s.adminAccount(c, http.StatusOK, adminAccountView{Message: tr.T("admin.mfa.removed")})
}

// staffTOTPOf says, for each account, whether it has a second factor; an
// unreadable record counts as one (the admin can remove it).
func (s *Server) staffTOTPOf(c *gin.Context, accounts []staff.Account) map[string]bool {
	out := make(map[string]bool, len(accounts))
	for _, a := range accounts {
		if a.Login == "" {
			continue
		}
		on, err := s.staffHasTOTP(c, a.ID)
		if err != nil {
			s.cfg.Log.Error("console second factor unreadable", "err", err.Error())
			on = true
		}
		out[a.ID] = on
	}
	return out
}
