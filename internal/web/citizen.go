package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

const ctxCitizen = "espai.citizen"

// page is what every citizen template gets.
type page struct {
	T        translator
	Lang     string
	Langs    []string
	Title    string
	Active   string
	CSRF     string
	LoggedIn bool
	Data     any
}

func (s *Server) mountCitizen(r *gin.Engine) {
	r.SetHTMLTemplate(template.Must(template.New("").Funcs(template.FuncMap{"local": app.Local, "passkeyData": passkeyData}).ParseFS(templateFS, "templates/*.html")))
	static, _ := fs.Sub(staticFS, "static")
	r.StaticFS("/static", http.FS(static))
	r.GET("/login", s.loginPage)
	r.POST("/login", s.login)
	r.POST("/login/code", s.loginCode)
	s.mountPasskeyLogin(r)
	r.NoRoute(s.noRoute)
	g := r.Group("/", s.requireCitizen)
	g.POST("/logout", s.logout)
	g.GET("/", s.home)
	g.GET("/credentials", s.credentials)
	g.GET("/credentials/:id", s.credential)
	g.GET("/data", s.dataUse)
	g.GET("/sessions", s.sessionsPage)
	g.POST("/sessions/end", s.endSession)
	g.POST("/alerts/mute", s.muteAlert)
	s.mountCitizenPresent(g)
	s.mountTracking(g)
	s.mountSettings(g)
	s.mountPWA(r)
}

func (s *Server) render(c *gin.Context, code int, name, title, active string, cs *citizenSession, data any) {
	lang := langOf(c)
	p := page{T: translator(lang), Lang: lang, Langs: languages, Title: translator(lang).T(title), Active: active, Data: data}
	if cs != nil {
		p.CSRF, p.LoggedIn = cs.CSRF, true
	}
	c.Header("Cache-Control", "no-store")
	c.HTML(code, name, p)
}

func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(name, value, maxAge, "/", "", s.overTLS(c), true)
}

// setSessionCookie sets the session cookie SameSite=Lax, so a link from an
// alert e-mail or a QR code opens the page for a logged-in citizen; every
// state change is a POST with the session's CSRF token, and GET pages change
// nothing a third party could want. The login's own cookies stay Strict.
func (s *Server) setSessionCookie(c *gin.Context, value string, maxAge int) {
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(sessionCookie, value, maxAge, "/", "", s.overTLS(c), true)
}

// nextCookie remembers the page a logged-out citizen asked for, so the
// login ends there (an alert e-mail's link, a verifier's QR code).
const nextCookie = "espai_next"

// safeNext reports whether p is a path of this site to return to after a
// login: absolute path, no scheme or host, not the login pages themselves.
func safeNext(p string) bool {
	if len(p) > 2048 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return false
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return false
	}
	return u.Path != "/login" && !strings.HasPrefix(u.Path, "/login/") && u.Path != "/logout"
}

type loginData struct {
	Error   string
	Citizen string
}

func (s *Server) loginPage(c *gin.Context) {
	if id, err := c.Cookie(sessionCookie); err == nil {
		if _, ok := s.sess.get(id); ok {
			c.Redirect(http.StatusSeeOther, "/")
			return
		}
	}
	s.showLogin(c, http.StatusOK, "", "")
}

// showLogin renders the form with a fresh pre-authentication CSRF token
// (double submit: cookie and hidden field must match).
func (s *Server) showLogin(c *gin.Context, code int, errKey, citizen string) {
	tok := randomToken()
	s.setCookie(c, preAuthCookie, tok, 3600)
	lang := langOf(c)
	d := loginData{Citizen: citizen}
	if errKey != "" {
		d.Error = translator(lang).T(errKey)
	}
	p := page{T: translator(lang), Lang: lang, Langs: languages, Title: translator(lang).T("login.title"), CSRF: tok, Data: d}
	c.Header("Cache-Control", "no-store")
	c.HTML(code, "login", p)
}

