package ledgerhttp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/espai/espai/ledger"
)

// Client reads a server's ledger API. It implements ledger.AuditSource so an
// auditor can run ledger.Audit against a URL.
type Client struct {
	// Base is the API root, e.g. "http://127.0.0.1:8080/ledger/v1".
	Base string
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
}

var _ ledger.AuditSource = (*Client)(nil)

const maxBody = 64 << 20

func (c *Client) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := strings.TrimSuffix(c.Base, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%w: GET %s", ledger.ErrNotFound, path)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return b, nil
}

// VerifierKey fetches the key the server announces (pin it instead when you can).
func (c *Client) VerifierKey(ctx context.Context) (string, error) {
	b, err := c.get(ctx, "/key", nil)
	return strings.TrimSpace(string(b)), err
}

// CheckpointNotes implements ledger.AuditSource.
func (c *Client) CheckpointNotes(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	from := uint64(0)
	for {
		b, err := c.get(ctx, "/checkpoints", url.Values{"from": {fmt.Sprint(from)}})
		if err != nil {
			return nil, err
		}
		var page struct{ Checkpoints []string }
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("%w: checkpoints page", ledger.ErrMalformed)
		}
		for _, n := range page.Checkpoints {
			out = append(out, []byte(n))
		}
		if len(page.Checkpoints) < maxCheckpointsPage {
			return out, nil
		}
		last, err := ledger.ParseCheckpoint(strings.SplitN(page.Checkpoints[len(page.Checkpoints)-1], "\n\n", 2)[0] + "\n")
		if err != nil {
			return nil, err
		}
		// A full page must end past from, or a server repeating it kept
		// this loop asking (and out growing) forever (FuzzClientPages).
		if last.Size < from {
			return nil, fmt.Errorf("%w: checkpoints page ends at size %d, before %d", ledger.ErrMalformed, last.Size, from)
		}
		from = last.Size + 1
	}
}

// EntryRange implements ledger.AuditSource.
func (c *Client) EntryRange(ctx context.Context, start, end uint64) ([]ledger.IndexedEntry, error) {
	var out []ledger.IndexedEntry
	for start < end {
		b, err := c.get(ctx, "/entries", url.Values{"start": {fmt.Sprint(start)}, "end": {fmt.Sprint(end)}})
		if err != nil {
			return out, err
		}
		var page struct{ Entries []EntryJSON }
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("%w: entries page", ledger.ErrMalformed)
		}
		if len(page.Entries) == 0 {
			break
		}
		// Each entry must be in the asked range and after the previous one,
		// so every page moves start forward: a server repeating or
		// reordering a page kept this loop asking forever (FuzzClientPages).
		for _, e := range page.Entries {
			if e.Index < start || e.Index >= end {
				return nil, fmt.Errorf("%w: entry %d out of order or outside [%d, %d)", ledger.ErrMalformed, e.Index, start, end)
			}
			out = append(out, ledger.IndexedEntry{Index: e.Index, Data: e.Entry})
			start = e.Index + 1
		}
	}
	return out, nil
}

// AnchorRecords implements ledger.AuditSource.
func (c *Client) AnchorRecords(ctx context.Context) ([]ledger.AnchorRecord, error) {
	a, err := c.Anchors(ctx)
	return a.Records, err
}

// Anchors returns the /anchors document.
func (c *Client) Anchors(ctx context.Context) (AnchorsJSON, error) {
	b, err := c.get(ctx, "/anchors", nil)
	if err != nil {
		return AnchorsJSON{}, err
	}
	var a AnchorsJSON
	if err := json.Unmarshal(b, &a); err != nil {
		return AnchorsJSON{}, fmt.Errorf("%w: anchors", ledger.ErrMalformed)
	}
	return a, nil
}
