package register

import (
	"context"
	"testing"
)

// BenchmarkSearch measures one name search over the testdata census. The demo
// package benchmarks a full 1,200-citizen register.
func BenchmarkSearch(b *testing.B) {
	f, err := Open("testdata")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := f.Search(ctx, "garcia lop", 20); err != nil {
			b.Fatal(err)
		}
	}
}
