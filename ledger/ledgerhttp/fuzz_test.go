package ledgerhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/espai/espai/ledger"
)

// repeatingServer answers every GET with the same body, as a hostile or broken server
// would, and gives up after fuzzMaxRequests so a client that never stops asking
// still returns.
type repeatingServer struct {
	body     []byte
	requests int
}

const fuzzMaxRequests = 64

func (p *repeatingServer) RoundTrip(r *http.Request) (*http.Response, error) {
	p.requests++
	if p.requests > fuzzMaxRequests {
		return nil, errors.New("the client keeps asking")
	}
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(p.body)), Request: r}, nil
}

func checkpointPage(t testing.TB, n int, size uint64) []byte {
	t.Helper()
	note := ledger.Checkpoint{Origin: ledger.DefaultOrigin, Size: size}.Text() + "\n— espai.localhost/ledger AAAA\n"
	b, err := json.Marshal(map[string][]string{"checkpoints": repeatString(note, n)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func repeatString(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// FuzzClientPages: the auditor's client reads pages of entries and of
// checkpoints from a server it does not trust. Whatever the server answers,
// the client stops (every page must move it forward), and the entries it
// returns are the asked range's, in increasing index order, as the
// ledger.AuditSource contract says.
func FuzzClientPages(f *testing.F) {
	f.Add([]byte(`{"entries":[{"index":3,"entry":"AQ=="},{"index":4,"entry":"Ag=="},{"index":12,"entry":"Aw=="}]}`), checkpointPage(f, 1, 5))
	f.Add([]byte(`{"entries":[{"index":0,"entry":"AQ=="}]}`), checkpointPage(f, maxCheckpointsPage, 0))
	f.Add([]byte(`{"entries":[{"index":5},{"index":4}]}`), []byte(`{"checkpoints":[]}`))
	f.Add([]byte(`{"entries":[{"index":18446744073709551615}]}`), []byte(`{"checkpoints":["x"]}`))
	f.Add([]byte(`{"entries":[]}`), []byte(`{}`))
	const start, end = 3, 13
	f.Fuzz(func(t *testing.T, entries, checkpoints []byte) {
		ctx := context.Background()
		p := &repeatingServer{body: entries}
		c := &Client{Base: "http://ledger.test/ledger/v1", HTTP: &http.Client{Transport: p}}
		got, err := c.EntryRange(ctx, start, end)
		if p.requests > end-start+1 {
			t.Fatalf("EntryRange(%d, %d) made %d requests for one repeated page", start, end, p.requests)
		}
		if err == nil {
			next := uint64(start)
			for _, e := range got {
				if e.Index < next || e.Index >= end {
					t.Fatalf("entry %d returned after %d, range [%d, %d)", e.Index, next, start, end)
				}
				next = e.Index + 1
			}
		}
		p = &repeatingServer{body: checkpoints}
		c.HTTP = &http.Client{Transport: p}
		_, _ = c.CheckpointNotes(ctx)
		if p.requests > 2 {
			t.Fatalf("CheckpointNotes made %d requests for one repeated page", p.requests)
		}
	})
}
