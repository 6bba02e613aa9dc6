package coveoua

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Events enqueued from 8 goroutines are each delivered once: matched one by
// one against the emulator's log by their eventValue, and counted.
func TestQueueDeliversEveryEventOnce(t *testing.T) {
	const goroutines, perGoroutine = 8, 50
	resetEmulator(t)
	q := newTestQueue(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perGoroutine)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perGoroutine; i++ {
				// Maps, structs' stand-in, and JSON text all go through the same path.
				var err error
				value := fmt.Sprintf("queue-g%d-e%d", g, i)
				if i%2 == 0 {
					err = q.EnqueueCustom(customEvent(value))
				} else {
					err = q.Enqueue(KindCustom, fmt.Sprintf(`{"eventType":"test","eventValue":%q,"language":"en"}`, value))
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", value, err)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	flushed(t, q)

	logged := loggedValues(t)
	for g := 0; g < goroutines; g++ {
		for i := 0; i < perGoroutine; i++ {
			if value := fmt.Sprintf("queue-g%d-e%d", g, i); logged[value] != 1 {
				t.Errorf("%s was logged %d times, want once", value, logged[value])
			}
			delete(logged, fmt.Sprintf("queue-g%d-e%d", g, i))
		}
	}
	for value, n := range logged {
		t.Errorf("the emulator logged %q (%d times), which nobody enqueued", value, n)
	}
	c := q.Counters()
	const n = goroutines * perGoroutine
	if c.Enqueued != n || c.Delivered != n || c.Failed != 0 || c.Pending != 0 || c.Refused != 0 || c.Attempts != n {
		t.Errorf("counters %+v, want %d enqueued, delivered and attempted, nothing else", c, n)
	}
	checkIdentity(t, c)
}

// Each Enqueue* method reaches its own path of the service.
func TestQueueEnqueuesEveryKind(t *testing.T) {
	resetEmulator(t)
	q := newTestQueue(t, nil)
	steps := []struct {
		name string
		err  error
	}{
		{"search", q.EnqueueSearch(searchEvent())},
		{"click", q.EnqueueClick(clickEvent())},
		{"custom", q.EnqueueCustom(customEvent("kinds"))},
		{"view", q.EnqueueView(viewEvent())},
		{"searches", q.EnqueueSearchBatch([]map[string]any{searchEvent(), searchEvent()})},
	}
	for _, s := range steps {
		if s.err != nil {
			t.Errorf("enqueue %s: %v", s.name, s.err)
		}
	}
	flushed(t, q)
	kinds := map[string]int{}
	for _, ev := range loggedEvents(t) {
		kinds[ev.Kind]++
	}
	// The batch's two items are logged as two search events.
	want := map[string]int{"search": 3, "click": 1, "custom": 1, "view": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("emulator logged %d %s events, want %d (all: %v)", kinds[k], k, n, kinds)
		}
	}
	if c := q.Counters(); c.Enqueued != 5 || c.Delivered != 5 {
		t.Errorf("counters %+v, want 5 enqueued and delivered (a batch is one event of the queue)", c)
	}
}

// A refused event comes back at once as an *Error with the library's code
// and message, and each refusal is counted, whether the library or this
// package refused it.
func TestQueueRefusalsSayWhy(t *testing.T) {
	resetEmulator(t)
	q := newTestQueue(t, nil)
	cases := []struct {
		name    string
		kind    Kind
		event   any
		want    *Error
		errType string
		inMsg   string
	}{
		{"missing field", KindCustom, map[string]any{"eventValue": "v", "language": "en"}, ErrMissingParameter,
			"MissingParameter", "customEvent.eventType"},
		{"not an object", KindView, "[]", ErrInvalidObject, "InvalidObject", ""},
		{"empty batch", KindSearchBatch, []map[string]any{}, ErrInvalidObject, "InvalidObject", ""},
		{"bad batch item", KindSearchBatch, []map[string]any{searchEvent(), {"language": "en"}}, ErrMissingParameter,
			"MissingParameter", "Item 1 of the search batch"},
		{"not JSON", KindCustom, "{", ErrInvalidJSON, "InvalidJson", ""},
		{"unknown kind", Kind(42), customEvent("v"), ErrInvalidArgument, "", ""},
		// Refused by this package: these cannot reach C.
		{"nil event", KindCustom, nil, ErrInvalidArgument, "", "the event is nil"},
		{"NUL byte", KindCustom, "{\"a\":\"\x00\"}", ErrInvalidJSON, "InvalidJson", "NUL byte at offset 6"},
		{"cannot marshal", KindCustom, map[string]any{"f": func() {}}, ErrInvalidArgument, "", "cannot be encoded as JSON"},
	}
	for _, tc := range cases {
		err := q.Enqueue(tc.kind, tc.event)
		e := asError(t, err)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want.Code)
		}
		if e.Type != tc.errType || e.Attempts != 0 || e.HTTPStatus != 0 {
			t.Errorf("%s: type %q, attempts %d, status %d; want type %q, nothing sent", tc.name, e.Type, e.Attempts, e.HTTPStatus, tc.errType)
		}
		if !strings.Contains(e.Message, tc.inMsg) || e.Message == "" {
			t.Errorf("%s: message %q does not say %q", tc.name, e.Message, tc.inMsg)
		}
	}
	flushed(t, q)
	c := q.Counters()
	if c.Refused != uint64(len(cases)) || c.Enqueued != 0 || c.Attempts != 0 {
		t.Errorf("counters %+v, want %d refused and nothing else", c, len(cases))
	}
	if n := len(loggedEvents(t)); n != 0 {
		t.Errorf("the emulator logged %d events; refusals must send nothing", n)
	}
}

