package coveoua

/*
#include "coveo_ua.h"
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Queue delivers events in the background through one C ua_queue: Enqueue
// hands an event off in about a microsecond and returns, worker threads send
// it with the client's rules, and every event ends delivered, failed for good
// (OnFailure hears of it) or still pending, as the Counters show. docs/queue.md
// describes the semantics: capacity, the shared pause during outages, the
// spool, at-least-once delivery.
//
// It is safe for concurrent use by any number of goroutines. Close it before
// the program exits: events held only in memory are lost otherwise (a spool
// keeps them for the next queue on its directory). A Queue dropped without
// Close is freed by a finalizer, which gives it 2 seconds to deliver what it
// holds, but only when the garbage collector gets to it.
type Queue struct {
	// mu guards handle: every C call holds it for reading, and the final
	// ua_queue_free takes it for writing, so the queue is never freed under
	// a call. Enqueue and Counters only try it (TryRLock): a writer waits
	// only while Close frees the queue, and those calls must not wait then,
	// as OnFailure may be making them from a thread the free waits for.
	mu     sync.RWMutex
	handle *C.ua_queue
	// hooks is the handle the C callbacks carry (0 without callbacks),
	// deleted once ua_queue_free has returned.
	hooks cgo.Handle
	spool bool

	// closeMu makes Close run once at a time.
	closeMu sync.Mutex
	// closing is set as Close starts: Enqueue refuses from then on, as the
	// library does once a close has begun.
	closing atomic.Bool
	// final holds the counters read just before ua_queue_free; nil while
	// the C queue lives.
	final atomic.Pointer[Counters]
	// refusedHere counts Enqueue calls refused before reaching the library
	// (an event that cannot be encoded, a closed queue); Counters adds them
	// to Refused so that it counts every refusal.
	refusedHere atomic.Uint64
}

// Counters are a queue's counts of events (docs/queue.md, "Counters").
// Enqueued + Recovered = Delivered + Failed + Pending at every moment in the
// library, and in what Counters returns (the library reads them at one
// moment).
type Counters struct {
	// Enqueued counts Enqueue calls that returned nil.
	Enqueued uint64
	// Delivered counts events the service accepted (2xx).
	Delivered uint64
	// Failed counts events failed for good, each reported once to OnFailure.
	Failed uint64
	// Refused counts Enqueue calls that returned an error.
	Refused uint64
	// Pending counts events taken and not yet delivered or failed, now.
	Pending uint64
	// Attempts counts the HTTP requests the workers made.
	Attempts uint64
	// Recovered counts events this queue adopted from the spool lanes of
	// queues that went away (when it was made, and while it runs).
	Recovered uint64
	// Workers is the number of worker threads running now (not part of the
	// identity): the queue runs as many as its backlog needs, up to
	// QueueOptions.Workers.
	Workers uint64
}

// NewQueue hands the options to the library, makes a queue and starts its
// workers; with a SpoolDir it locks the directory and takes back what an
// earlier queue left there. A refused option is an *Error with the library's
// code (ErrInvalidArgument, or ErrSpoolFailed for a spool that cannot be
// created, locked or read) and its own explanation as the Message.
func NewQueue(opts QueueOptions) (*Queue, error) {
	ms, qms, err := opts.check()
	if err != nil {
		return nil, err
	}
	copts, err := opts.Options.cOptions(ms)
	if err != nil {
		return nil, err
	}
	// ua_queue_new copies the options, so they go once it has run.
	defer freeCOptions(copts)
	if err := opts.applyQueue(copts, qms); err != nil {
		return nil, err
	}
	hooks, err := installHooks(copts, &opts)
	if err != nil {
		return nil, err
	}
	var handle *C.ua_queue
	err = optionsError(copts, C.ua_queue_new(copts, &handle))
	if err == nil && handle == nil {
		err = &Error{Code: CodeInternal, Message: "ua_queue_new reported success without a queue"}
	}
	if err != nil {
		// No queue: no callback can run with the handle any more.
		if hooks != 0 {
			deleteHooks(hooks)
		}
		return nil, err
	}
	q := &Queue{handle: handle, hooks: hooks, spool: opts.SpoolDir != ""}
	runtime.SetFinalizer(q, (*Queue).finalize)
	return q, nil
}

// Enqueue hands one event of the given kind to the queue and returns at
// once; it never waits for the network or a worker. The event is what Send
// takes: a struct or map for encoding/json, or JSON text as []byte,
// json.RawMessage or string.
//
// nil means the event is held (with a spool, written there). Otherwise the
// event was not taken and the *Error says why: the failed local check's code
// (ErrMissingParameter, ...), ErrQueueFull, ErrQueueClosed (after Close),
// ErrSpoolFailed, or ErrInvalidArgument.
func (q *Queue) Enqueue(kind Kind, event any) error {
	text, err := encodeEvent(event)
	if err != nil {
		q.refusedHere.Add(1)
		return err
	}
	if q.closing.Load() || !q.acquire() {
		q.refusedHere.Add(1)
		return &Error{Code: CodeQueueClosed, Message: "the queue is closed"}
	}
	defer q.mu.RUnlock()
	var res *C.ua_result
	code := Code(C.ua_queue_enqueue_with_result(q.handle, C.ua_event_kind(kind), (*C.char)(unsafe.Pointer(&text[0])), &res))
	// The library copied the text; until here the collector must keep it,
	// and q (whose finalizer would free the handle).
	runtime.KeepAlive(text)
	runtime.KeepAlive(q)
	if code == CodeOK {
		if res != nil { // NULL when taken; freed should that ever change
			C.ua_result_free(res)
		}
		return nil
	}
	defer C.ua_result_free(res)
	return refusalError(code, res)
}

// EnqueueSearch enqueues a search event.
func (q *Queue) EnqueueSearch(event any) error { return q.Enqueue(KindSearch, event) }

// EnqueueClick enqueues a click event.
func (q *Queue) EnqueueClick(event any) error { return q.Enqueue(KindClick, event) }

// EnqueueCustom enqueues a custom event.
func (q *Queue) EnqueueCustom(event any) error { return q.Enqueue(KindCustom, event) }

// EnqueueView enqueues a view event.
func (q *Queue) EnqueueView(event any) error { return q.Enqueue(KindView, event) }

// EnqueueSearchBatch enqueues a batch of search events, delivered in one
// request; events is what Client.SendSearchBatch takes.
func (q *Queue) EnqueueSearchBatch(events any) error { return q.Enqueue(KindSearchBatch, events) }

// EnqueueCollect enqueues a collect event; event is what Client.SendCollect takes.
func (q *Queue) EnqueueCollect(event any) error { return q.Enqueue(KindCollect, event) }

// Counters returns the seven counters. After Close they keep the values
// they had when the queue was freed (with later refused Enqueue calls added).
func (q *Queue) Counters() Counters {
	var c Counters
	if q.acquire() {
		c = q.read()
		q.mu.RUnlock()
	} else if f := q.final.Load(); f != nil {
		c = *f
	}
	c.Refused += q.refusedHere.Load()
	return c
}

// acquire takes mu for reading unless the queue is being or has been freed
// (final is stored before the free takes mu, so it is set whenever this
// returns false). On true the caller calls q.mu.RUnlock.
func (q *Queue) acquire() bool {
	if !q.mu.TryRLock() {
		return false
	}
	if q.handle == nil {
		q.mu.RUnlock()
		return false
	}
	return true
}

// read reads the library's counters; the handle is live (mu held for
// reading, or closeMu held).
func (q *Queue) read() Counters {
	// One read of all eight, so the identity holds exactly even while events move.
	var v [8]C.uint64_t
	C.ua_queue_counters(q.handle, &v[0], C.size_t(len(v)))
	at := func(counter C.ua_counter) uint64 { return uint64(v[counter-1]) }
	c := Counters{
		Enqueued:  at(C.UA_COUNTER_ENQUEUED),
		Delivered: at(C.UA_COUNTER_DELIVERED),
		Failed:    at(C.UA_COUNTER_FAILED),
		Refused:   at(C.UA_COUNTER_REFUSED),
		Pending:   at(C.UA_COUNTER_PENDING),
		Attempts:  at(C.UA_COUNTER_ATTEMPTS),
		Recovered: at(C.UA_COUNTER_RECOVERED),
		Workers:   at(C.UA_COUNTER_WORKERS),
	}
	runtime.KeepAlive(q)
	return c
}

// free releases the C queue (closing it with the library's 2 s grace if it
// is still open), then the callbacks' handle, which no callback can use once
// ua_queue_free has returned. final, when not nil, is what Counters reports
// from then on.
func (q *Queue) free(final *Counters) {
	if final != nil {
		q.final.Store(final)
	}
	q.mu.Lock()
	if q.handle != nil {
		C.ua_queue_free(q.handle)
		q.handle = nil
	}
	q.mu.Unlock()
	if q.hooks != 0 {
		deleteHooks(q.hooks)
		q.hooks = 0
	}
}

// finalize is the finalizer of an unreachable Queue. ua_queue_free may take
// its 2 s grace, which would hold up every other finalizer of the program,
// so it runs on a goroutine of its own.
func (q *Queue) finalize() {
	go func() {
		q.closeMu.Lock()
		defer q.closeMu.Unlock()
		q.closing.Store(true)
		q.free(nil) // nothing can read the counters of an unreachable queue
	}()
}

// refusalError is the *Error of a ua_result for an event that was not taken
// or failed for good.
func refusalError(code Code, res *C.ua_result) *Error {
	if code == CodeOK {
		return &Error{Code: CodeInternal, Message: "the library reported a failure with the code UA_OK"}
	}
	_, err := readResult(code, res)
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Code: code, Message: code.Describe()}
}
