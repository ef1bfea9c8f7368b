// Package web is Espai's HTTP layer: the public endpoints every verifier needs
// (DID documents, the trust list, status lists), the issuer staff API, the
// wallet API and the ledger's read API, on one gin engine.
//
// Handlers translate HTTP to calls on the domain packages and back; they hold
// no business rules. Errors are mapped to status codes in one place
// (errors.go), and an internal error's text never reaches a client: the client
// gets a stable code and message, the log gets the detail (without personal data).
package web

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/mfa"
	"github.com/espai/espai/internal/staff"
	"github.com/espai/espai/ledger/ledgerhttp"
	"github.com/gin-gonic/gin"
)

// Config wires the server to the application. App is required.
type Config struct {
	App *app.App
	// Staff authenticates administration staff; nil disables the staff APIs.
	Staff *staff.Store
	// Log receives request logs (method, route, status, latency; never bodies,
	// never query strings, which may carry ids).
	Log *slog.Logger
	// Anchors, when set, reports the live anchorer status under /ledger/anchors.
	Anchors ledgerhttp.AnchorStatus
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies whose
	// X-Forwarded-For / X-Real-IP headers name the client. Empty trusts no
	// header: the client is the connection's peer, so a client cannot pick
	// its own address to escape the per-address login limits.
	TrustedProxies []string
}

// Server is the HTTP handler of an Espai deployment.
type Server struct {
	cfg    Config
	engine *gin.Engine

	sess           *sessions
	pending        pendingLogins
	consoles       staffSessions
	loginByAccount *limiter
	loginByAddr    *limiter
	// secure is true when the public URL is https (TLS ends at a proxy):
	// cookies are then Secure and HSTS is sent even though this hop is plain.
	secure bool
	// passkeys runs WebAuthn for the deployment's public URL; nil when
	// that URL cannot carry passkeys (see mfa.RelyingPartyFor).
	passkeys *mfa.Passkeys
}

// New builds the server and mounts every route.
func New(cfg Config) *Server {
	gin.SetMode(gin.ReleaseMode)
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, engine: gin.New()}
	if err := s.engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		// Checked by ValidateTrustedProxies at start-up; an invalid entry
		// here must not silently trust every header.
		cfg.Log.Error("trusted proxies refused; trusting none", "err", err.Error())
		_ = s.engine.SetTrustedProxies(nil)
	}
	s.secure = strings.HasPrefix(cfg.App.PublicBase(), "https://")
	now := cfg.App.Issuer.Now
	s.sess = newSessions(now)
	s.loginByAccount = newLimiter(now, 5, 15*time.Minute)
	s.loginByAddr = newLimiter(now, 30, 15*time.Minute)
	s.passkeys = openPasskeys(cfg)
	s.engine.Use(gin.Recovery(), s.logRequests, s.securityHeaders)
	s.engine.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	s.mountIssuerPublic(s.engine)
	s.mountIssuerAPI(s.engine)
	s.mountTrackingAPI(s.engine)
	s.mountExchangeAPI(s.engine)
	s.mountVerifier(s.engine)
	var anchors []ledgerhttp.AnchorStatus
	if cfg.Anchors != nil {
		anchors = append(anchors, cfg.Anchors)
	}
	ledgerhttp.Register(s.engine.Group("/ledger"), cfg.App.Ledger, anchors...)
	s.mountCitizen(s.engine)
	s.mountConsole(s.engine)
	return s
}

func (s *Server) now() time.Time { return s.cfg.App.Issuer.Now() }

// Sweep ends expired citizen sessions and locks their wallets; the server
// calls it every minute so an idle session's keys leave memory on time even
// if no request comes.
func (s *Server) Sweep() {
	s.sess.sweep()
	s.pending.sweep(s.now())
	s.consoles.sweep(s.now())
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Engine exposes the gin engine so other packages' route groups can be mounted.
func (s *Server) Engine() *gin.Engine { return s.engine }

func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.cfg.Log.LogAttrs(c.Request.Context(), slog.LevelInfo, "http",
		slog.String("method", c.Request.Method),
		slog.String("route", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("latency", time.Since(start)))
}

// overTLS reports whether the browser reached this request over HTTPS: TLS
// here, or an https public URL (TLS ends at a reverse proxy). Cookies are
// Secure and HSTS is sent exactly then.
func (s *Server) overTLS(c *gin.Context) bool { return c.Request.TLS != nil || s.secure }

// ValidateTrustedProxies checks a --trusted-proxy list before the server is built.
func ValidateTrustedProxies(list []string) error {
	return gin.New().SetTrustedProxies(list)
}

// ctxOverTLS is the request's overTLS, for helpers without the Server.
const ctxOverTLS = "espai.overTLS"

func (s *Server) securityHeaders(c *gin.Context) {
	c.Set(ctxOverTLS, s.overTLS(c))
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	if s.overTLS(c) {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	c.Next()
}
