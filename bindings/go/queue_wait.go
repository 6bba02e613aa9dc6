package coveoua

/*
#include "coveo_ua.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// DefaultQueueWait is how long Flush and Close wait when their context has
// no deadline: long enough for a backlog to drain from a healthy service,
// short enough that a program never hangs on an outage. Give the context a
// deadline to choose.
const DefaultQueueWait = 10 * time.Second

// Flush waits until every event enqueued before the call is delivered or
// failed for good (and OnFailure has returned for it). It returns nil, or:
//   - an *Error matching ErrTimeout when the context's deadline (or, without
//     one, DefaultQueueWait) passes first; with the context's deadline it
//     also matches context.DeadlineExceeded;
//   - an error wrapping context.Canceled, at once, when the context is
//     cancelled (the events go on being delivered);
//   - an *Error matching ErrQueueClosed after Close, when events are left
//     (in the spool), nil when none are.
//
// Never from OnFailure: it would wait for itself until the timeout.
func (q *Queue) Flush(ctx context.Context) error {
	if ctx == nil {
		return argumentError("Flush needs a non-nil context (use context.Background())")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("coveoua: flush not started: %w", err)
	}
	ms := waitMs(ctx)
	if ctx.Done() == nil {
		return q.flush(ms)
	}
	// The C call cannot be interrupted: it runs on its own goroutine, which a
	// cancelled Flush leaves behind. It ends by its timeout, or at once when
	// the queue is closed, so it never outlives Close.
	done := make(chan error, 1)
	go func() { done <- q.flush(ms) }()
	select {
	case err := <-done:
		return withWaitDeadline(ctx, err)
	case <-ctx.Done():
	}
	if ctx.Err() == context.DeadlineExceeded {
		// The library has the same deadline: let it say how it ended.
		grace := time.NewTimer(deadlineGrace)
		defer grace.Stop()
		select {
		case err := <-done:
			return withWaitDeadline(ctx, err)
		case <-grace.C:
		}
	}
	return fmt.Errorf("coveoua: flush abandoned (delivery goes on): %w", ctx.Err())
}

// flush makes the blocking C call.
func (q *Queue) flush(ms uint32) error {
	if !q.acquire() {
		if f := q.final.Load(); f != nil && f.Pending > 0 {
			return &Error{Code: CodeQueueClosed, Message: fmt.Sprintf("the queue is closed with %d event(s) left in the spool", f.Pending)}
		}
		return nil
	}
	defer q.mu.RUnlock()
	code := Code(C.ua_queue_flush(q.handle, C.uint32_t(ms)))
	runtime.KeepAlive(q)
	switch code {
	case CodeOK:
		return nil
	case CodeTimeout:
		return &Error{Code: code, Message: fmt.Sprintf("flush timed out after %d ms with %d event(s) pending", ms, q.pending())}
	case CodeQueueClosed:
		return &Error{Code: code, Message: fmt.Sprintf("the queue is closed with %d event(s) pending", q.pending())}
	}
	return &Error{Code: code, Message: code.Describe()}
}

// Close stops taking events (Enqueue returns ErrQueueClosed from then on),
// delivers what the queue holds until the context is done (its deadline, or
// DefaultQueueWait without one; a cancellation stops at once), then stops
// the workers, cutting off requests in flight, and frees the C queue.
// Events left are reported to OnFailure with ErrQueueClosed, or, with a
// spool, stay there for the next queue on the directory. Close always
// frees the queue, and returns:
//   - nil when nothing was left;
//   - otherwise an *Error matching ErrTimeout when time ran out (also
//     context.DeadlineExceeded for the context's deadline), or an error
//     wrapping context.Canceled after a cancellation.
//
// A second Close returns nil at once; Counters stay readable. Close waits
// for every OnFailure call it causes, so never call it from OnFailure.
func (q *Queue) Close(ctx context.Context) error {
	if ctx == nil {
		return argumentError("Close needs a non-nil context (use context.Background())")
	}
	q.closeMu.Lock()
	defer q.closeMu.Unlock()
	// Only Close and the finalizer free the handle, both under closeMu, so
	// it stays live here without mu.
	if q.handle == nil {
		return nil
	}
	q.closing.Store(true)
	runtime.SetFinalizer(q, nil)
	// Delivery happens in a flush, which a cancellation can leave (as in
	// Flush); the close after it then gives nothing more time and wakes the
	// flush. Closing with the whole timeout would not be interruptible.
	if ctx.Err() == nil {
		ms := waitMs(ctx)
		if ctx.Done() == nil {
			_ = q.flush(ms)
		} else {
			done := make(chan error, 1)
			go func() { done <- q.flush(ms) }()
			select {
			case <-done:
			case <-ctx.Done():
			}
		}
	}
	before := q.read()
	code := Code(C.ua_queue_close(q.handle, 0))
	runtime.KeepAlive(q)
	counters := q.read()
	q.free(&counters)
	// UA_OK: nothing was left when delivery ended; UA_TIMEOUT: something
	// was (cut off in flight included), the count is for the message.
	switch code {
	case CodeOK:
		return nil
	case CodeTimeout:
	default:
		return &Error{Code: code, Message: "ua_queue_close: " + code.Describe()}
	}
	left := before.Pending - min(before.Pending, counters.Delivered-before.Delivered)
	fate := "each was reported to OnFailure with ErrQueueClosed"
	if q.spool {
		fate = "they stay in the spool for the next queue on its directory"
	}
	if ctx.Err() == context.Canceled {
		return fmt.Errorf("coveoua: Close cut short with %d event(s) pending, %s: %w", left, fate, ctx.Err())
	}
	return withWaitDeadline(ctx, &Error{Code: CodeTimeout, Message: fmt.Sprintf("Close ran out of time with %d event(s) pending; %s", left, fate)})
}

// pending reads the pending counter; the handle is live (mu held for
// reading, or closeMu held).
func (q *Queue) pending() uint64 {
	n := uint64(C.ua_queue_counter(q.handle, C.UA_COUNTER_PENDING))
	runtime.KeepAlive(q)
	return n
}

// waitMs is the C timeout for a wait under ctx: the time left before its
// deadline (at least 1 ms), or DefaultQueueWait.
func waitMs(ctx context.Context) uint32 {
	if d, ok := ctx.Deadline(); ok {
		return ceilMs(max(time.Until(d), time.Millisecond))
	}
	return ceilMs(DefaultQueueWait)
}

// withWaitDeadline links a timeout to the context's deadline when that has
// passed, so errors.Is(err, context.DeadlineExceeded) holds. It looks at the
// clock rather than ctx.Err(): the library's timer may fire a moment before
// the context's.
func withWaitDeadline(ctx context.Context, err error) error {
	e, ok := err.(*Error)
	if !ok || e.Code != CodeTimeout || e.cause != nil {
		return err
	}
	if d, has := ctx.Deadline(); has && !time.Now().Before(d) {
		e.cause = context.DeadlineExceeded
	}
	return err
}