// A full queue refuses at once with ErrQueueFull, by events and by bytes,
// while the service hangs: nothing waits for the network.
func TestQueueFullRefusesWithoutWaiting(t *testing.T) {
	resetEmulator(t)
	addFault(t, map[string]any{"count": 0, "action": "stall", "delay_ms": 60000})
	byEvents := newTestQueue(t, func(o *QueueOptions) { o.MaxEvents, o.MaxBytes, o.Workers = 3, 1<<20, 1 })
	for i := 0; i < 3; i++ {
		if err := byEvents.EnqueueCustom(customEvent(fmt.Sprintf("full-%d", i))); err != nil {
			t.Fatalf("enqueue %d of 3: %v", i, err)
		}
	}
	err := byEvents.EnqueueCustom(customEvent("one-too-many"))
	if e := asError(t, err); !errors.Is(err, ErrQueueFull) || !strings.Contains(e.Message, "capacity 3 events") {
		t.Errorf("fourth event: got %v, want ErrQueueFull naming the capacity", err)
	}

	event := `{"eventType":"test","eventValue":"bytes","language":"en"}` // 56 bytes
	byBytes := newTestQueue(t, func(o *QueueOptions) { o.MaxEvents, o.MaxBytes, o.Workers = 100, 120, 1 })
	for i := 0; i < 2; i++ {
		if err := byBytes.EnqueueCustom(event); err != nil {
			t.Fatalf("enqueue %d of 2: %v", i, err)
		}
	}
	if err := byBytes.EnqueueCustom(event); !errors.Is(err, ErrQueueFull) {
		t.Errorf("third event past 120 bytes: got %v, want ErrQueueFull", err)
	}
	for _, q := range []*Queue{byEvents, byBytes} {
		if c := q.Counters(); c.Refused != 1 || c.Delivered != 0 {
			t.Errorf("counters %+v, want one refusal and nothing delivered", c)
		}
		// The service still hangs: a short close gives up on what is held.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		if err := q.Close(ctx); !errors.Is(err, ErrTimeout) {
			t.Errorf("Close while the service hangs: got %v, want ErrTimeout", err)
		}
		cancel()
	}
}

// SpoolCapacity bounds the queue's lane on disk, and with a spool the
// memory capacity bounds only memory: past it events wait on disk.
func TestQueueSpoolCapacityBoundsTheLane(t *testing.T) {
	resetEmulator(t)
	event := `{"eventType":"test","eventValue":"lane","language":"en"}`
	record := uint64(len(event)) + 21
	q := newTestQueue(t, func(o *QueueOptions) {
		o.Endpoint = closedPortEndpoint(t)
		o.SpoolDir = t.TempDir()
		o.MaxEvents, o.MaxBytes = 1, 1<<20
		o.SpoolCapacity = 3 * record
	})
	for i := 0; i < 3; i++ {
		if err := q.EnqueueCustom(event); err != nil {
			t.Fatalf("enqueue %d of 3 (one in memory, the others on disk): %v", i, err)
		}
	}
	err := q.EnqueueCustom(event)
	want := fmt.Sprintf("spool capacity %d bytes", 3*record)
	if e := asError(t, err); !errors.Is(err, ErrQueueFull) || !strings.Contains(e.Message, want) {
		t.Errorf("fourth event: got %v, want ErrQueueFull naming the %s", err, want)
	}
	c := q.Counters()
	if c.Enqueued != 3 || c.Refused != 1 || c.Pending != 3 {
		t.Errorf("counters %+v, want 3 taken and pending, 1 refused", c)
	}
	checkIdentity(t, c)
	// Nothing can leave: a short close keeps the events in the spool.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := q.Close(ctx); !errors.Is(err, ErrTimeout) {
		t.Errorf("Close to a dead port: got %v, want ErrTimeout", err)
	}
}

