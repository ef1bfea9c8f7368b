package web

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/espai/espai/ledger"
	"github.com/gin-gonic/gin"
)

// Storage trouble is told to clients as such, with Retry-After, whether
// the errno survives the wrapping or (as bbolt's "file resize error" does)
// only its text.
func TestStorageErrorsAreToldAsSuch(t *testing.T) {
	pathErr := &fs.PathError{Op: "write", Path: "/data/wallet.db", Err: syscall.ENOSPC}
	for _, c := range []struct {
		err  error
		code int
		api  string
	}{
		{fmt.Errorf("credential x issued but not delivered: %w", pathErr), http.StatusInsufficientStorage, "storage_full"},
		{fmt.Errorf("file resize error: %s", &fs.PathError{Op: "truncate", Path: "/data/wallet.db", Err: syscall.EFBIG}), http.StatusInsufficientStorage, "storage_full"},
		{fmt.Errorf("open: %w", &fs.PathError{Op: "open", Path: "/data/x.db", Err: syscall.EROFS}), http.StatusServiceUnavailable, "storage_unavailable"},
		{fmt.Errorf("%w: %w", ledger.ErrOverloaded, errors.New("context canceled")), http.StatusServiceUnavailable, "overloaded"},
		{errors.New("something else"), http.StatusInternalServerError, "internal"},
	} {
		code, body := statusOf(c.err)
		if code != c.code || body.Code != c.api {
			t.Errorf("%v: %d %s, want %d %s", c.err, code, body.Code, c.code, c.api)
		}
		w := httptest.NewRecorder()
		ctx, _ := gin.CreateTestContext(w)
		ctx.Request = httptest.NewRequest("POST", "/api/v1/notifications", nil)
		(&Server{cfg: Config{Log: slog.New(slog.DiscardHandler)}}).fail(ctx, c.err)
		if got, want := w.Header().Get("Retry-After") != "", code == 503 || code == 507; got != want {
			t.Errorf("%v: Retry-After %q", c.err, w.Header().Get("Retry-After"))
		}
	}
}
