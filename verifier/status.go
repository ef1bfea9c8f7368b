package verifier

import (
	"context"
	"fmt"
	"github.com/espai/espai/internal/verdict"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxStatusList bounds a fetched status list document before decompression
// (decompression itself is bounded by internal/statuslist).
const maxStatusList = 1 << 20

// StatusFetcher fetches the published bytes of the status list at uri: a
// Token Status List JWT or a Bitstring Status List credential.
type StatusFetcher interface {
	FetchStatusList(ctx context.Context, uri string) ([]byte, error)
}

// StatusList is a verified, decoded status list.
type StatusList struct {
	// Signer is the DID that signed the list; it must be the credential's issuer.
	Signer string
	// Get returns the status value of entry idx.
	Get func(idx int) (byte, error)
	// TTL is how long the list may be cached (from the list itself, bounded by the cache's MaxTTL).
	TTL time.Duration
}

// StatusDecoder verifies and decodes fetched status list bytes.
type StatusDecoder func(ctx context.Context, uri string, raw []byte) (*StatusList, error)

// StatusCache fetches status lists, verifies them and caches them for their
// TTL. A list that cannot be fetched or verified fails closed: the caller's
// status check fails with ErrStatusUnavailable.
type StatusCache struct {
	fetch  StatusFetcher
	maxTTL time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]cachedStatus
}

type cachedStatus struct {
	list    *StatusList
	expires time.Time
}

// NewStatusCache returns a cache in front of fetch. maxTTL caps the lifetime a
// list may ask for (zero: 5 minutes); now nil means time.Now.
func NewStatusCache(fetch StatusFetcher, maxTTL time.Duration, now func() time.Time) *StatusCache {
	if maxTTL <= 0 {
		maxTTL = 5 * time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &StatusCache{fetch: fetch, maxTTL: maxTTL, now: now, entries: map[string]cachedStatus{}}
}

// Lookup returns the verified list at uri, from cache while fresh, refetched
// when stale.
func (c *StatusCache) Lookup(ctx context.Context, uri string, decode StatusDecoder) (*StatusList, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[uri]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.list, nil
	}
	raw, err := c.fetch.FetchStatusList(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("%w: fetch %s: %v", ErrStatusUnavailable, uri, err)
	}
	list, err := decode(ctx, uri, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStatusUnavailable, uri, err)
	}
	ttl := list.TTL
	if ttl <= 0 || ttl > c.maxTTL {
		ttl = c.maxTTL
	}
	c.mu.Lock()
	c.entries[uri] = cachedStatus{list: list, expires: now.Add(ttl)}
	c.mu.Unlock()
	return list, nil
}

// HTTPStatusFetcher fetches status lists over HTTP(S).
type HTTPStatusFetcher struct {
	// Rewrite maps a published URI prefix to where it is reachable (for a
	// development deployment: "https://espai.localhost" -> "http://127.0.0.1:8080").
	From, To string
	Client   *http.Client
}

// FetchStatusList implements StatusFetcher.
func (h HTTPStatusFetcher) FetchStatusList(ctx context.Context, uri string) ([]byte, error) {
	if h.From != "" {
		if rest, ok := strings.CutPrefix(uri, h.From); ok {
			uri = h.To + rest
		}
	}
	if !strings.HasPrefix(uri, "https://") && !strings.HasPrefix(uri, "http://") {
		return nil, fmt.Errorf("status list uri %q is not http(s)", uri)
	}
	cl := h.Client
	if cl == nil {
		cl = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", uri, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusList+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxStatusList {
		return nil, fmt.Errorf("status list larger than %d bytes", maxStatusList)
	}
	return b, nil
}

// StatusUnavailable reports whether v failed only because a status list could
// not be fetched or verified: every other check passed. A wallet keeps such a
// credential in its inbox to check again later instead of rejecting it.
func StatusUnavailable(v *verdict.Verdict) bool {
	unavailable := false
	for _, c := range v.Checks {
		if c.OK {
			continue
		}
		if c.Name != verdict.Status || !strings.HasPrefix(c.Detail, ErrStatusUnavailable.Error()) {
			return false
		}
		unavailable = true
	}
	return unavailable
}

// Invalidate drops the cached list at uri, so the next lookup fetches it
// again: a deployment calls it when its own issuer changes a status, so its
// verifier sees a revocation at once instead of after the TTL.
func (c *StatusCache) Invalidate(uri string) {
	c.mu.Lock()
	delete(c.entries, uri)
	c.mu.Unlock()
}
