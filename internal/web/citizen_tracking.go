package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/wallet"
	"github.com/gin-gonic/gin"
)

// mountTracking mounts the citizen's procedures (e-TRAM) and notifications
// (e-NOTUM).
func (s *Server) mountTracking(g gin.IRouter) {
	g.GET("/procedures", s.procedures)
	g.GET("/procedures/:key", s.procedure)
	g.GET("/notifications", s.notifications)
	g.GET("/notifications/:key", s.notification)
	g.POST("/notifications/:key/accept", s.actNotification(tracking.Accepted))
	g.POST("/notifications/:key/reject", s.actNotification(tracking.Rejected))
}

// trackingOf folds the citizen's feed, naming administrations.
func (s *Server) trackingOf(c *gin.Context, cs *citizenSession) ([]app.ProcedureView, []app.NotificationView, map[string]string, bool) {
	ps, ns, err := s.cfg.App.CitizenTracking(c.Request.Context(), cs.Wallet)
	if err != nil {
		s.fail500(c, cs, err)
		return nil, nil, nil, false
	}
	return ps, ns, s.adminNames(c.Request.Context()), true
}

func (s *Server) procedures(c *gin.Context) {
	cs := citizenOf(c)
	ps, _, names, ok := s.trackingOf(c, cs)
	if !ok {
		return
	}
	s.render(c, http.StatusOK, "procedures", "proc.title", "procedures", cs, map[string]any{"Procedures": ps, "Names": names})
}

func (s *Server) procedure(c *gin.Context) {
	cs := citizenOf(c)
	ps, _, names, ok := s.trackingOf(c, cs)
	if !ok {
		return
	}
	i := slices.IndexFunc(ps, func(p app.ProcedureView) bool { return p.Key == c.Param("key") })
	if i < 0 {
		s.notFound(c, cs)
		return
	}
	s.render(c, http.StatusOK, "procedure", "proc.title", "procedures", cs, map[string]any{"P": ps[i], "Names": names, "Statuses": tracking.Statuses})
}

func (s *Server) notifications(c *gin.Context) {
	cs := citizenOf(c)
	_, ns, names, ok := s.trackingOf(c, cs)
	if !ok {
		return
	}
	var open, closed []app.NotificationView
	for _, n := range ns {
		if n.Open() {
			open = append(open, n)
		} else {
			closed = append(closed, n)
		}
	}
	slices.SortFunc(open, func(x, y app.NotificationView) int { return x.Deadline.Compare(y.Deadline) })
	s.render(c, http.StatusOK, "notifications", "notif.title", "notifications", cs, map[string]any{"Open": open, "Closed": closed, "Names": names})
}

// notification shows one notification. Opening it marks it read (who sent it
// and its subject); its body is shown once the citizen accepts it, as the
// law ties the legal effect of a notification to that act.
func (s *Server) notification(c *gin.Context) {
	cs := citizenOf(c)
	key := c.Param("key")
	if _, err := s.cfg.App.ActOnNotification(c.Request.Context(), cs.Wallet, key, tracking.Read); err != nil {
		if errors.Is(err, tracking.ErrNotFound) {
			s.notFound(c, cs)
			return
		}
		s.fail500(c, cs, err)
		return
	}
	_, ns, names, ok := s.trackingOf(c, cs)
	if !ok {
		return
	}
	i := slices.IndexFunc(ns, func(n app.NotificationView) bool { return n.Key == key })
	if i < 0 {
		s.notFound(c, cs)
		return
	}
	s.render(c, http.StatusOK, "notification", "notif.title", "notifications", cs, map[string]any{"N": ns[i], "Names": names})
}

func (s *Server) actNotification(to tracking.State) gin.HandlerFunc {
	return func(c *gin.Context) {
		cs := citizenOf(c)
		key := c.Param("key")
		_, err := s.cfg.App.ActOnNotification(c.Request.Context(), cs.Wallet, key, to)
		switch {
		case errors.Is(err, tracking.ErrNotFound):
			s.notFound(c, cs)
		case errors.Is(err, tracking.ErrClosed):
			s.render(c, http.StatusConflict, "error", "error.title", "", cs, errorPage{Message: translator(langOf(c)).T("notif.closed")})
		case err != nil:
			s.fail500(c, cs, err)
		default:
			c.Redirect(http.StatusSeeOther, "/notifications/"+key)
		}
	}
}

func (s *Server) notFound(c *gin.Context, cs *citizenSession) {
	s.render(c, http.StatusNotFound, "error", "error.title", "", cs, errorPage{Message: translator(langOf(c)).T("error.notfound")})
}

// loginRow is one login of the citizen's history.
type loginRow struct {
	wallet.Event
	NewDevice bool
	Method    string // in words
}

// loginHistory lists the citizen's logins (to Espai and, as reported by
// them, to other public services), newest first, marking each first login
// from a device.
func loginHistory(tr translator, events []wallet.Event) []loginRow {
	seen := map[string]bool{}
	var rows []loginRow
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.Kind != wallet.EventLogin {
			continue
		}
		d := e.Fields["device"]
		method := e.Fields["method"]
		if e.Fields["service"] == "espai" {
			method = tr.T("logins.method." + method)
		}
		rows = append(rows, loginRow{Event: e, NewDevice: len(seen) > 0 && !seen[d], Method: method})
		seen[d] = true
	}
	slices.Reverse(rows)
	slices.SortStableFunc(rows, func(x, y loginRow) int { return y.Time.Compare(x.Time) })
	return rows
}
