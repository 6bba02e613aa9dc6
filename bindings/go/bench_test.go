package coveoua

import (
	"context"
	"testing"
	"time"
)

// Benchmarks are run by hand (go test -run '^$' -bench .); tests never
// assert on speed.

func BenchmarkSendCustomBackground(b *testing.B) {
	benchmarkSend(b, context.Background())
}

// A cancellable context with a deadline takes the per-call deadline and the
// watcher goroutine.
func BenchmarkSendCustomWithDeadline(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	benchmarkSend(b, ctx)
}

func BenchmarkSendCustomParallel(b *testing.B) {
	resetEmulator(b)
	c := newTestClient(b, nil)
	event := customEvent("bench")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.SendCustom(context.Background(), event); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchmarkSend(b *testing.B, ctx context.Context) {
	resetEmulator(b)
	c := newTestClient(b, nil)
	event := customEvent("bench")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.SendCustom(ctx, event); err != nil {
			b.Fatal(err)
		}
	}
}
