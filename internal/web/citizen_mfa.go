package web

import (
	"errors"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/espai/espai/internal/mfa"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/wallet"
	"github.com/gin-gonic/gin"
)

// Second step of a login with a second factor: the passphrase opened the
// wallet, which stays here (not a session: no page is reachable) until the
// code from the citizen's app is checked, for at most pendingLoginFor.
const (
	mfaCookie       = "espai_mfa"
	pendingLoginFor = 5 * time.Minute
)

type pendingLogin struct {
	wallet  *wallet.Session
	device  string
	csrf    string
	created time.Time
	// ceremony is the passkey assertion in progress, if any (guarded by
	// pendingLogins.mu; taken by its first answer).
	ceremony *mfa.Ceremony
}

type pendingLogins struct {
	mu sync.Mutex
	m  map[string]*pendingLogin
}

func (p *pendingLogins) add(pl *pendingLogin) string {
	id := randomToken()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*pendingLogin{}
	}
	p.m[id] = pl
	return id
}

func (p *pendingLogins) get(id string, now time.Time) (*pendingLogin, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl, ok := p.m[id]
	if ok && now.Sub(pl.created) > pendingLoginFor {
		pl.wallet.Lock()
		delete(p.m, id)
		return nil, false
	}
	return pl, ok
}

// drop forgets a pending login; lock also locks its wallet (abandoned).
func (p *pendingLogins) drop(id string, lock bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pl, ok := p.m[id]; ok {
		if lock {
			pl.wallet.Lock()
		}
		delete(p.m, id)
	}
}

// setCeremony keeps a passkey ceremony for the pending login id,
// replacing an earlier one.
func (p *pendingLogins) setCeremony(id string, c *mfa.Ceremony) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pl, ok := p.m[id]; ok {
		pl.ceremony = c
	}
}

// takeCeremony hands out the pending login's passkey ceremony once.
func (p *pendingLogins) takeCeremony(id string) *mfa.Ceremony {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl, ok := p.m[id]
	if !ok {
		return nil
	}
	c := pl.ceremony
	pl.ceremony = nil
	return c
}

func (p *pendingLogins) sweep(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, pl := range p.m {
		if now.Sub(pl.created) > pendingLoginFor {
			pl.wallet.Lock()
			delete(p.m, id)
		}
	}
}

// askCode holds the unlocked wallet and asks for the second factor.
func (s *Server) askCode(c *gin.Context, ws *wallet.Session, device string) {
	pl := &pendingLogin{wallet: ws, device: device, csrf: randomToken(), created: s.now()}
	id := s.pending.add(pl)
	s.setCookie(c, mfaCookie, id, int(pendingLoginFor/time.Second))
	s.setCookie(c, preAuthCookie, "", -1)
	s.showCode(c, http.StatusOK, pl, "")
}

// codeData is the second step of a login: the factors offered.
type codeData struct {
	Error   string
	TOTP    bool         // the code form
	Passkey *passkeyForm // the passkey form
	Blocked bool         // neither can be used: blocked passkeys, or passkeys off here
}

// showCode asks for the second factor: a passkey, a code, or either,
// whichever the citizen has (read again each time: a passkey may have just
// been blocked).
func (s *Server) showCode(c *gin.Context, code int, pl *pendingLogin, errKey string) {
	lang := langOf(c)
	f, err := s.cfg.App.MFA.Factors(c.Request.Context(), pl.wallet.CitizenID())
	if err != nil {
		s.cfg.Log.Error("second factor unreadable", "err", err.Error())
		f = mfa.Factors{TOTP: true, Passkeys: 1} // offer both: each is checked when used
	}
	d := codeData{TOTP: f.TOTP}
	if s.passkeys != nil && f.Passkeys > 0 {
		d.Passkey = s.passkeyForm()
	}
	d.Blocked = !d.TOTP && d.Passkey == nil
	if errKey != "" {
		d.Error = translator(lang).T(errKey)
	}
	p := page{T: translator(lang), Lang: lang, Langs: languages, Title: translator(lang).T("mfa.title"), CSRF: pl.csrf, Data: d}
	c.Header("Cache-Control", "no-store")
	c.HTML(code, "login_code", p)
}

// pendingOf is the pending login of the request, when its cookie and CSRF
// token are right.
func (s *Server) pendingOf(c *gin.Context) (string, *pendingLogin, bool) {
	id, _ := c.Cookie(mfaCookie)
	pl, ok := s.pending.get(id, s.now())
	if !ok || !tokensEqual(pl.csrf, c.PostForm("csrf")) {
		return "", nil, false
	}
	return id, pl, true
}

