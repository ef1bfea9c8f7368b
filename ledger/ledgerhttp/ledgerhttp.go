// Package ledgerhttp serves the ledger's read-only HTTP API on gin, and a
// Client that reads it back (used by `espai audit verify --url`).
//
// Routes, relative to the router the caller passes (e.g. /ledger/v1):
//
//	GET /key                          the log's note verifier key (text/plain)
//	GET /checkpoint                   the latest signed checkpoint (C2SP, text/plain)
//	GET /checkpoints?from=N           stored signed checkpoints, size >= N (JSON, paged)
//	GET /entries?start=A&end=B        encoded entries [A, B), base64 in JSON, at most 1000
//	GET /entries/:index               one encoded entry (application/octet-stream)
//	GET /proof/inclusion?index=&size= RFC 6962 inclusion proof (JSON)
//	GET /proof/consistency?old=&new=  RFC 6962 consistency proof (JSON)
//	GET /anchors                      anchor contract, records and anchorer status (JSON)
//
// # Security
//
// Everything served is public by design (the log holds no personal data).
// Errors are mapped to status codes in one place (writeError); internal error
// text never reaches a client.
package ledgerhttp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/espai/espai/ledger"
)

// AnchorStatus reports the live anchorer status (*anchor.Anchorer).
type AnchorStatus interface {
	Status(ctx context.Context) (any, error)
}

// AnchorStatusFunc adapts a function to AnchorStatus.
type AnchorStatusFunc func(ctx context.Context) (any, error)

// Status implements AnchorStatus.
func (f AnchorStatusFunc) Status(ctx context.Context) (any, error) { return f(ctx) }

// EntryJSON is one entry in /entries.
type EntryJSON struct {
	Index uint64 `json:"index"`
	Entry []byte `json:"entry"`
}

// ProofJSON is the body of the proof routes.
type ProofJSON struct {
	Index uint64        `json:"index,omitempty"`
	Size  uint64        `json:"size,omitempty"`
	Old   uint64        `json:"old,omitempty"`
	New   uint64        `json:"new,omitempty"`
	Proof []ledger.Hash `json:"proof"`
}

// AnchorsJSON is the body of /anchors.
type AnchorsJSON struct {
	Contract *ledger.AnchorContract `json:"contract,omitempty"`
	// Retired are the contracts anchored on before Contract (only the
	// embedded dev chain retires one, when it lost it), oldest first.
	Retired []ledger.RetiredAnchorContract `json:"retired_contracts,omitempty"`
	Records []ledger.AnchorRecord          `json:"records"`
	Status  any                            `json:"status,omitempty"`
}

const maxCheckpointsPage = 1000

// Register mounts the read-only routes on r. anchors, when given, adds the
// live anchorer status to /anchors.
func Register(r gin.IRouter, l *ledger.Log, anchors ...AnchorStatus) {
	h := &handler{log: l, anchors: anchors}
	r.GET("/key", func(c *gin.Context) { c.String(http.StatusOK, "%s\n", l.VerifierKey()) })
	r.GET("/checkpoint", func(c *gin.Context) { c.Data(http.StatusOK, "text/plain; charset=utf-8", l.Latest().Note) })
	r.GET("/checkpoints", h.checkpoints)
	r.GET("/entries", h.entries)
	r.GET("/entries/:index", h.entry)
	r.GET("/proof/inclusion", h.inclusion)
	r.GET("/proof/consistency", h.consistency)
	r.GET("/anchors", h.anchorsRoute)
}

type handler struct {
	log     *ledger.Log
	anchors []AnchorStatus
}

// writeError is the one place errors become status codes.
func writeError(c *gin.Context, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	switch {
	case errors.Is(err, errBadParam), errors.Is(err, ledger.ErrInvalidRange), errors.Is(err, ledger.ErrInvalidEntry):
		status, msg = http.StatusBadRequest, "bad request: check the parameters against the log size"
	case errors.Is(err, ledger.ErrNotFound):
		status, msg = http.StatusNotFound, "not found"
	case errors.Is(err, ledger.ErrClosed), errors.Is(err, ledger.ErrOverloaded), errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, "temporarily unavailable"
		c.Header("Retry-After", "5")
	}
	if status == http.StatusInternalServerError {
		slog.ErrorContext(c.Request.Context(), "ledger http", "path", c.FullPath(), "err", err)
	}
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

var errBadParam = errors.New("bad parameter")

func uintParam(c *gin.Context, name string) (uint64, error) {
	v := c.Query(name)
	if v == "" {
		v = c.Param(name)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errBadParam
	}
	return n, nil
}

func (h *handler) checkpoints(c *gin.Context) {
	from := uint64(0)
	if c.Query("from") != "" {
		var err error
		if from, err = uintParam(c, "from"); err != nil {
			writeError(c, err)
			return
		}
	}
	notes := []string{}
	err := h.log.Checkpoints(c.Request.Context(), from, func(_ uint64, n []byte) (bool, error) {
		notes = append(notes, string(n))
		return len(notes) < maxCheckpointsPage, nil
	})
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"checkpoints": notes})
}

func (h *handler) entries(c *gin.Context) {
	start, err1 := uintParam(c, "start")
	end, err2 := uintParam(c, "end")
	if err := errors.Join(err1, err2); err != nil {
		writeError(c, errBadParam)
		return
	}
	es, err := h.log.Entries(c.Request.Context(), start, end)
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]EntryJSON, len(es))
	for i, e := range es {
		out[i] = EntryJSON{Index: e.Index, Entry: e.Data}
	}
	c.JSON(http.StatusOK, gin.H{"entries": out})
}

func (h *handler) entry(c *gin.Context) {
	i, err := uintParam(c, "index")
	if err != nil {
		writeError(c, err)
		return
	}
	e, err := h.log.Entry(c.Request.Context(), i)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Data(http.StatusOK, "application/octet-stream", e)
}

func (h *handler) inclusion(c *gin.Context) {
	i, err1 := uintParam(c, "index")
	size, err2 := uintParam(c, "size")
	if err := errors.Join(err1, err2); err != nil {
		writeError(c, errBadParam)
		return
	}
	p, err := h.log.InclusionProof(c.Request.Context(), i, size)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, ProofJSON{Index: i, Size: size, Proof: p})
}

func (h *handler) consistency(c *gin.Context) {
	o, err1 := uintParam(c, "old")
	n, err2 := uintParam(c, "new")
	if err := errors.Join(err1, err2); err != nil {
		writeError(c, errBadParam)
		return
	}
	p, err := h.log.ConsistencyProof(c.Request.Context(), o, n)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, ProofJSON{Old: o, New: n, Proof: p})
}

func (h *handler) anchorsRoute(c *gin.Context) {
	ctx := c.Request.Context()
	recs, err := h.log.Anchors(ctx)
	if err != nil {
		writeError(c, err)
		return
	}
	out := AnchorsJSON{Records: recs}
	if out.Records == nil {
		out.Records = []ledger.AnchorRecord{}
	}
	if ac, err := h.log.AnchorContract(ctx); err == nil {
		out.Contract = &ac
	} else if !errors.Is(err, ledger.ErrNotFound) {
		writeError(c, err)
		return
	}
	if out.Retired, err = h.log.RetiredAnchorContracts(ctx); err != nil {
		writeError(c, err)
		return
	}
	for _, a := range h.anchors {
		if out.Status, err = a.Status(ctx); err != nil {
			writeError(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, out)
}