func (s *Server) login(c *gin.Context) {
	pre, _ := c.Cookie(preAuthCookie)
	if !tokensEqual(pre, c.PostForm("csrf")) {
		s.showLogin(c, http.StatusForbidden, "login.failed", "")
		return
	}
	id, err := register.NormalizeID(c.PostForm("citizen"))
	addrKey := "addr:" + c.ClientIP()
	if s.loginByAddr.blocked(addrKey) || (err == nil && s.loginByAccount.blocked("acct:"+id)) {
		s.setRetryAfter(c, addrKey, "acct:"+id)
		s.showLogin(c, http.StatusTooManyRequests, "login.limited", c.PostForm("citizen"))
		return
	}
	// An id that is not a DNI/NIE or has no wallet costs what a wrong
	// passphrase costs, and failures in a row wait longer each time.
	ws, err := s.cfg.App.Wallet.UnlockForLogin(c.Request.Context(), c.PostForm("citizen"), c.PostForm("passphrase"),
		s.loginByAccount.count("acct:"+id))
	if err != nil {
		if errors.Is(err, wallet.ErrBusy) {
			s.showLogin(c, http.StatusServiceUnavailable, "login.limited", c.PostForm("citizen"))
			return
		}
		s.loginByAddr.fail(addrKey)
		if id != "" {
			s.loginByAccount.fail("acct:" + id)
		}
		s.showLogin(c, http.StatusUnauthorized, "login.failed", c.PostForm("citizen"))
		return
	}
	device := deviceOf(c.Request.UserAgent())
	if f, err := s.cfg.App.MFA.Factors(c.Request.Context(), id); err != nil || f.Any() {
		if err != nil {
			ws.Lock()
			s.cfg.Log.Error("second factor unreadable", "err", err.Error())
			s.showLogin(c, http.StatusInternalServerError, "login.failed", "")
			return
		}
		s.askCode(c, ws, device)
		return
	}
	s.startSession(c, ws, device, "passphrase")
}

// startSession logs the citizen in once every factor is checked: a new
// session id (no fixation), the login in their feed.
func (s *Server) startSession(c *gin.Context, ws *wallet.Session, device, method string) {
	s.loginByAccount.reset("acct:" + ws.CitizenID())
	if old, err := c.Cookie(sessionCookie); err == nil {
		s.sess.end(old)
	}
	cs := s.sess.create(ws, device)
	if err := s.cfg.App.NoteLogin(c.Request.Context(), ws, "espai", method, device); err != nil {
		s.cfg.Log.Warn("login not recorded in the citizen's feed", "err", err.Error())
	}
	s.setSessionCookie(c, cs.ID, int(sessionAbsolute/time.Second))
	s.setCookie(c, preAuthCookie, "", -1)
	next := "/"
	if p, err := c.Cookie(nextCookie); err == nil && safeNext(p) {
		next = p
	}
	s.setCookie(c, nextCookie, "", -1)
	c.Redirect(http.StatusSeeOther, next)
}

// requireCitizen loads the session; state-changing requests must carry its
// CSRF token.
func (s *Server) requireCitizen(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20) // every citizen form is small
	id, err := c.Cookie(sessionCookie)
	cs, ok := s.sess.get(id)
	if err != nil || !ok {
		if c.Request.Method == http.MethodGet {
			if p := c.Request.URL.RequestURI(); p != "/" && safeNext(p) {
				s.setCookie(c, nextCookie, p, 15*60)
			}
			c.Redirect(http.StatusSeeOther, "/login")
		} else {
			c.Status(http.StatusForbidden)
		}
		c.Abort()
		return
	}
	if c.Request.Method != http.MethodGet && !tokensEqual(cs.CSRF, c.PostForm("csrf")) {
		c.Status(http.StatusForbidden)
		c.Abort()
		return
	}
	if c.Request.Method == http.MethodGet {
		s.refreshInbox(c, cs)
	}
	c.Set(ctxCitizen, cs)
	c.Next()
}

