package web

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/mfa"
	"github.com/gin-gonic/gin"
)

func (s *Server) mountSettings(g gin.IRouter) {
	g.GET("/settings", s.settings)
	g.POST("/settings/unmute", s.unmute)
	g.POST("/settings/alerts", s.alertPreferences)
	g.POST("/settings/passphrase", s.changePassphrase)
	g.POST("/settings/export", s.exportSpace)
	g.POST("/settings/erase", s.eraseSpace)
	g.POST("/settings/email", s.setEmail)
	s.mountMFASettings(g)
	s.mountPasskeySettings(g)
}

func (s *Server) settingsPage(c *gin.Context, code int, message string) {
	cs := citizenOf(c)
	events, _, err := cs.Wallet.Activity(c.Request.Context(), 0)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	muted := app.MutedKinds(events)
	tr := translator(langOf(c))
	type kindView struct {
		Kind, Text string
		On         bool
	}
	var kinds []kindView
	for _, k := range app.AlertKinds {
		kinds = append(kinds, kindView{Kind: k, Text: tr.T("alertkind." + k), On: !muted[k]})
	}
	factors, err := s.cfg.App.MFA.Factors(c.Request.Context(), cs.Citizen)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	passkeys, err := s.cfg.App.MFA.ListPasskeys(c.Request.Context(), cs.Citizen)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	var form *passkeyForm
	if s.passkeys != nil {
		form = s.passkeyForm()
	}
	contact, err := s.cfg.App.Tracking.Contact(c.Request.Context(), cs.Citizen)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	email := ""
	if contact != nil {
		email = contact.Email
	}
	s.render(c, code, "settings", "settings.title", "settings", cs, map[string]any{"AlertKinds": kinds, "Message": message, "MFA": factors.TOTP,
		"Passkeys": passkeys, "PasskeyForm": form, "MaxPasskeys": len(passkeys) >= mfa.MaxPasskeys,
		"Email": email, "MailOn": s.cfg.App.Mail != nil})
}

func (s *Server) settings(c *gin.Context) { s.settingsPage(c, http.StatusOK, "") }

func (s *Server) unmute(c *gin.Context) {
	cs := citizenOf(c)
	if err := s.cfg.App.MuteAlert(c.Request.Context(), cs.Wallet, c.PostForm("kind"), false); err != nil {
		s.settingsPage(c, http.StatusBadRequest, translator(langOf(c)).T(citizenReasonKey(err)))
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings")
}

// alertPreferences saves which kinds of alert the citizen wants: every kind
// is listed with a checkbox, the ones left unticked are muted. Only changes
// are recorded; an unknown kind changes nothing.
func (s *Server) alertPreferences(c *gin.Context) {
	cs := citizenOf(c)
	ctx := c.Request.Context()
	on := c.PostFormArray("on")
	for _, k := range on {
		if !slices.Contains(app.AlertKinds, k) {
			s.settingsPage(c, http.StatusBadRequest, translator(langOf(c)).T("error.badinput"))
			return
		}
	}
	events, _, err := cs.Wallet.Activity(ctx, 0)
	if err != nil {
		s.fail500(c, cs, err)
		return
	}
	muted := app.MutedKinds(events)
	for _, k := range app.AlertKinds {
		want := !slices.Contains(on, k)
		if want == muted[k] {
			continue
		}
		if err := s.cfg.App.MuteAlert(ctx, cs.Wallet, k, want); err != nil {
			s.citizenError(c, cs, err)
			return
		}
	}
	s.settingsPage(c, http.StatusOK, translator(langOf(c)).T("settings.alerts.saved"))
}

func (s *Server) changePassphrase(c *gin.Context) {
	cs := citizenOf(c)
	tr := translator(langOf(c))
	if err := cs.Wallet.ChangePassphrase(c.Request.Context(), c.PostForm("current"), c.PostForm("new")); err != nil {
		s.settingsPage(c, http.StatusBadRequest, tr.T("settings.wrong"))
		return
	}
	s.settingsPage(c, http.StatusOK, tr.T("settings.changed"))
}

// exportSpace streams the encrypted backup (protected by the passphrase the
// citizen types, checked by the wallet) as a download.
func (s *Server) exportSpace(c *gin.Context) {
	cs := citizenOf(c)
	var buf bytes.Buffer
	if err := cs.Wallet.Export(c.Request.Context(), &buf, c.PostForm("passphrase")); err != nil {
		s.settingsPage(c, http.StatusBadRequest, translator(langOf(c)).T("settings.wrong"))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="espai-backup.espai"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/octet-stream", buf.Bytes())
}

// eraseSpace crypto-shreds the citizen's space and ends every session.
func (s *Server) eraseSpace(c *gin.Context) {
	cs := citizenOf(c)
	if c.PostForm("confirm") != "yes" {
		s.settingsPage(c, http.StatusBadRequest, translator(langOf(c)).T("settings.eraseconfirm"))
		return
	}
	ctx := c.Request.Context()
	if _, err := cs.Wallet.Erase(ctx); err != nil {
		s.fail500(c, cs, err)
		return
	}
	// What the server keeps for the citizen goes too: the e-mail contact and
	// the second factors (TOTP and passkeys).
	if err := errors.Join(s.cfg.App.Tracking.Forget(ctx, cs.Citizen), s.cfg.App.MFA.Forget(ctx, cs.Citizen)); err != nil {
		s.cfg.Log.Error("erase: server-side records not removed", "err", err.Error())
	}
	for _, other := range s.sess.of(cs.Citizen) {
		s.sess.end(other.ID)
	}
	s.sess.end(cs.ID)
	s.setCookie(c, sessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/login")
}

// setEmail stores (or, empty, removes) the address for alert e-mails.
func (s *Server) setEmail(c *gin.Context) {
	cs := citizenOf(c)
	tr := translator(langOf(c))
	email := strings.TrimSpace(c.PostForm("email"))
	if err := s.cfg.App.SetAlertEmail(c.Request.Context(), cs.Wallet, email, langOf(c)); err != nil {
		s.settingsPage(c, http.StatusBadRequest, tr.T("settings.emailbad"))
		return
	}
	msg := tr.T("settings.emailsaved")
	if email == "" {
		msg = tr.T("settings.emailremoved")
	}
	s.settingsPage(c, http.StatusOK, msg)
}