// secondFactorLimited ends a pending login whose account or address is
// over the limit of failed attempts.
func (s *Server) secondFactorLimited(c *gin.Context, id string, pl *pendingLogin) bool {
	if !s.loginByAddr.blocked("addr:"+c.ClientIP()) && !s.loginByAccount.blocked("acct:"+pl.wallet.CitizenID()) {
		return false
	}
	s.setRetryAfter(c, "addr:"+c.ClientIP(), "acct:"+pl.wallet.CitizenID())
	s.pending.drop(id, true)
	s.setCookie(c, mfaCookie, "", -1)
	return true
}

// secondFactorFailed counts a wrong code or passkey against the account
// and the address, like a wrong passphrase.
func (s *Server) secondFactorFailed(c *gin.Context, pl *pendingLogin) {
	s.loginByAddr.fail("addr:" + c.ClientIP())
	s.loginByAccount.fail("acct:" + pl.wallet.CitizenID())
}

// pendingSecondStep is the pending login a second-factor answer belongs
// to; without one (expired, or none) or past the login limits, it shows the
// login page with the reason and reports false.
func (s *Server) pendingSecondStep(c *gin.Context) (string, *pendingLogin, bool) {
	id, pl, ok := s.pendingOf(c)
	if !ok {
		s.showLogin(c, http.StatusForbidden, "mfa.expired", "")
		return "", nil, false
	}
	if s.secondFactorLimited(c, id, pl) {
		s.showLogin(c, http.StatusTooManyRequests, "login.limited", "")
		return "", nil, false
	}
	return id, pl, true
}

// loginCode checks the second factor and starts the session. Wrong codes
// count against the account and address like wrong passphrases.
func (s *Server) loginCode(c *gin.Context) {
	id, pl, ok := s.pendingSecondStep(c)
	if !ok {
		return
	}
	if err := s.cfg.App.MFA.Verify(c.Request.Context(), pl.wallet.CitizenID(), c.PostForm("code")); err != nil {
		if !errors.Is(err, mfa.ErrWrongCode) && !errors.Is(err, mfa.ErrNotEnabled) {
			s.cfg.Log.Error("second factor check failed", "err", err.Error())
		}
		s.secondFactorFailed(c, pl)
		s.showCode(c, http.StatusUnauthorized, pl, "mfa.wrong")
		return
	}
	s.secondFactorPassed(c, id, pl, "passphrase+totp")
}

// secondFactorPassed ends the pending login and starts the session; method
// names the factors for the login history.
func (s *Server) secondFactorPassed(c *gin.Context, id string, pl *pendingLogin, method string) {
	s.pending.drop(id, false)
	s.setCookie(c, mfaCookie, "", -1)
	s.startSession(c, pl.wallet, pl.device, method)
}

// Settings: turning the second factor on (scan, confirm with a code) and off.

func (s *Server) mountMFASettings(g gin.IRouter) {
	g.POST("/settings/mfa/begin", s.mfaBegin)
	g.POST("/settings/mfa/confirm", s.mfaConfirm)
	g.POST("/settings/mfa/disable", s.mfaDisable)
}

func (s *Server) mfaBegin(c *gin.Context) {
	cs := citizenOf(c)
	e, err := s.cfg.App.MFA.Begin(c.Request.Context(), cs.Citizen)
	if err != nil {
		s.settingsPage(c, http.StatusConflict, translator(langOf(c)).T("mfa.already"))
		return
	}
	code, err := qrpayload.Encode(e.URL)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	s.render(c, http.StatusOK, "mfa_enrol", "mfa.title", "settings", cs, map[string]any{"Secret": e.Secret, "QR": template.HTML(code.SVG())})
}

func (s *Server) mfaConfirm(c *gin.Context) {
	cs := citizenOf(c)
	tr := translator(langOf(c))
	if err := s.cfg.App.MFA.Confirm(c.Request.Context(), cs.Citizen, c.PostForm("code")); err != nil {
		s.settingsPage(c, http.StatusBadRequest, tr.T("mfa.notconfirmed"))
		return
	}
	_, _ = cs.Wallet.RecordEvent(c.Request.Context(), wallet.Event{Kind: eventMFAEnabled, Actor: wallet.ActorCitizen})
	s.settingsPage(c, http.StatusOK, tr.T("mfa.enabled"))
}

func (s *Server) mfaDisable(c *gin.Context) {
	cs := citizenOf(c)
	tr := translator(langOf(c))
	if err := s.cfg.App.MFA.Disable(c.Request.Context(), cs.Citizen, c.PostForm("code"), false); err != nil {
		s.settingsPage(c, http.StatusBadRequest, tr.T("mfa.wrong"))
		return
	}
	_, _ = cs.Wallet.RecordEvent(c.Request.Context(), wallet.Event{Kind: eventMFADisabled, Actor: wallet.ActorCitizen})
	s.settingsPage(c, http.StatusOK, tr.T("mfa.disabled"))
}

// Activity events of the second factor.
const (
	eventMFAEnabled  wallet.EventKind = "second_factor_on"
	eventMFADisabled wallet.EventKind = "second_factor_off"
)
