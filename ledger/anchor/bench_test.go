package anchor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/espai/espai/ledger"
)

// slowChain answers like a remote node: 20 ms per call.
type slowChain struct{ n atomic.Uint64 }

func (s *slowChain) Send(context.Context, ledger.Hash, uint64) (string, error) {
	time.Sleep(20 * time.Millisecond)
	s.n.Add(1)
	return "0x01", nil
}
func (s *slowChain) Find(context.Context, uint64) (ledger.ChainAnchor, bool, error) {
	time.Sleep(20 * time.Millisecond)
	return ledger.ChainAnchor{}, false, nil
}
func (s *slowChain) Finalized(context.Context) (uint64, error) { return 0, nil }

func benchAppend(b *testing.B, withAnchorer bool) {
	l, _ := newLog(b)
	if withAnchorer {
		a, err := New(l, &slowChain{}, ledger.AnchorContract{}, Config{Entries: 1, Poll: time.Millisecond, ResendAfter: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.Run(ctx); close(done) }()
		b.Cleanup(func() { cancel(); <-done })
	}
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Append(context.Background(), entry(int(n.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkAppendWithoutAnchorer is the baseline for BenchmarkAppendWithAnchorer.
func BenchmarkAppendWithoutAnchorer(b *testing.B) { benchAppend(b, false) }

// BenchmarkAppendWithAnchorer appends while an anchorer anchors continuously
// against a slow chain: appends never wait for it.
func BenchmarkAppendWithAnchorer(b *testing.B) { benchAppend(b, true) }