// Options the library refuses come back with its own message, what cannot
// reach C with this package's, and no path leaks C options or a handle.
func TestQueueBadOptionsAreRefused(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	noop := func(Kind, []byte, *Error) {}
	cases := []struct {
		name  string
		edit  func(*QueueOptions)
		want  *Error
		inMsg string
	}{
		{"too many workers", func(o *QueueOptions) { o.Workers = 257 }, ErrInvalidArgument, "queue workers 257 is out of range"},
		{"max age too long", func(o *QueueOptions) { o.MaxAge = 31 * 24 * time.Hour }, ErrInvalidArgument, "max age"},
		{"pause base above max", func(o *QueueOptions) { o.QueueBackoffBase, o.QueueBackoffMax = time.Second, time.Millisecond },
			ErrInvalidArgument, ""},
		{"fsync too rare", func(o *QueueOptions) { o.SpoolFsyncInterval = FsyncInterval(2 * time.Minute) }, ErrInvalidArgument, "fsync"},
		{"spool on a file", func(o *QueueOptions) { o.SpoolDir = notADir; o.OnFailure = noop }, ErrSpoolFailed, notADir},
		{"client option", func(o *QueueOptions) { o.Endpoint = "http://example.com/rest/ua"; o.OnFailure = noop },
			ErrInvalidArgument, "plain http is allowed only for loopback hosts"},
		// This package's own refusals.
		{"events without bytes", func(o *QueueOptions) { o.MaxEvents = 10 }, ErrInvalidArgument, "QueueOptions.MaxEvents and QueueOptions.MaxBytes"},
		{"pause half", func(o *QueueOptions) { o.QueueBackoffMax = 0 }, ErrInvalidArgument, "QueueOptions.QueueBackoffBase and"},
		{"negative max age", func(o *QueueOptions) { o.MaxAge = -time.Second }, ErrInvalidArgument, "QueueOptions.MaxAge is negative"},
		{"fsync beyond uint32", func(o *QueueOptions) { o.SpoolFsyncInterval = FsyncInterval(1 << 62) }, ErrInvalidArgument, "QueueOptions.SpoolFsyncInterval"},
		{"NUL in spool dir", func(o *QueueOptions) { o.SpoolDir = "/tmp/a\x00b" }, ErrInvalidArgument, "QueueOptions.SpoolDir holds a NUL byte at offset 6"},
	}
	for _, tc := range cases {
		opts := testQueueOptions()
		tc.edit(&opts)
		q, err := NewQueue(opts)
		if err == nil {
			_ = q.Close(context.Background())
			t.Errorf("%s: NewQueue accepted the options", tc.name)
			continue
		}
		e := asError(t, err)
		if !errors.Is(err, tc.want) || !strings.Contains(e.Message, tc.inMsg) {
			t.Errorf("%s: got %v, want %s saying %q", tc.name, err, tc.want.Code, tc.inMsg)
		}
		if n := liveCOptions.Load(); n != 0 {
			t.Errorf("%s: %d C options left unfreed", tc.name, n)
		}
		if n := liveHooks.Load(); n != 0 {
			t.Errorf("%s: %d callback handles left undeleted", tc.name, n)
		}
	}
}

// Every queue option the library takes is accepted together, and the
// callbacks' handle goes once the queue is closed.
func TestQueueTakesEveryOption(t *testing.T) {
	logger, _ := newRecordingLogger(0)
	q, err := NewQueue(QueueOptions{
		Options:   testOptions(),
		MaxEvents: 50, MaxBytes: 1 << 16, Workers: 2, MaxAge: time.Minute,
		QueueBackoffBase: 10 * time.Millisecond, QueueBackoffMax: 100 * time.Millisecond,
		SpoolDir: t.TempDir(), SpoolCapacity: 1 << 20, SpoolFsyncInterval: FsyncInterval(0),
		OnFailure: func(Kind, []byte, *Error) {}, Logger: logger,
	})
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	if n := liveHooks.Load(); n != 1 {
		t.Errorf("%d callback handles live, want 1", n)
	}
	if err := q.EnqueueCustom(customEvent("options")); err != nil {
		t.Error(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), queueWait)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := liveHooks.Load(); n != 0 {
		t.Errorf("%d callback handles live after Close, want 0", n)
	}
	if c := q.Counters(); c.Delivered != 1 {
		t.Errorf("counters after Close %+v, want the event delivered", c)
	}
}