// refreshInbox files what administrations delivered while the citizen is
// logged in (a procedure update, a notification), so pages show it at once.
func (s *Server) refreshInbox(c *gin.Context, cs *citizenSession) {
	ctx := c.Request.Context()
	if n, err := s.cfg.App.Wallet.InboxSize(ctx, cs.Citizen); err == nil && n > 0 {
		if _, err := cs.Wallet.OpenInbox(ctx); err != nil {
			s.cfg.Log.Warn("inbox not opened", "err", err.Error())
		}
	}
}

func citizenOf(c *gin.Context) *citizenSession {
	v, _ := c.Get(ctxCitizen)
	cs, _ := v.(*citizenSession)
	return cs
}

func (s *Server) logout(c *gin.Context) {
	s.sess.end(citizenOf(c).ID)
	s.setCookie(c, sessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/login")
}

// noRoute answers an unknown address: the JSON error of the APIs under the
// machine prefixes, otherwise the citizen's error page in their language
// (with the menu when they are logged in).
func (s *Server) noRoute(c *gin.Context) {
	p := c.Request.URL.Path
	for _, prefix := range []string{"/api/", "/ledger/", "/verifier/", "/status/", "/issuers/", "/.well-known/", "/trust"} {
		if strings.HasPrefix(p, prefix) {
			s.fail(c, errNotFound)
			return
		}
	}
	var cs *citizenSession
	if id, err := c.Cookie(sessionCookie); err == nil {
		cs, _ = s.sess.get(id)
	}
	s.render(c, http.StatusNotFound, "error", "error.title", "", cs, errorPage{Message: translator(langOf(c)).T("error.nopage")})
}

func (s *Server) fail500(c *gin.Context, cs *citizenSession, err error) {
	s.cfg.Log.Error("citizen page failed", "route", c.FullPath(), "err", err.Error())
	s.render(c, http.StatusInternalServerError, "error", "error.title", "", cs, errorPage{Message: translator(langOf(c)).T("error.generic")})
}

func (s *Server) home(c *gin.Context) {
	cs := citizenOf(c)
	ctx := c.Request.Context()
	name := ""
	if s.cfg.App.Registers != nil {
		if r, err := s.cfg.App.Registers.Census(ctx, cs.Citizen); err == nil {
			name = r.GivenName
		}
	}
	creds, _, err := cs.Wallet.Credentials(ctx)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	soon := s.now().Add(30 * 24 * time.Hour)
	var expiring []wallet.Credential
	for _, cr := range creds {
		if !cr.ExpiresAt.IsZero() && cr.ExpiresAt.Before(soon) {
			expiring = append(expiring, cr)
		}
	}
	sort.Slice(expiring, func(i, j int) bool { return expiring[i].ExpiresAt.Before(expiring[j].ExpiresAt) })
	// The newest events by when they happened (an administration may report
	// a notification's expiry after later events were filed), ten of them.
	acts, _, err := cs.Wallet.Activity(ctx, 40)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].Time.After(acts[j].Time) })
	acts = acts[:min(len(acts), 10)]
	alerts, err := s.cfg.App.Alerts(ctx, cs.Wallet)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	tr := translator(langOf(c))
	names := s.adminNames(ctx)
	type alertView struct {
		Kind, Text, Link string
		Urgent           bool
	}
	views := make([]alertView, 0, len(alerts))
	for _, al := range alerts {
		args := make([]any, len(al.Params))
		for i, p := range al.Params {
			switch {
			case i == 0 && (al.Kind == app.AlertCredentialExpiring || al.Kind == app.AlertCredentialExpired || al.Kind == app.AlertCredentialRevoked):
				args[i] = tr.T("type." + p + ".short")
			case names[p] != "":
				args[i] = names[p]
			default:
				args[i] = p
			}
		}
		views = append(views, alertView{Kind: al.Kind, Text: tr.T("alert."+al.Kind, args...), Link: al.Link, Urgent: al.Urgent})
	}
	_, notes, err := s.cfg.App.CitizenTracking(ctx, cs.Wallet)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	var deadlines []app.NotificationView
	for _, n := range notes {
		if n.Open() {
			deadlines = append(deadlines, n)
		}
	}
	sort.Slice(deadlines, func(i, j int) bool { return deadlines[i].Deadline.Before(deadlines[j].Deadline) })
	s.render(c, http.StatusOK, "home", "nav.home", "home", cs, map[string]any{"Name": name, "Expiring": expiring, "Activity": activityViews(tr, names, acts),
		"Alerts": views, "Deadlines": deadlines, "Names": names})
}

