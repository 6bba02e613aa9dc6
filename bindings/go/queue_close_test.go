package coveoua

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stallService makes every request hang for a minute, until the test ends.
func stallService(t *testing.T) {
	t.Helper()
	resetEmulator(t)
	addFault(t, map[string]any{"count": 0, "action": "stall", "delay_ms": 60000})
}

// Close against a service that hangs returns once its deadline passes (not
// after the service's minute), hands every event left to OnFailure with
// ErrQueueClosed, and a second Close is harmless.
func TestQueueCloseWithAHangingService(t *testing.T) {
	const events, timeout = 6, time.Second
	stallService(t)
	failures := newFailureLog()
	q := newTestQueue(t, func(o *QueueOptions) { o.Workers = 2; o.OnFailure = failures.record })
	for i := 0; i < events; i++ {
		if err := q.EnqueueCustom(customEvent(fmt.Sprintf("hang-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := q.Close(ctx)
	took := time.Since(started)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: got %v, want ErrTimeout and context.DeadlineExceeded", err)
	} else if msg := asError(t, err).Message; !strings.Contains(msg, "reported to OnFailure with ErrQueueClosed") {
		t.Errorf("Close's message does not say where the events went: %q", msg)
	}
	// Bounds that only a close ignoring its deadline could break: it waits
	// for the deadline, and comes back long before the service's minute.
	if took < timeout || took > timeout+10*time.Second {
		t.Errorf("Close took %s with a %s deadline", took, timeout)
	}

	seen := failures.snapshot()
	for i := 0; i < events; i++ {
		value := fmt.Sprintf("hang-%d", i)
		if e, ok := seen[value]; !ok || !errors.Is(e, ErrQueueClosed) {
			t.Errorf("%s: OnFailure heard %v, want ErrQueueClosed", value, e)
		}
	}
	if len(seen) != events {
		t.Errorf("OnFailure heard of %d events, want %d", len(seen), events)
	}
	c := q.Counters()
	if c.Failed != events || c.Delivered != 0 || c.Pending != 0 {
		t.Errorf("counters %+v, want %d failed and nothing pending", c, events)
	}
	checkIdentity(t, c)

	if err := q.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := q.EnqueueCustom(customEvent("after-close")); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("Enqueue after Close: got %v, want ErrQueueClosed", err)
	}
	if err := q.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close with nothing left: %v", err)
	}
	if got := q.Counters(); got.Refused != 1 || got.Failed != events {
		t.Errorf("counters after the refused enqueue %+v, want it counted as refused", got)
	}
}

// A cancelled context ends Flush and Close at once, while the service hangs.
func TestQueueWaitsEndWithTheirContext(t *testing.T) {
	stallService(t)
	failures := newFailureLog()
	q := newTestQueue(t, func(o *QueueOptions) { o.OnFailure = failures.record })
	if err := q.EnqueueCustom(customEvent("cancelled")); err != nil {
		t.Fatal(err)
	}

	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if err := q.Flush(done); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush with a cancelled context: got %v, want context.Canceled", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	started := time.Now()
	err := q.Flush(ctx)
	// Without the cancellation Flush would wait DefaultQueueWait.
	if took := time.Since(started); !errors.Is(err, context.Canceled) || took >= DefaultQueueWait {
		t.Errorf("Flush cancelled after 100 ms: got %v after %s, want context.Canceled well before %s", err, took, DefaultQueueWait)
	}

	short, cancelShort := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelShort()
	if err := q.Flush(short); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush past its deadline: got %v, want ErrTimeout and context.DeadlineExceeded", err)
	}

	var noContext context.Context // nil on purpose: refused, not a crash
	if err := q.Flush(noContext); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Flush(nil): got %v, want ErrInvalidArgument", err)
	}

	// A Flush waiting in C on another goroutine must not hold Close up: the
	// close wakes it before the queue is freed.
	waiting := make(chan error, 1)
	go func() { waiting <- q.Flush(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // let it reach the library (it is fine if it has not)

	closing, cancelClosing := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancelClosing)
	started = time.Now()
	err = q.Close(closing)
	if took := time.Since(started); !errors.Is(err, context.Canceled) || took >= DefaultQueueWait {
		t.Errorf("Close cancelled after 100 ms: got %v after %s, want context.Canceled well before %s", err, took, DefaultQueueWait)
	}
	select {
	case err := <-waiting:
		// nil once the event has failed, ErrQueueClosed if it saw the stop
		// while the cut-off event was still settling.
		if err != nil && !errors.Is(err, ErrQueueClosed) {
			t.Errorf("the Flush waiting during Close: %v, want nil or ErrQueueClosed", err)
		}
	case <-time.After(DefaultQueueWait / 2):
		t.Error("the Flush waiting during Close is still waiting after Close returned")
	}
	if e := failures.snapshot()["cancelled"]; !errors.Is(e, ErrQueueClosed) {
		t.Errorf("OnFailure heard %v for the event a cancelled Close gave up, want ErrQueueClosed", e)
	}
}

// Events held in a spool survive a Close that cannot deliver them; the next
// queue on the directory recovers and delivers them. Two live queues share
// the directory, each with its own lane.
func TestQueueSpoolCarriesEventsToTheNextQueue(t *testing.T) {
	const events = 7
	resetEmulator(t)
	dir := t.TempDir()
	dead := closedPortEndpoint(t)
	first := newTestQueue(t, func(o *QueueOptions) { o.Endpoint = dead; o.SpoolDir = dir })
	beside := newTestQueue(t, func(o *QueueOptions) { o.SpoolDir = dir })
	if err := beside.EnqueueCustom(customEvent("beside")); err != nil {
		t.Fatalf("a second live queue on the directory: %v", err)
	}
	flushed(t, beside)
	lanes, err := filepath.Glob(filepath.Join(dir, "lane-*"))
	if err != nil || len(lanes) != 2 {
		t.Errorf("lanes of two live queues: %v (%v), want 2", lanes, err)
	}
	// Closed now, so that it cannot adopt what the first queue leaves.
	if err := beside.Close(context.Background()); err != nil {
		t.Errorf("Close of the second queue: %v", err)
	}
	for i := 0; i < events; i++ {
		if err := first.EnqueueCustom(customEvent(fmt.Sprintf("spooled-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = first.Close(ctx)
	if e := asError(t, err); !errors.Is(err, ErrTimeout) || !strings.Contains(e.Message, "stay in the spool") {
		t.Errorf("Close to a dead port: got %v, want ErrTimeout saying the events stay in the spool", err)
	}
	if c := first.Counters(); c.Pending != events || c.Failed != 0 || c.Delivered != 0 {
		t.Errorf("counters of the first queue %+v, want %d pending", c, events)
	}
	if err := first.Flush(context.Background()); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("Flush after Close with events in the spool: got %v, want ErrQueueClosed", err)
	}

	second := newTestQueue(t, func(o *QueueOptions) { o.SpoolDir = dir })
	if c := second.Counters(); c.Recovered != events {
		t.Errorf("the second queue recovered %d events, want %d", c.Recovered, events)
	}
	flushed(t, second)
	logged := loggedValues(t)
	for i := 0; i < events; i++ {
		if value := fmt.Sprintf("spooled-%d", i); logged[value] != 1 {
			t.Errorf("%s was logged %d times, want once", value, logged[value])
		}
	}
	c := second.Counters()
	if c.Delivered != events || c.Enqueued != 0 {
		t.Errorf("counters of the second queue %+v, want %d recovered and delivered", c, events)
	}
	checkIdentity(t, c)
}
