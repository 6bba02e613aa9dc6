package coveoua

/*
#include <stdint.h>
#include "coveo_ua.h"

// Exported by queue_export.go. An exported Go function cannot take const
// pointers, so these C functions, with the exact callback types, sit between.
extern void coveouaQueueFailure(uintptr_t hooks, ua_event_kind kind, char *event_json, ua_result *result);
extern void coveouaQueueLog(uintptr_t hooks, int32_t level, char *message);

static void coveoua_on_failure(void *user_data, ua_event_kind kind, const char *event_json,
                               const ua_result *result)
{
	coveouaQueueFailure((uintptr_t)user_data, kind, (char *)event_json, (ua_result *)result);
}

static void coveoua_on_log(void *user_data, int32_t level, const char *message)
{
	coveouaQueueLog((uintptr_t)user_data, level, (char *)message);
}

// The user_data is a runtime/cgo.Handle, a number: no Go pointer reaches C.
static ua_code coveoua_set_failure_callback(ua_options *options, uintptr_t hooks)
{
	return ua_options_set_failure_callback(options, coveoua_on_failure, (void *)hooks);
}

static ua_code coveoua_set_log_callback(ua_options *options, uintptr_t hooks, int32_t max_level)
{
	return ua_options_set_log_callback(options, coveoua_on_log, (void *)hooks, max_level);
}
*/
import "C"

import (
	"context"
	"log/slog"
	"runtime/cgo"
	"runtime/debug"
	"sync/atomic"
)

// queueHooks is what a queue's C callbacks reach through their cgo.Handle.
// It never refers to the Queue, so that an unreachable Queue can be finalized.
type queueHooks struct {
	onFailure func(kind Kind, event []byte, err *Error)
	logger    *slog.Logger
}

// liveHooks counts the handles made and not yet deleted, so that a test can
// tell that no path of NewQueue or Close leaks one.
var liveHooks atomic.Int64

// deleteHooks deletes a handle from installHooks.
func deleteHooks(h cgo.Handle) {
	h.Delete()
	liveHooks.Add(-1)
}

// installHooks sets the C callbacks that opts asks for and returns the
// handle they carry, or 0 when there are none. The caller deletes a non-zero
// handle once no callback can run any more: after ua_queue_free, or at once
// when ua_queue_new failed.
func installHooks(copts *C.ua_options, opts *QueueOptions) (cgo.Handle, error) {
	maxLevel, logs := libraryLogLevel(opts.Logger)
	if opts.OnFailure == nil && !logs {
		return 0, nil
	}
	h := cgo.NewHandle(&queueHooks{onFailure: opts.OnFailure, logger: opts.Logger})
	liveHooks.Add(1)
	if opts.OnFailure != nil {
		if err := optionsError(copts, C.coveoua_set_failure_callback(copts, C.uintptr_t(h))); err != nil {
			deleteHooks(h)
			return 0, err
		}
	}
	if logs {
		if err := optionsError(copts, C.coveoua_set_log_callback(copts, C.uintptr_t(h), maxLevel)); err != nil {
			deleteHooks(h)
			return 0, err
		}
	}
	return h, nil
}

// libraryLogLevel is the most detailed UA_LOG_* level the logger takes; false
// when there is no logger or it takes nothing, so no message crosses from C
// only to be dropped.
func libraryLogLevel(l *slog.Logger) (C.int32_t, bool) {
	if l == nil {
		return 0, false
	}
	for _, level := range []C.int32_t{C.UA_LOG_DEBUG, C.UA_LOG_INFO, C.UA_LOG_WARN, C.UA_LOG_ERROR} {
		if l.Enabled(context.Background(), slogLevel(level)) {
			return level, true
		}
	}
	return 0, false
}

// slogLevel maps a UA_LOG_* level onto slog's.
func slogLevel(level C.int32_t) slog.Level {
	switch level {
	case C.UA_LOG_ERROR:
		return slog.LevelError
	case C.UA_LOG_WARN:
		return slog.LevelWarn
	case C.UA_LOG_INFO:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// failed hands one failed event to OnFailure. A panic must not unwind into
// the library's thread (the process would die), so it is recovered here.
func (h *queueHooks) failed(kind Kind, event []byte, err *Error) {
	defer func() {
		if p := recover(); p != nil {
			h.reportPanic(kind, p)
		}
	}()
	h.onFailure(kind, event, err)
}

// reportPanic logs a recovered OnFailure panic with its stack. Without a
// Logger it goes to slog.Default(), as a swallowed panic would hide a bug.
func (h *queueHooks) reportPanic(kind Kind, p any) {
	logger := h.logger
	if logger == nil {
		logger = slog.Default()
	}
	// A handler that panics too has nowhere left to report to.
	defer func() { _ = recover() }()
	logger.Error("coveoua: Queue OnFailure panicked; recovered, the event counts as failed",
		"kind", kind.String(), "panic", p, "stack", string(debug.Stack()))
}

// log hands one library message to the Logger; a panicking handler is
// recovered for the same reason as in failed, and has nowhere to be reported.
func (h *queueHooks) log(level C.int32_t, message string) {
	if h.logger == nil {
		return
	}
	defer func() { _ = recover() }()
	h.logger.Log(context.Background(), slogLevel(level), message)
}
