package coveoua

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A context that is already done sends nothing at all.
func TestDoneContextSendsNothing(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, nil)
	before := stats(t).Requests

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.SendCustom(canceled, customEvent("canceled"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: got %v, want context.Canceled", err)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Errorf("a context error came as a *coveoua.Error: %v", err)
	}

	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := c.SendCustom(expired, customEvent("expired")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired context: got %v, want context.DeadlineExceeded", err)
	}
	if after := stats(t).Requests; after != before {
		t.Errorf("the emulator saw %d request(s) from done contexts", after-before)
	}
}

// The context's deadline becomes the call's deadline when it is sooner than
// the client's: the call ends with UA_TIMEOUT, which also matches the
// context's DeadlineExceeded.
func TestContextDeadlineBoundsTheCall(t *testing.T) {
	resetEmulator(t)
	addFault(t, map[string]any{"count": 0, "action": "stall", "delay_ms": 10000})
	c := newTestClient(t, func(o *Options) { o.Timeout = 20 * time.Second; o.Deadline = 30 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.SendCustom(ctx, customEvent("ctx-deadline"))
	e := asError(t, err)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v (code %s), want ErrTimeout matching context.DeadlineExceeded", err, e.Code)
	}
	if e.HTTPStatus != 0 || e.Attempts < 1 {
		t.Errorf("unexpected details: status %d, attempts %d", e.HTTPStatus, e.Attempts)
	}
}

// The client's own deadline still applies under a context without one, and
// is not reported as the context's.
func TestClientDeadlineWithoutContextDeadline(t *testing.T) {
	resetEmulator(t)
	addFault(t, map[string]any{"count": 0, "action": "stall", "delay_ms": 10000})
	c := newTestClient(t, func(o *Options) { o.Timeout = 20 * time.Second; o.Deadline = 300 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := c.SendCustom(ctx, customEvent("client-deadline"))
	asError(t, err)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the client's deadline was reported as the context's: %v", err)
	}
}

// Canceling the context releases the caller while the attempt still hangs.
func TestCancelReleasesTheCaller(t *testing.T) {
	resetEmulator(t)
	addFault(t, map[string]any{"count": 0, "action": "stall", "delay_ms": 3000})
	c := newTestClient(t, func(o *Options) { o.MaxRetries = Retries(0); o.Deadline = 2 * time.Second })
	before := stats(t).Requests
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the emulator has the request, so the cancellation lands
	// while the library is inside the call.
	go func() {
		limit := time.Now().Add(5 * time.Second)
		for time.Now().Before(limit) {
			if n, err := requestsSeen(); err == nil && n > before {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	_, err := c.SendCustom(ctx, customEvent("canceled-in-flight"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// Close waits for the abandoned call, which its deadline bounds.
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
