package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/internal/tracking"
	"github.com/gin-gonic/gin"
)

// mountTrackingAPI mounts the API administrations' citizen-facing systems
// call (role services): procedure statuses (e-TRAM), notifications
// (e-NOTUM) and logins to their services. Staff act for their own
// administration only: the administration is always the caller's.
func (s *Server) mountTrackingAPI(r gin.IRouter) {
	g := r.Group("/api/v1", s.requireStaff(staff.RoleServices))
	g.POST("/procedures", s.postProcedure)
	g.GET("/procedures/*ref", s.getProcedure)
	g.POST("/notifications", s.postNotification)
	g.GET("/notifications/*ref", s.getNotification)
	g.POST("/logins", s.postLogin)
}

// citizenID normalises a DNI/NIE from an API body.
func citizenID(v string) (string, error) {
	id, err := register.NormalizeID(v)
	if err != nil {
		return "", badRequest("citizen: " + err.Error())
	}
	return id, nil
}

type procedureBody struct {
	Ref     string    `json:"ref"`
	Citizen string    `json:"citizen"`
	Status  string    `json:"status"`
	Title   string    `json:"title"`
	Note    string    `json:"note"`
	Time    time.Time `json:"time"`
}

func (s *Server) postProcedure(c *gin.Context) {
	var b procedureBody
	if err := c.ShouldBindJSON(&b); err != nil {
		s.fail(c, badRequest("body must be JSON {ref, citizen, status, title, note, time}"))
		return
	}
	id, err := citizenID(b.Citizen)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.cfg.App.UpdateProcedure(c.Request.Context(), app.ProcedureUpdate{Administration: account(c).Admin, Ref: b.Ref, Citizen: id,
		Status: tracking.Status(b.Status), Title: b.Title, Note: b.Note, Time: b.Time})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) getProcedure(c *gin.Context) {
	p, err := s.cfg.App.Tracking.Procedure(c.Request.Context(), account(c).Admin, strings.TrimPrefix(c.Param("ref"), "/"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

type notificationBody struct {
	Ref     string    `json:"ref"`
	Citizen string    `json:"citizen"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Time    time.Time `json:"time"`
}

// notificationJSON is what the sending administration sees: the state at
// the time of asking (an unanswered notification past its deadline is
// expired even before the sweep closes it).
func (s *Server) notificationJSON(n *tracking.Notification) gin.H {
	return gin.H{"key": n.Key, "ref": n.Ref, "citizen": n.Citizen, "deposited": n.Deposited, "deadline": n.Deadline,
		"state": n.StateAt(s.now()), "readAt": n.ReadAt, "closedAt": n.ClosedAt}
}

func (s *Server) postNotification(c *gin.Context) {
	var b notificationBody
	if err := c.ShouldBindJSON(&b); err != nil {
		s.fail(c, badRequest("body must be JSON {ref, citizen, subject, body, time}"))
		return
	}
	id, err := citizenID(b.Citizen)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !b.Time.IsZero() && b.Time.After(s.now().Add(5*time.Minute)) {
		s.fail(c, badRequest("time is in the future"))
		return
	}
	n, err := s.cfg.App.DepositNotification(c.Request.Context(), app.NotificationDeposit{Administration: account(c).Admin, Ref: b.Ref, Citizen: id,
		Subject: b.Subject, Body: b.Body, Time: b.Time})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, s.notificationJSON(n))
}

func (s *Server) getNotification(c *gin.Context) {
	n, err := s.cfg.App.Tracking.Notification(c.Request.Context(), account(c).Admin, strings.TrimPrefix(c.Param("ref"), "/"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.notificationJSON(n))
}

type loginBody struct {
	Citizen string    `json:"citizen"`
	Service string    `json:"service"`
	Method  string    `json:"method"`
	Device  string    `json:"device"`
	Time    time.Time `json:"time"`
}

func (s *Server) postLogin(c *gin.Context) {
	var b loginBody
	if err := c.ShouldBindJSON(&b); err != nil {
		s.fail(c, badRequest("body must be JSON {citizen, service, method, device, time}"))
		return
	}
	id, err := citizenID(b.Citizen)
	if err != nil {
		s.fail(c, err)
		return
	}
	err = s.cfg.App.RecordLogin(c.Request.Context(), app.Login{Administration: account(c).Admin, Citizen: id, Service: b.Service,
		Method: b.Method, Device: b.Device, Time: b.Time})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusAccepted)
}
