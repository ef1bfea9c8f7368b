package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"github.com/espai/espai/internal/app"
	"github.com/gin-gonic/gin"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/espai/espai/internal/mfa"
	"github.com/espai/espai/wallet"
)

// Citizen session limits.
const (
	sessionIdle     = 15 * time.Minute // no request for this long: the session ends and the wallet locks
	sessionAbsolute = 12 * time.Hour   // a session never lasts longer
	sessionCookie   = "espai_session"
	preAuthCookie   = "espai_preauth" // double-submit CSRF token for the login form
)

// citizenSession is one logged-in citizen on one device. The unlocked
// wallet session lives only here, in memory: a restart logs everyone out.
type citizenSession struct {
	ID       string
	Citizen  string
	CSRF     string
	Device   string
	Created  time.Time
	LastSeen time.Time
	Wallet   *wallet.Session
	// ceremony is the passkey registration in progress, if any (guarded
	// by sessions.mu; taken by its first answer).
	ceremony *mfa.Ceremony
}

// sessions holds the citizens' sessions. Session ids are 256 random bits,
// sent only in an HttpOnly, SameSite=Strict cookie (Secure under TLS); a new
// id is minted at every login (no fixation).
type sessions struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*citizenSession
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: map[string]*citizenSession{}}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session for an unlocked wallet.
func (s *sessions) create(ws *wallet.Session, device string) *citizenSession {
	now := s.now()
	cs := &citizenSession{ID: randomToken(), Citizen: ws.CitizenID(), CSRF: randomToken(), Device: device, Created: now, LastSeen: now, Wallet: ws}
	s.mu.Lock()
	s.m[cs.ID] = cs
	s.mu.Unlock()
	return cs
}

// get returns a live session and marks it used; an expired one is ended.
func (s *sessions) get(id string) (*citizenSession, bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.m[id]
	if !ok {
		return nil, false
	}
	// A request keeps the wallet unlocked too, whether or not the page
	// reads it: the two idle timeouts run together.
	if now.Sub(cs.LastSeen) > sessionIdle || now.Sub(cs.Created) > sessionAbsolute || !cs.Wallet.Touch() {
		s.endLocked(cs)
		return nil, false
	}
	cs.LastSeen = now
	return cs, true
}

// setCeremony keeps a passkey registration for session id, replacing an
// earlier one.
func (s *sessions) setCeremony(id string, c *mfa.Ceremony) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs, ok := s.m[id]; ok {
		cs.ceremony = c
	}
}

// takeCeremony hands out session id's passkey registration once.
func (s *sessions) takeCeremony(id string) *mfa.Ceremony {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.m[id]
	if !ok {
		return nil
	}
	c := cs.ceremony
	cs.ceremony = nil
	return c
}

// end logs a session out and locks its wallet.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs, ok := s.m[id]; ok {
		s.endLocked(cs)
	}
}

func (s *sessions) endLocked(cs *citizenSession) {
	cs.Wallet.Lock()
	delete(s.m, cs.ID)
}

// of lists a citizen's live sessions, newest first.
func (s *sessions) of(citizen string) []citizenSession {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []citizenSession
	for _, cs := range s.m {
		if cs.Citizen == citizen && now.Sub(cs.LastSeen) <= sessionIdle && now.Sub(cs.Created) <= sessionAbsolute {
			out = append(out, *cs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out
}

// endOther ends one of citizen's sessions by id (from the sessions page).
func (s *sessions) endOther(citizen, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.m[id]
	if !ok || cs.Citizen != citizen {
		return false
	}
	s.endLocked(cs)
	return true
}

// sweep ends expired sessions (run periodically).
func (s *sessions) sweep() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cs := range s.m {
		if now.Sub(cs.LastSeen) > sessionIdle || now.Sub(cs.Created) > sessionAbsolute {
			s.endLocked(cs)
		}
	}
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// deviceOf is a short description of the browser, for the citizen's login
// history ("Chrome / Android"), never the full User-Agent.
func deviceOf(ua string) string { return app.DeviceLabel(ua) }

// limiter slows down failed logins: after maxFails failures in window for a
// key (an account, an address) further attempts are refused until the window
// ends. Successes do not reset an address's count (a sprayer that guesses one
// account keeps its record).
type limiter struct {
	now      func() time.Time
	maxFails int
	window   time.Duration
	mu       sync.Mutex
	fails    map[string][]time.Time
}

func newLimiter(now func() time.Time, maxFails int, window time.Duration) *limiter {
	return &limiter{now: now, maxFails: maxFails, window: window, fails: map[string][]time.Time{}}
}

func (l *limiter) recent(key string) []time.Time {
	cut := l.now().Add(-l.window)
	ts := l.fails[key]
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = ts
	}
	return ts
}

// blocked reports whether key has used up its failures.
func (l *limiter) blocked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key)) >= l.maxFails
}

// fail records a failure for key.
// retryAfter is how long until key is no longer blocked (0 when it is not).
func (l *limiter) retryAfter(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.recent(key)
	if len(ts) < l.maxFails {
		return 0
	}
	return ts[len(ts)-l.maxFails].Add(l.window).Sub(l.now())
}

// setRetryAfter tells a limited client, in whole seconds, when the address
// and the account keys let it try again.
func (s *Server) setRetryAfter(c *gin.Context, addrKey, acctKey string) {
	d := max(s.loginByAddr.retryAfter(addrKey), s.loginByAccount.retryAfter(acctKey))
	c.Header("Retry-After", strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))))
}

// count is how many failures key has in the window.
func (l *limiter) count(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key))
}

func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.recent(key), l.now())
}

// reset forgets key's failures (an account after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}