// activityView is one line of the citizen's recent activity.
type activityView struct {
	Time         time.Time
	Text, Detail string
}

// activityViews says in words what each event was.
func activityViews(tr translator, names map[string]string, events []wallet.Event) []activityView {
	out := make([]activityView, 0, len(events))
	for _, e := range events {
		f := e.Fields
		v := activityView{Time: e.Time, Text: tr.T("activity." + string(e.Kind))}
		if v.Text == "activity."+string(e.Kind) {
			v.Text = string(e.Kind)
		}
		switch e.Kind {
		case app.EventProcedure:
			v.Detail = f["title"] + ": " + tr.T("proc.status."+f["status"])
		case app.EventNotification:
			v.Detail = f["subject"]
		case app.EventNotificationState:
			v.Detail = tr.T("notif.state." + f["state"])
		case wallet.EventLogin:
			service := f["service"]
			if service == "espai" {
				service = tr.T("app.name")
			}
			v.Detail = service + " · " + f["device"]
		case eventPasskeyAdded, eventPasskeyRemoved:
			v.Detail = f["name"]
		case wallet.EventCredentialReceived, wallet.EventCredentialRevoked:
			if f["type"] != "" {
				v.Detail = tr.T("type." + f["type"])
			}
		}
		if a := names[e.Actor]; a != "" {
			v.Detail = strings.TrimPrefix(v.Detail+" · "+a, " · ")
		}
		out = append(out, v)
	}
	return out
}

// adminNames maps administration DIDs and ids to their official names.
func (s *Server) adminNames(ctx context.Context) map[string]string {
	names, err := s.cfg.App.Issuer.AdministrationNames(ctx)
	out := make(map[string]string, 2*len(names))
	if err != nil {
		return out
	}
	for id, name := range names {
		out[id] = name
		out[s.cfg.App.Issuer.DID(id)] = name
	}
	return out
}

func (s *Server) credentials(c *gin.Context) {
	cs := citizenOf(c)
	ctx := c.Request.Context()
	creds, _, err := cs.Wallet.Credentials(ctx)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	rejected, _, err := cs.Wallet.RejectedDeliveries(ctx)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	s.render(c, http.StatusOK, "credentials", "creds.title", "credentials", cs,
		map[string]any{"Credentials": creds, "Rejected": rejected, "Names": s.adminNames(ctx)})
}

type claimRow struct{ Name, Value string }

func (s *Server) credential(c *gin.Context) {
	cs := citizenOf(c)
	ctx := c.Request.Context()
	cr, err := cs.Wallet.Credential(ctx, c.Param("id"))
	if err != nil {
		if !errors.Is(err, wallet.ErrNotFound) {
			s.fail500(c, cs, err)
			return
		}
		s.citizenError(c, cs, err)
		return
	}
	tr := translator(langOf(c))
	tech := []claimRow{{Name: tr.T("creds.tech.issuer"), Value: cr.Issuer}, {Name: tr.T("creds.tech.type"), Value: string(cr.Type)}}
	if v, ok := cr.Claims["vct"].(string); ok {
		tech = append(tech, claimRow{Name: "vct", Value: v})
	}
	if cr.Status != nil {
		tech = append(tech, claimRow{Name: tr.T("creds.tech.status"), Value: fmt.Sprintf("%s #%d", cr.Status.URI, cr.Status.Index)})
	}
	if cr.Holder != "" {
		tech = append(tech, claimRow{Name: tr.T("creds.tech.holder"), Value: cr.Holder})
	}
	s.render(c, http.StatusOK, "credential", "creds.title", "credentials", cs,
		map[string]any{"Credential": cr, "Claims": personalClaims(tr, cr.Claims), "Technical": tech, "IssuerName": s.adminNames(ctx)[cr.Issuer]})
}

