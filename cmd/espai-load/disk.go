package main

import (
	"os"
	"slices"
	"sync"
	"time"
)

// diskProbe measures the disk under the data directory while the load runs:
// every interval it rewrites 4 KiB of a file of its own there and syncs it,
// as every bbolt commit syncs (twice). The server's writes wait for such
// syncs one transaction at a time per database (wallet.db holds every
// wallet), so on a shared or slow disk the writers queue, and so do the
// pages that file a delivery first: the probe tells such a run from a slower
// code path.
type diskProbe struct {
	mu      sync.Mutex
	samples []time.Duration
	err     error
}

// watch probes every interval until stop is closed, then removes its file.
func (p *diskProbe) watch(dir string, interval time.Duration, stop <-chan struct{}) {
	f, err := os.CreateTemp(dir, "disk-probe-")
	if err != nil {
		p.fail(err)
		return
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	block := make([]byte, 4096)
	t := time.NewTicker(interval)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if _, err := f.WriteAt(block, int64(i%16)*int64(len(block))); err != nil {
			p.fail(err)
			return
		}
		start := time.Now()
		if err := f.Sync(); err != nil {
			p.fail(err)
			return
		}
		d := time.Since(start)
		p.mu.Lock()
		p.samples = append(p.samples, d)
		p.mu.Unlock()
	}
}

func (p *diskProbe) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

// sorted returns the samples so far, sorted, and the error that stopped the
// probe, if any.
func (p *diskProbe) sorted() ([]time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(slices.Values(p.samples)), p.err
}
