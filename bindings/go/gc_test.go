package coveoua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// gcStressRounds is small by default so every `go test` exercises the path;
// COVEOUA_GC_STRESS=1 makes it long enough to catch a rare missing KeepAlive.
func gcStressRounds() int {
	if os.Getenv("COVEOUA_GC_STRESS") == "1" {
		return 300
	}
	return 25
}

// sendWithThrowawayClient creates a client, sends once and drops the client
// without Close: from the C call on, only KeepAlive stops the finalizer from
// freeing the handle under the library.
func sendWithThrowawayClient(value string) error {
	c, err := NewClient(testOptions())
	if err != nil {
		return err
	}
	_, err = c.SendCustom(context.Background(), customEvent(value))
	return err
}

// underConstantGC is inGoroutines while a collector runs non-stop.
func underConstantGC(t *testing.T, workers, rounds int, round func(w, i int, report func(error))) {
	t.Helper()
	stop := make(chan struct{})
	collectorDone := make(chan struct{})
	go func() {
		defer close(collectorDone)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()

	defer func() {
		close(stop)
		<-collectorDone
	}()
	inGoroutines(t, workers, rounds, round)
}

// Sends race with a collector that runs non-stop, on throwaway clients (left
// to their finalizers) and on a shared one; every event must arrive once.
func TestSendsUnderConstantGC(t *testing.T) {
	resetEmulator(t)
	rounds := gcStressRounds()
	// Slow answers widen the window in which a finalizer could free a handle
	// that C is still using.
	addFault(t, map[string]any{"count": 0, "delay_ms": 5})
	shared := newTestClient(t, nil)

	const workers = 4
	underConstantGC(t, workers, rounds, func(w, i int, report func(error)) {
		if err := sendWithThrowawayClient(fmt.Sprintf("gc-own-%d-%d", w, i)); err != nil {
			report(err)
		}
		if _, err := shared.SendCustom(context.Background(), customEvent(fmt.Sprintf("gc-shared-%d-%d", w, i))); err != nil {
			report(err)
		}
	})
	// Let the finalizers of the throwaway clients run (bounded).
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got, want := len(loggedEvents(t)), workers*rounds*2; got != want {
		t.Errorf("emulator logged %d events, want %d", got, want)
	}
}

// countingHandler counts the records a Logger takes, from any thread.
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (h countingHandler) Handle(context.Context, slog.Record) error { h.n.Add(1); return nil }
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler        { return h }
func (h countingHandler) WithGroup(string) slog.Handler             { return h }

// Queues race with a collector that runs non-stop while their callbacks
// run on the library's threads: throwaway queues left to their finalizers
// (which free them with the library's grace) and a shared one. Every good
// event must arrive once and every bad one reach OnFailure once; every
// callback handle must go once its queue is freed.
func TestSendsUnderConstantGCThroughQueues(t *testing.T) {
	resetEmulator(t)
	rounds := gcStressRounds()
	addFault(t, map[string]any{"count": 0, "delay_ms": 5})
	var failures, logLines atomic.Int64
	opts := func(o *QueueOptions) {
		o.Workers = 1
		o.DisableLocalChecks = true // the bad events fail on the workers, through OnFailure
		o.OnFailure = func(kind Kind, event []byte, err *Error) {
			if kind == KindCustom && len(event) > 0 && errors.Is(err, ErrMissingParameter) {
				failures.Add(1)
			}
		}
		o.Logger = slog.New(countingHandler{&logLines})
	}
	shared := newTestQueue(t, opts)
	hooksBefore := liveHooks.Load()

	const workers = 2
	underConstantGC(t, workers, rounds, func(w, i int, report func(error)) {
		bad := map[string]any{"eventValue": "no-type", "language": "en"}
		throwaway := testQueueOptions()
		opts(&throwaway)
		q, err := NewQueue(throwaway)
		if err != nil {
			report(err)
			return
		}
		// Dropped without Close: only KeepAlive keeps the finalizer
		// from freeing the queue under these calls.
		for _, ev := range []any{customEvent(fmt.Sprintf("gcq-own-%d-%d", w, i)), bad} {
			if err := q.EnqueueCustom(ev); err != nil {
				report(err)
			}
		}
		for _, ev := range []any{customEvent(fmt.Sprintf("gcq-shared-%d-%d", w, i)), bad} {
			if err := shared.EnqueueCustom(ev); err != nil {
				report(err)
			}
		}
	})
	flushed(t, shared)

	// The finalizers free the throwaway queues on goroutines of their own,
	// each delivering what it held first (bounded).
	want := int64(workers * rounds * 2)
	for end := time.Now().Add(queueWait); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		runtime.GC()
		if failures.Load() == want && liveHooks.Load() == hooksBefore {
			break
		}
	}
	if got := failures.Load(); got != want {
		t.Errorf("OnFailure heard of %d bad events, want %d", got, want)
	}
	if got := liveHooks.Load(); got != hooksBefore {
		t.Errorf("%d callback handles live, want %d (the shared queue's): a finalized queue kept its handle", got, hooksBefore)
	}
	if logLines.Load() < want {
		t.Errorf("the Logger took %d lines, want at least one per failed event (%d)", logLines.Load(), want)
	}
	logged := loggedValues(t)
	for w := 0; w < workers; w++ {
		for i := 0; i < rounds; i++ {
			for _, value := range []string{fmt.Sprintf("gcq-own-%d-%d", w, i), fmt.Sprintf("gcq-shared-%d-%d", w, i)} {
				if logged[value] != 1 {
					t.Errorf("%s was logged %d times, want once", value, logged[value])
				}
			}
		}
	}
}
