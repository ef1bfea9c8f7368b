package web

import (
	"errors"
	"net/http"

	"github.com/espai/espai/internal/mfa"
	"github.com/espai/espai/wallet"
	"github.com/gin-gonic/gin"
)

// Passkeys (WebAuthn), the other second factor. The pages carry ordinary
// forms; static/passkey.js, when the browser can run WebAuthn, asks the
// server for the ceremony's options (a POST with the form's CSRF token),
// runs navigator.credentials.create or .get, puts the answer in the form's
// "credential" field and submits it. The ceremony stays here, bound to the
// session (registration) or the pending login (login), good for one answer
// within five minutes. Without JavaScript or WebAuthn the forms say so.

// maxPasskeyForm bounds what a passkey form posts before a session exists
// (the login step); the citizen's pages are bounded by requireCitizen.
const maxPasskeyForm = 64 << 10

// Activity events of passkeys.
const (
	eventPasskeyAdded   wallet.EventKind = "passkey_added"
	eventPasskeyRemoved wallet.EventKind = "passkey_removed"
)

// openPasskeys sets up WebAuthn for the deployment's public URL, or leaves
// passkeys off (TOTP still works) when that URL cannot carry them.
func openPasskeys(cfg Config) *mfa.Passkeys {
	rp, err := mfa.RelyingPartyFor(cfg.App.PublicBase())
	if err == nil {
		var p *mfa.Passkeys
		if p, err = cfg.App.MFA.Passkeys(rp); err == nil {
			return p
		}
	}
	cfg.Log.Warn("passkeys are off: the public URL needs a host name over https, or localhost", "public_url", cfg.App.PublicBase(), "err", err.Error())
	return nil
}

// passkeyForm is what a page's passkey form needs: the relying party, so
// that passkey.js can tell a page opened at another address (127.0.0.1
// instead of localhost) and say where passkeys work.
type passkeyForm struct {
	RPID, Origin string
}

// passkeyAttrs is what the "passkey_data" template writes on a form.
type passkeyAttrs struct {
	T    translator
	Form *passkeyForm
}

func passkeyData(p page, f *passkeyForm) passkeyAttrs { return passkeyAttrs{T: p.T, Form: f} }

func (s *Server) passkeyForm() *passkeyForm {
	rp := s.passkeys.RelyingParty()
	return &passkeyForm{RPID: rp.ID, Origin: rp.Origin}
}

// passkeyOptions answers a passkey.js options request.
func passkeyOptions(c *gin.Context, options []byte) {
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/json; charset=utf-8", options)
}

// passkeyRefusal answers a passkey.js options request that cannot go on,
// with a message for the citizen.
func passkeyRefusal(c *gin.Context, code int, key string) {
	c.Header("Cache-Control", "no-store")
	c.JSON(code, gin.H{"error": translator(langOf(c)).T(key)})
}

// Login: the second step, after the passphrase.

func (s *Server) mountPasskeyLogin(r gin.IRouter) {
	r.POST("/login/passkey/options", s.loginPasskeyOptions)
	r.POST("/login/passkey", s.loginPasskey)
}

func (s *Server) loginPasskeyOptions(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxPasskeyForm)
	id, pl, ok := s.pendingOf(c)
	if !ok {
		passkeyRefusal(c, http.StatusForbidden, "mfa.expired")
		return
	}
	if s.passkeys == nil {
		passkeyRefusal(c, http.StatusNotFound, "passkey.off")
		return
	}
	if s.secondFactorLimited(c, id, pl) {
		passkeyRefusal(c, http.StatusTooManyRequests, "login.limited")
		return
	}
	options, cer, err := s.passkeys.BeginLogin(c.Request.Context(), pl.wallet.CitizenID())
	if err != nil {
		if !errors.Is(err, mfa.ErrNotEnabled) {
			s.cfg.Log.Error("passkey login options failed", "err", err.Error())
		}
		passkeyRefusal(c, http.StatusConflict, "passkey.failed")
		return
	}
	s.pending.setCeremony(id, cer)
	passkeyOptions(c, options)
}

