// Package attacktest builds hostile inputs for Espai's attack suite (the
// attack_test.go files of verifier, internal/sdjwt, internal/jsonld,
// internal/statuslist, internal/qrpayload and wallet): JWS with any header
// and any algorithm, compression bombs, and a trap server that counts the
// requests a verifier must never make. It is imported by tests only.
//
// The bombs are built bit by bit rather than by compressing zeros: a
// gigabyte bomb then costs microseconds to make, even under the race
// detector, and reaches DEFLATE's maximum ratio (1032:1).
package attacktest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Trap is an HTTP server standing for every URL an attacker controls (a jku,
// an x5u, a kid or @context URL, a status list of an untrusted issuer).
// Verification must never contact it.
type Trap struct {
	URL  string
	hits atomic.Int64
}

// NewTrap starts a trap, closed when the test ends.
func NewTrap(t testing.TB) *Trap {
	t.Helper()
	tr := &Trap{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		tr.hits.Add(1)
		http.Error(w, "an attacker's server: never fetch from it", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	tr.URL = srv.URL
	return tr
}

// Hits is the number of requests the trap received.
func (tr *Trap) Hits() int64 { return tr.hits.Load() }

// Check fails the test if the trap was contacted.
func (tr *Trap) Check(t testing.TB) {
	t.Helper()
	if n := tr.Hits(); n != 0 {
		t.Fatalf("an attacker's URL was fetched %d times: verification must never fetch from URLs in its input", n)
	}
}
