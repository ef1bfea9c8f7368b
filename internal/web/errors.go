package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"syscall"

	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/qrpayload"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/internal/trust"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/ledger"
	"github.com/espai/espai/verifier"
	"github.com/espai/espai/wallet"
	"github.com/gin-gonic/gin"
)

// apiError is what a client sees: a stable code and a message written for it.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf maps domain errors to HTTP. This is the only place that does.
func statusOf(err error) (int, apiError) {
	switch {
	case errors.Is(err, credential.ErrUnknownType), errors.Is(err, credential.ErrUnknownFormat):
		return http.StatusBadRequest, apiError{"bad_request", err.Error()}
	case errors.Is(err, issuer.ErrUnknownAdministration), errors.Is(err, did.ErrNotFound):
		return http.StatusNotFound, apiError{"not_found", "no such administration"}
	case errors.Is(err, issuer.ErrUnknownCredential):
		return http.StatusNotFound, apiError{"not_found", "no such credential"}
	case errors.Is(err, issuer.ErrNothingToIssue):
		return http.StatusNotFound, apiError{"nothing_to_issue", "the register holds no record of that type for this citizen"}
	case errors.Is(err, issuer.ErrNoHolder), errors.Is(err, wallet.ErrNotEnrolled):
		return http.StatusConflict, apiError{"no_wallet", "the citizen has no wallet yet: credentials are bound to the wallet's key"}
	case errors.As(err, new(*register.RecordError)):
		return http.StatusUnprocessableEntity, apiError{"register_record_invalid", "the register record of this citizen is being corrected; nothing was issued"}
	case errors.Is(err, issuer.ErrNotAllowed):
		return http.StatusForbidden, apiError{"forbidden", "this administration may not issue that credential type"}
	case errors.Is(err, issuer.ErrStatusTransition):
		return http.StatusConflict, apiError{"conflict", "that status change is not allowed"}
	case errors.Is(err, verifier.ErrNotFound):
		return http.StatusNotFound, apiError{"not_found", "no such presentation request or link"}
	case errors.Is(err, verifier.ErrExpired):
		return http.StatusGone, apiError{"expired", "the presentation request expired: ask for a new one"}
	case errors.Is(err, verifier.ErrAnswered):
		return http.StatusConflict, apiError{"answered", "the presentation request was already answered"}
	case errors.Is(err, verifier.ErrBadRequest):
		return http.StatusBadRequest, apiError{"bad_request", err.Error()}
	case errors.Is(err, trust.ErrNotRegistered):
		return http.StatusForbidden, apiError{"not_registered", err.Error()}
	case errors.Is(err, qrpayload.ErrTooLarge):
		return http.StatusUnprocessableEntity, apiError{"too_large", "too large for a QR code"}
	case errors.Is(err, tracking.ErrInvalid):
		return http.StatusBadRequest, apiError{"bad_request", err.Error()}
	case errors.Is(err, tracking.ErrNotFound):
		return http.StatusNotFound, apiError{"not_found", "no such procedure or notification"}
	case errors.Is(err, tracking.ErrConflict):
		return http.StatusConflict, apiError{"conflict", err.Error()}
	case errors.Is(err, tracking.ErrClosed):
		return http.StatusConflict, apiError{"closed", err.Error()}
	case errors.Is(err, errNotFound):
		return http.StatusNotFound, apiError{"not_found", "not found"}
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest, apiError{"bad_request", err.Error()}
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, apiError{"unauthorized", "authentication required"}
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, apiError{"forbidden", "not allowed"}
	case storageErr(err, syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG):
		return http.StatusInsufficientStorage, apiError{"storage_full", "the server is out of storage: retry later (what was acknowledged before is kept)"}
	case storageErr(err, syscall.EROFS, syscall.EACCES):
		return http.StatusServiceUnavailable, apiError{"storage_unavailable", "the server cannot write its data: retry later"}
	case errors.Is(err, ledger.ErrOverloaded):
		return http.StatusServiceUnavailable, apiError{"overloaded", "the transparency ledger is busy: retry in a moment"}
	}
	return http.StatusInternalServerError, apiError{"internal", "internal error"}
}

// storageErr reports whether err is one of the errnos. bbolt formats some
// of its I/O errors with %s ("file resize error: ..."), dropping the chain,
// so the errno's text is matched too.
func storageErr(err error, errnos ...syscall.Errno) bool {
	for _, e := range errnos {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			return true
		}
	}
	return false
}

var (
	errNotFound     = errors.New("not found")
	errBadRequest   = errors.New("bad request")
	errUnauthorized = errors.New("unauthorized")
	errForbidden    = errors.New("forbidden")
)

// fail writes the client error for err and logs the detail of server errors.
func (s *Server) fail(c *gin.Context, err error) {
	code, body := statusOf(err)
	if code >= 500 {
		s.cfg.Log.LogAttrs(c.Request.Context(), slog.LevelError, "request failed", slog.String("route", c.FullPath()), slog.String("err", err.Error()))
	}
	if code == http.StatusServiceUnavailable || code == http.StatusInsufficientStorage {
		c.Header("Retry-After", "30") // storage or ledger trouble: an operator or the queue clears it
	}
	c.AbortWithStatusJSON(code, body)
}