// loginPasskey checks the passkey's answer and starts the session. Answers
// that do not verify count against the account and address like wrong
// codes.
func (s *Server) loginPasskey(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxPasskeyForm)
	id, pl, ok := s.pendingSecondStep(c)
	if !ok {
		return
	}
	cer := s.pending.takeCeremony(id)
	answer := c.PostForm("credential")
	if s.passkeys == nil || cer == nil || answer == "" {
		// No ceremony ran: the browser could not (no JavaScript, no
		// WebAuthn). Nothing was tried, nothing is counted.
		s.showCode(c, http.StatusBadRequest, pl, "passkey.nojs")
		return
	}
	err := s.passkeys.FinishLogin(c.Request.Context(), cer, pl.wallet.CitizenID(), []byte(answer))
	if err != nil {
		msg := "passkey.wrong"
		switch {
		case errors.Is(err, mfa.ErrPasskeyBlocked):
			msg = "passkey.blocked"
		case errors.Is(err, mfa.ErrWrongPasskey), errors.Is(err, mfa.ErrCeremony):
		default:
			s.cfg.Log.Error("passkey check failed", "err", err.Error())
		}
		s.secondFactorFailed(c, pl)
		s.showCode(c, http.StatusUnauthorized, pl, msg)
		return
	}
	s.secondFactorPassed(c, id, pl, "passphrase+passkey")
}

// Settings: register a passkey, remove one.

func (s *Server) mountPasskeySettings(g gin.IRouter) {
	g.POST("/settings/passkeys/options", s.passkeyRegisterOptions)
	g.POST("/settings/passkeys/register", s.passkeyRegister)
	g.POST("/settings/passkeys/remove", s.passkeyRemove)
}

func (s *Server) passkeyRegisterOptions(c *gin.Context) {
	cs := citizenOf(c)
	if s.passkeys == nil {
		passkeyRefusal(c, http.StatusNotFound, "passkey.off")
		return
	}
	options, cer, err := s.passkeys.BeginRegistration(c.Request.Context(), cs.Citizen, c.PostForm("name"))
	switch {
	case errors.Is(err, mfa.ErrPasskeyName):
		passkeyRefusal(c, http.StatusBadRequest, "passkey.badname")
		return
	case errors.Is(err, mfa.ErrTooManyPasskeys):
		passkeyRefusal(c, http.StatusConflict, "passkey.toomany")
		return
	case err != nil:
		s.cfg.Log.Error("passkey registration options failed", "err", err.Error())
		passkeyRefusal(c, http.StatusInternalServerError, "passkey.failed")
		return
	}
	s.sess.setCeremony(cs.ID, cer)
	passkeyOptions(c, options)
}

func (s *Server) passkeyRegister(c *gin.Context) {
	cs := citizenOf(c)
	tr := translator(langOf(c))
	cer := s.sess.takeCeremony(cs.ID)
	answer := c.PostForm("credential")
	if s.passkeys == nil || cer == nil || answer == "" {
		s.settingsPage(c, http.StatusBadRequest, tr.T("passkey.nojs"))
		return
	}
	pk, err := s.passkeys.FinishRegistration(c.Request.Context(), cer, cs.Citizen, []byte(answer))
	if err != nil {
		msg := "passkey.notadded"
		switch {
		case errors.Is(err, mfa.ErrDuplicatePasskey):
			msg = "passkey.duplicate"
		case errors.Is(err, mfa.ErrTooManyPasskeys):
			msg = "passkey.toomany"
		case errors.Is(err, mfa.ErrWrongPasskey), errors.Is(err, mfa.ErrCeremony):
		default:
			s.cfg.Log.Error("passkey registration failed", "err", err.Error())
		}
		s.settingsPage(c, http.StatusBadRequest, tr.T(msg))
		return
	}
	_, _ = cs.Wallet.RecordEvent(c.Request.Context(), wallet.Event{Kind: eventPasskeyAdded, Actor: wallet.ActorCitizen, Fields: map[string]string{"name": pk.Name}})
	s.settingsPage(c, http.StatusOK, tr.T("passkey.added", pk.Name))
}

func (s *Server) passkeyRemove(c *gin.Context) {
	cs := citizenOf(c)
	tr := translator(langOf(c))
	pk, err := s.cfg.App.MFA.RemovePasskey(c.Request.Context(), cs.Citizen, c.PostForm("id"))
	if err != nil {
		if !errors.Is(err, mfa.ErrNoPasskey) {
			s.fail500(c, cs, err)
			return
		}
		s.settingsPage(c, http.StatusNotFound, tr.T("passkey.unknown"))
		return
	}
	_, _ = cs.Wallet.RecordEvent(c.Request.Context(), wallet.Event{Kind: eventPasskeyRemoved, Actor: wallet.ActorCitizen, Fields: map[string]string{"name": pk.Name}})
	s.settingsPage(c, http.StatusOK, tr.T("passkey.removed", pk.Name))
}
