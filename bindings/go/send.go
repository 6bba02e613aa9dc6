package coveoua

/*
#include "coveo_ua.h"
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"
	"unsafe"
)

// Result is what an accepted event returned.
type Result struct {
	// HTTPStatus is the 2xx status of the answer.
	HTTPStatus int
	// Attempts counts the HTTP attempts made (more than 1 after retries).
	Attempts int
	// VisitorID is the visitorId from the answer's body; empty when absent.
	VisitorID string
	// Body is the raw answer body; empty when there was none.
	Body string
}

// deadlineGrace bounds how long Send keeps waiting for the library once the
// context's deadline has passed. The library was given that same deadline
// and should return UA_TIMEOUT within a millisecond; the grace only keeps a
// misbehaving library from holding the caller forever.
const deadlineGrace = 2 * time.Second

// Send posts one event of the given kind and blocks until it was accepted or
// failed for good (retries and waits included), then returns the outcome.
//
// The event is any value encoding/json can marshal (struct, map, ...) or
// JSON text given as []byte, json.RawMessage or string, sent unchanged.
//
// The context bounds the call: a context already done sends nothing; a
// context deadline becomes this call's deadline when it is sooner than the
// client's (the call then fails with ErrTimeout, whose error also matches
// context.DeadlineExceeded). A cancellation makes Send return at once with
// an error wrapping context.Canceled; the library call it abandons still runs
// to its own end in the background, so the event may yet be delivered.
//
// Failures are *Error values (see the Err* sentinels); errors caused by the
// context instead wrap ctx.Err().
func (c *Client) Send(ctx context.Context, kind Kind, event any) (*Result, error) {
	if ctx == nil {
		return nil, argumentError("Send needs a non-nil context (use context.Background())")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("coveoua: %s event not sent: %w", kind, err)
	}
	text, err := encodeEvent(event)
	if err != nil {
		return nil, err
	}
	deadlineMs := uint32(0) // 0: the client's own deadline alone
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d)
		if left <= 0 {
			return nil, fmt.Errorf("coveoua: %s event not sent: %w", kind, context.DeadlineExceeded)
		}
		deadlineMs = ceilMs(left)
	}
	if ctx.Done() == nil {
		return c.send(kind, text, deadlineMs)
	}

	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1) // buffered: an abandoned call never blocks
	go func() {
		res, err := c.send(kind, text, deadlineMs)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, withContextCause(ctx, o.err)
	case <-ctx.Done():
	}
	if deadlineMs != 0 && ctx.Err() == context.DeadlineExceeded {
		// The library has the same deadline: let it report what it did.
		grace := time.NewTimer(deadlineGrace)
		defer grace.Stop()
		select {
		case o := <-done:
			return o.res, withContextCause(ctx, o.err)
		case <-grace.C:
		}
	}
	return nil, fmt.Errorf("coveoua: %s event abandoned (it may still be delivered): %w", kind, ctx.Err())
}

// SendSearch sends a search event (POST /v15/analytics/search).
func (c *Client) SendSearch(ctx context.Context, event any) (*Result, error) {
	return c.Send(ctx, KindSearch, event)
}

// SendClick sends a click event (POST /v15/analytics/click).
func (c *Client) SendClick(ctx context.Context, event any) (*Result, error) {
	return c.Send(ctx, KindClick, event)
}

// SendCustom sends a custom event (POST /v15/analytics/custom).
func (c *Client) SendCustom(ctx context.Context, event any) (*Result, error) {
	return c.Send(ctx, KindCustom, event)
}

// SendView sends a view event (POST /v15/analytics/view).
func (c *Client) SendView(ctx context.Context, event any) (*Result, error) {
	return c.Send(ctx, KindView, event)
}

// SendSearchBatch sends several search events in one request
// (POST /v15/analytics/searches). events is a slice of structs or maps,
// marshalled as one JSON array (a nil slice is an empty one), or the array
// as JSON text ([]byte, json.RawMessage or string), sent unchanged.
//
// With local checks on, each item is checked as a search event and a
// failure's message names its index from 0 ("Item 1 of the search batch:
// ..."); an empty array fails with ErrInvalidObject. The Result's VisitorID
// is the first item's and its Body the service's whole array answer. The
// context is handled as by Send.
func (c *Client) SendSearchBatch(ctx context.Context, events any) (*Result, error) {
	return c.Send(ctx, KindSearchBatch, events)
}

// SendCollect sends a collect event (POST /v15/analytics/collect): one
// object in the service's Measurement-Protocol form, as Case Assist and older
// commerce setups log ({"t": "event", "ec": ..., "ea": ...}).
//
// The service publishes no rule for its fields, so the library's checks
// refuse only what is surely wrong (not JSON: ErrInvalidJSON; not an object:
// ErrInvalidObject) and the service judges the rest. The Result's VisitorID
// is the answer's visitorId when it has one. The context is handled as by
// Send.
func (c *Client) SendCollect(ctx context.Context, event any) (*Result, error) {
	return c.Send(ctx, KindCollect, event)
}

// send makes the blocking C call. text ends with a NUL; deadlineMs 0 means
// the client's deadline alone.
func (c *Client) send(kind Kind, text []byte, deadlineMs uint32) (*Result, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return nil, &Error{Code: CodeInvalidArgument, Message: "the client is closed", cause: ErrClosed}
	}
	event := (*C.char)(unsafe.Pointer(&text[0]))
	var res *C.ua_result
	// deadline_ms 0 is the library's "the client's deadline alone" too.
	code := C.ua_send_event_with_deadline(c.handle, C.ua_event_kind(kind), event, C.uint32_t(deadlineMs), &res)
	// Without these, the collector could finalize c (freeing the handle) or
	// reclaim the text while C still reads them.
	runtime.KeepAlive(c)
	runtime.KeepAlive(text)
	defer C.ua_result_free(res)
	return readResult(Code(code), res)
}

// readResult copies everything out of a ua_result so it can be freed at once.
func readResult(code Code, res *C.ua_result) (*Result, error) {
	if res == nil {
		if code == CodeOK {
			return nil, &Error{Code: CodeInternal, Message: "the library reported success without a result"}
		}
		return nil, &Error{Code: code, Message: code.Describe()}
	}
	status := int(C.ua_result_http_status(res))
	attempts := int(C.ua_result_attempts(res))
	body := optString(C.ua_result_body(res))
	if code == CodeOK {
		return &Result{
			HTTPStatus: status,
			Attempts:   attempts,
			VisitorID:  optString(C.ua_result_visitor_id(res)),
			Body:       body,
		}, nil
	}
	return nil, &Error{
		Code:       code,
		HTTPStatus: status,
		Type:       optString(C.ua_result_error_type(res)),
		Message:    optString(C.ua_result_message(res)),
		Attempts:   attempts,
		Body:       body,
	}
}

// withContextCause links a timeout to the context whose deadline caused it,
// so errors.Is(err, context.DeadlineExceeded) holds as Go callers expect.
func withContextCause(ctx context.Context, err error) error {
	if e, ok := err.(*Error); ok && e.Code == CodeTimeout && e.cause == nil && ctx.Err() == context.DeadlineExceeded {
		e.cause = ctx.Err()
	}
	return err
}

// optString copies a C string that may be NULL ("" then).
func optString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// ceilMs converts a positive duration to whole milliseconds, rounding up and
// capping at the largest value the C API takes.
func ceilMs(d time.Duration) uint32 {
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	if ms > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(ms)
}
