package coveoua

import (
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
)

// With local checks off the service refuses a bad event: OnFailure hears of
// it with the service's verdict and the event's own text.
func TestQueueOnFailureHearsTheServiceVerdict(t *testing.T) {
	resetEmulator(t)
	failures := newFailureLog()
	q := newTestQueue(t, func(o *QueueOptions) { o.DisableLocalChecks = true; o.OnFailure = failures.record })
	if err := q.EnqueueCustom(`{"eventValue":"no-type","language":"en"}`); err != nil {
		t.Fatalf("with local checks off the event is taken: %v", err)
	}
	if err := q.EnqueueCustom(customEvent("fine")); err != nil {
		t.Fatal(err)
	}
	flushed(t, q)
	e := failures.snapshot()["no-type"]
	if e == nil {
		t.Fatalf("OnFailure did not hear of the refused event (heard %v)", failures.snapshot())
	}
	if !errors.Is(e, ErrMissingParameter) || e.HTTPStatus != 400 || e.Type != "MissingParameter" ||
		!strings.Contains(e.Message, "customEvent.eventType") || e.Attempts != 1 {
		t.Errorf("OnFailure heard %+v, want the service's 400 MissingParameter after one attempt", e)
	}
	if len(failures.kinds) != 1 || failures.kinds[0] != KindCustom {
		t.Errorf("OnFailure heard kinds %v, want [custom]", failures.kinds)
	}
	if c := q.Counters(); c.Failed != 1 || c.Delivered != 1 {
		t.Errorf("counters %+v, want one failed and one delivered", c)
	}
}

// A panicking OnFailure neither crashes the process nor stops the queue:
// the panic is recovered and reported through the Logger.
func TestQueueOnFailurePanicIsRecovered(t *testing.T) {
	resetEmulator(t)
	logger, logs := newRecordingLogger(slog.LevelError)
	var calls atomic.Int32
	q := newTestQueue(t, func(o *QueueOptions) {
		o.DisableLocalChecks = true
		o.Logger = logger
		o.OnFailure = func(Kind, []byte, *Error) {
			calls.Add(1)
			panic("OnFailure blew up")
		}
	})
	for _, value := range []string{"first", "second"} {
		if err := q.EnqueueCustom(map[string]any{"eventValue": value, "language": "en"}); err != nil {
			t.Fatal(err)
		}
	}
	flushed(t, q)
	// The workers still deliver after the panics.
	if err := q.EnqueueCustom(customEvent("after-the-panics")); err != nil {
		t.Fatal(err)
	}
	flushed(t, q)
	if n := calls.Load(); n != 2 {
		t.Errorf("OnFailure ran %d times, want 2", n)
	}
	panics := logs.find(slog.LevelError, "OnFailure panicked")
	if len(panics) != 2 {
		t.Fatalf("the Logger got %d panic reports, want 2; it got:\n%s", len(panics), logs.all())
	}
	if p := panics[0]; p.attrs["panic"] != "OnFailure blew up" || p.attrs["kind"] != "custom" || !strings.Contains(p.attrs["stack"], "TestQueueOnFailurePanicIsRecovered") {
		t.Errorf("the panic report lacks the panic, the kind or the stack: %+v", p.attrs)
	}
	if c := q.Counters(); c.Failed != 2 || c.Delivered != 1 {
		t.Errorf("counters %+v, want the two refused events failed and the last delivered", c)
	}
	if n := loggedValues(t)["after-the-panics"]; n != 1 {
		t.Errorf("the event after the panics was logged %d times, want once", n)
	}
}

// The queue's log messages reach the slog.Logger at the matching levels.
func TestQueueLogsThroughSlog(t *testing.T) {
	resetEmulator(t)
	logger, logs := newRecordingLogger(slog.LevelDebug)
	q := newTestQueue(t, func(o *QueueOptions) {
		o.Logger = logger
		o.DisableLocalChecks = true
		o.SpoolDir = t.TempDir()
		// Without retries within the send, the 503 pauses the queue.
		o.MaxRetries = Retries(0)
	})
	addFault(t, map[string]any{"count": 1, "status": 503})
	if err := q.EnqueueCustom(customEvent("logged")); err != nil {
		t.Fatal(err)
	}
	if err := q.EnqueueCustom(`{"eventValue":"refused","language":"en"}`); err != nil {
		t.Fatal(err)
	}
	flushed(t, q)
	wants := []struct {
		level slog.Level
		text  string
	}{
		{slog.LevelInfo, "event(s) recovered"},        // the spool opened
		{slog.LevelWarn, "the queue pauses"},          // the 503
		{slog.LevelError, "event failed for good"},    // the refused event
		{slog.LevelDebug, "event will be sent again"}, // the 503'd event
	}
	for _, w := range wants {
		if len(logs.find(w.level, w.text)) == 0 {
			t.Errorf("no %s line saying %q; the Logger got:\n%s", w.level, w.text, logs.all())
		}
	}
	if strings.Contains(logs.all(), testKey) {
		t.Errorf("the token reached the log:\n%s", logs.all())
	}
}

// The library is asked only for the levels the Logger takes.
func TestQueueAsksForTheLoggersLevels(t *testing.T) {
	cases := []struct {
		level slog.Level
		want  int32 // UA_LOG_ERROR 1 to UA_LOG_DEBUG 4
	}{
		{slog.LevelDebug, 4}, {slog.LevelInfo, 3}, {slog.LevelWarn, 2}, {slog.LevelError, 1},
	}
	for _, tc := range cases {
		logger, _ := newRecordingLogger(tc.level)
		got, ok := libraryLogLevel(logger)
		if !ok || int32(got) != tc.want {
			t.Errorf("a logger at %s: library level %d (%v), want %d", tc.level, got, ok, tc.want)
		}
	}
	silent, _ := newRecordingLogger(slog.LevelError + 1)
	if _, ok := libraryLogLevel(silent); ok {
		t.Error("a logger that takes nothing still gets the library's messages")
	}
	if _, ok := libraryLogLevel(nil); ok {
		t.Error("no logger still gets the library's messages")
	}
}