// dataRow is one entry of "Who used my data", read from a receipt the
// wallet holds and verified against the ledger's key in place.
type dataRow struct {
	Kind, AdminName, Purpose, LegalBasis, Claims string
	Source                                       string // the administration whose register answered (Via Oberta)
	Time                                         time.Time
	Index                                        uint64
	Verified                                     bool
}

func (s *Server) dataUse(c *gin.Context) {
	cs := citizenOf(c)
	ctx := c.Request.Context()
	tr := translator(langOf(c))
	entries, err := s.cfg.App.ReceiptEntries(ctx, cs.Wallet)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	names := s.adminNames(ctx)
	nameOf := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	titles := map[string]map[string]string{} // administration -> purpose id -> title
	purposeOf := func(admin, id string) string {
		if id == verifier.QRPurpose {
			return tr.T("data.qrpurpose")
		}
		if _, ok := titles[admin]; !ok {
			titles[admin] = map[string]string{}
			if ps, err := s.cfg.App.Purposes(ctx, admin); err == nil {
				for _, p := range ps {
					titles[admin][p.ID] = p.Title
				}
			}
		}
		if t := titles[admin][id]; t != "" {
			return t
		}
		return id
	}
	rows := make([]dataRow, 0, len(entries))
	for _, r := range entries {
		row := dataRow{Kind: r.Kind, AdminName: nameOf(r.Administration), Time: r.Time, Index: r.Index}
		if e := r.Entry; e != nil {
			row.Verified = true
			row.Kind = e.Kind.String()
			if e.Kind == ledger.KindPresentationVerified && e.Outcome == ledger.OutcomeRefused {
				row.Kind = "presentation-refused"
			}
			if e.Purpose != "" {
				row.Purpose = purposeOf(e.Administration, e.Purpose)
			}
			if e.Source != "" {
				row.Source = nameOf(e.Source)
			}
			row.LegalBasis = e.LegalBasis
			labels := make([]string, 0, len(e.Categories))
			for _, n := range e.Categories {
				labels = append(labels, claimLabel(tr, n))
			}
			row.Claims = strings.Join(labels, ", ")
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].Time.Equal(rows[j].Time) {
			return rows[i].Time.After(rows[j].Time)
		}
		return rows[i].Index > rows[j].Index // the ledger's order breaks ties
	})
	s.render(c, http.StatusOK, "data", "data.title", "data", cs, map[string]any{"Rows": rows})
}

func (s *Server) sessionsPage(c *gin.Context) {
	cs := citizenOf(c)
	events, _, err := cs.Wallet.Activity(c.Request.Context(), 0)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	s.render(c, http.StatusOK, "sessions", "sessions.title", "sessions", cs, map[string]any{"Sessions": s.sess.of(cs.Citizen), "Current": cs.ID,
		"Logins": loginHistory(translator(langOf(c)), events), "Names": s.adminNames(c.Request.Context())})
}

func (s *Server) endSession(c *gin.Context) {
	cs := citizenOf(c)
	s.sess.endOther(cs.Citizen, c.PostForm("session"))
	if c.PostForm("session") == cs.ID {
		s.setCookie(c, sessionCookie, "", -1)
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	c.Redirect(http.StatusSeeOther, "/sessions")
}

func (s *Server) muteAlert(c *gin.Context) {
	cs := citizenOf(c)
	if err := s.cfg.App.MuteAlert(c.Request.Context(), cs.Wallet, c.PostForm("kind"), true); err != nil {
		s.citizenError(c, cs, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}
