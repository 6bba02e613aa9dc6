package coveoua

/*
#include "coveo_ua.h"
*/
import "C"

import (
	"log/slog"
	"math"
	"strings"
	"time"
)

// QueueOptions configure a Queue: the client options its workers send with
// (timeout, deadline, retries, local checks, endpoint, ...), then the
// queue's own. As in Options, the zero value of a field means the library's
// default (docs/queue.md lists them with their reasons), and the library
// judges every value: NewQueue reports its verdict.
type QueueOptions struct {
	Options

	// MaxEvents and MaxBytes are the capacity in memory (MaxBytes counts the
	// events' JSON). Without a spool, past either Enqueue refuses at once
	// with ErrQueueFull; with one, events past it wait on disk (up to
	// SpoolCapacity) and are read back in order. Set both or neither, as the
	// library takes them in one call.
	MaxEvents uint32
	MaxBytes  uint64
	// Workers is the most threads that deliver, each with one request in
	// flight; the queue runs as many as its backlog needs.
	Workers uint32
	// MaxAge is how long an event is tried again through an outage before
	// it fails for good with the code of its last try. Rounded up to whole
	// milliseconds.
	MaxAge time.Duration
	// QueueBackoffBase and QueueBackoffMax shape the pause of the whole
	// queue while the service throttles or fails (Options.BackoffBase and
	// BackoffMax are the retries within one send). Set both or neither.
	QueueBackoffBase, QueueBackoffMax time.Duration

	// SpoolDir makes the queue durable: each event is written there before
	// Enqueue returns nil. Any number of live queues, in this process or
	// others, may share the directory: each writes its own lane there, and
	// a live queue on the directory adopts and delivers what a queue that
	// went away left (within 30 s). Empty: in memory only.
	SpoolDir string
	// SpoolCapacity bounds the bytes of events this queue's lane of the
	// spool holds (each event takes its JSON and 21 bytes); past it Enqueue
	// refuses with ErrQueueFull. Zero means the library's default (256 MiB).
	SpoolCapacity uint64
	// SpoolFsyncInterval bounds what a power loss may cost; nil means the
	// library's default, FsyncInterval(0) syncs on every enqueue (much
	// slower). A killed process loses nothing either way.
	SpoolFsyncInterval *time.Duration

	// OnFailure, when not nil, hears once of every event that failed for
	// good: its kind, its JSON text (a copy the function may keep) and why.
	// It runs on one of the queue's threads, or on the goroutine in Close
	// for events a close gives up; several may run at once. It may call
	// Enqueue, never Flush or Close of its own queue (they would wait for
	// it). A slow OnFailure holds up a worker. A panic in it is recovered
	// and logged (through Logger, else slog.Default()); the event still
	// counts as failed.
	//
	// A Queue that OnFailure refers to stays reachable until Close, so its
	// finalizer cannot free it.
	OnFailure func(kind Kind, event []byte, err *Error)
	// Logger, when not nil, receives the queue's log messages (a pause, a
	// recovery, a damaged spool record, an event failed for good) at
	// slog.LevelError, LevelWarn, LevelInfo and LevelDebug. The most
	// detailed level the logger is Enabled for when NewQueue runs is the
	// one the library sends; messages never contain the token.
	Logger *slog.Logger
}

// FsyncInterval returns a pointer to d, for QueueOptions.SpoolFsyncInterval.
func FsyncInterval(d time.Duration) *time.Duration { return &d }

// queueMillis holds the durations of QueueOptions as the library's milliseconds.
type queueMillis struct {
	maxAge                  uint64
	backoffBase, backoffMax uint32
	fsync                   uint32
}

// check finds, beyond Options.check, what the C boundary cannot carry: a NUL
// in SpoolDir, durations out of the setters' integers, and one half of a
// setting the library takes in one call.
func (o *QueueOptions) check() (cMillis, queueMillis, error) {
	var q queueMillis
	ms, err := o.Options.check()
	if err != nil {
		return ms, q, err
	}
	if i := strings.IndexByte(o.SpoolDir, 0); i >= 0 {
		return ms, q, argumentError("QueueOptions.SpoolDir holds a NUL byte at offset %d, which a C string cannot carry", i)
	}
	if q.maxAge, err = durationMsUpTo("QueueOptions.MaxAge", o.MaxAge, math.MaxUint64); err != nil {
		return ms, q, err
	}
	if q.backoffBase, err = durationMs("QueueOptions.QueueBackoffBase", o.QueueBackoffBase); err != nil {
		return ms, q, err
	}
	if q.backoffMax, err = durationMs("QueueOptions.QueueBackoffMax", o.QueueBackoffMax); err != nil {
		return ms, q, err
	}
	if o.SpoolFsyncInterval != nil {
		if q.fsync, err = durationMs("QueueOptions.SpoolFsyncInterval", *o.SpoolFsyncInterval); err != nil {
			return ms, q, err
		}
	}
	if (o.MaxEvents == 0) != (o.MaxBytes == 0) {
		return ms, q, argumentError("QueueOptions.MaxEvents and QueueOptions.MaxBytes are one setting of the library: set both or neither (zero means the default)")
	}
	if (o.QueueBackoffBase == 0) != (o.QueueBackoffMax == 0) {
		return ms, q, argumentError("QueueOptions.QueueBackoffBase and QueueOptions.QueueBackoffMax are one setting of the library: set both or neither (zero means the default)")
	}
	return ms, q, nil
}

// applyQueue hands every non-zero queue field to its C setter, stopping at
// the first one the library refuses. The callbacks are set by NewQueue.
func (o *QueueOptions) applyQueue(opts *C.ua_options, q queueMillis) error {
	var setters []func() C.ua_code
	if o.MaxEvents != 0 {
		setters = append(setters, func() C.ua_code {
			return C.ua_options_set_queue_capacity(opts, C.uint32_t(o.MaxEvents), C.uint64_t(o.MaxBytes))
		})
	}
	if o.Workers != 0 {
		setters = append(setters, func() C.ua_code { return C.ua_options_set_queue_workers(opts, C.uint32_t(o.Workers)) })
	}
	if q.maxAge != 0 {
		setters = append(setters, func() C.ua_code { return C.ua_options_set_queue_max_age_ms(opts, C.uint64_t(q.maxAge)) })
	}
	if q.backoffBase != 0 {
		setters = append(setters, func() C.ua_code {
			return C.ua_options_set_queue_backoff_ms(opts, C.uint32_t(q.backoffBase), C.uint32_t(q.backoffMax))
		})
	}
	if o.SpoolDir != "" {
		setters = append(setters, func() C.ua_code {
			return setText(opts, o.SpoolDir, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_spool_dir(p, s) })
		})
	}
	if o.SpoolCapacity != 0 {
		setters = append(setters, func() C.ua_code { return C.ua_options_set_spool_capacity(opts, C.uint64_t(o.SpoolCapacity)) })
	}
	if o.SpoolFsyncInterval != nil {
		setters = append(setters, func() C.ua_code { return C.ua_options_set_spool_fsync_interval_ms(opts, C.uint32_t(q.fsync)) })
	}
	for _, set := range setters {
		if err := optionsError(opts, set()); err != nil {
			return err
		}
	}
	return nil
}
