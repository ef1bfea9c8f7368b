package jsonld

import (
	"context"
	"sync"
	"testing"
)

// TestConcurrentVerify shares one processor (and its loader) between
// goroutines; run with -race.
func TestConcurrentVerify(t *testing.T) {
	p := testProcessor(t)
	fs := fixtures()
	raws := make([][]byte, len(fs))
	for i, f := range fs {
		raws[i] = issueFixture(t, f)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				if _, _, err := p.Verify(context.Background(), raws[(g+i)%len(raws)], testKeys(), verifyAt); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
}
