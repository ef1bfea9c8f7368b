package did

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxDocument bounds a fetched DID document: an administration's document with
// a few rotated keys is a few KB.
const maxDocument = 256 << 10

// Methods resolves did:key locally and every did:web through Web.
type Methods struct {
	Web Resolver
}

// ResolveDID implements Resolver.
func (m Methods) ResolveDID(ctx context.Context, id string) (*Document, error) {
	switch {
	case strings.HasPrefix(id, "did:key:"):
		return KeyDocument(id)
	case strings.HasPrefix(id, "did:web:"):
		if m.Web == nil {
			return nil, fmt.Errorf("%w: no did:web resolver for %s", ErrNotFound, id)
		}
		return m.Web.ResolveDID(ctx, id)
	default:
		return nil, fmt.Errorf("%w: unsupported DID method in %q", ErrNotFound, id)
	}
}

// HTTPResolver fetches did:web documents over HTTP(S).
type HTTPResolver struct {
	// Base replaces "https://host" in every did:web URL when set (a development
	// deployment served on http://127.0.0.1:8080). Empty: real did:web over HTTPS.
	Base string
	// Client is the HTTP client; nil means a client with a 5 s timeout.
	Client *http.Client
}

// ResolveDID implements Resolver.
func (h HTTPResolver) ResolveDID(ctx context.Context, id string) (*Document, error) {
	u, err := WebURL(id, h.Base)
	if err != nil {
		return nil, err
	}
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/did+json, application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s (%s answered 404)", ErrNotFound, id, u)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("resolve %s: %s answered %s", id, u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", id, err)
	}
	return ParseDocument(id, body)
}

// ParseDocument decodes a DID document and checks that it is the document of id.
func ParseDocument(id string, body []byte) (*Document, error) {
	if len(body) > maxDocument {
		return nil, fmt.Errorf("%w: DID document of %s larger than %d bytes", ErrMalformed, id, maxDocument)
	}
	var d Document
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("%w: DID document of %s: %v", ErrMalformed, id, err)
	}
	if d.ID != id {
		return nil, fmt.Errorf("%w: document id %q, want %q", ErrMalformed, d.ID, id)
	}
	return &d, nil
}
