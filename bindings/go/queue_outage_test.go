package coveoua

import (
	"fmt"
	"net/http"
	"testing"
)

// outageEvents is how many events each outage test holds through the outage.
const outageEvents = 200

// enqueueValues enqueues outageEvents custom events named prefix-N.
func enqueueValues(t *testing.T, q *Queue, prefix string) {
	t.Helper()
	for i := 0; i < outageEvents; i++ {
		if err := q.EnqueueCustom(customEvent(fmt.Sprintf("%s-%d", prefix, i))); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
}

// allLoggedOnce checks that every prefix-N event reached the emulator.
func allLoggedOnce(t *testing.T, prefix string) {
	t.Helper()
	logged := loggedValues(t)
	for i := 0; i < outageEvents; i++ {
		// At least once: a lost answer may repeat one, never drop one.
		if value := fmt.Sprintf("%s-%d", prefix, i); logged[value] < 1 {
			t.Errorf("%s never reached the emulator", value)
		}
	}
}

// A 1.5 s window of 503s: the queue pauses and probes instead of retrying
// each pending event, and delivers everything once the service is back.
func TestQueueRidesOutA503Window(t *testing.T) {
	resetEmulator(t)
	q := newTestQueue(t, nil)
	before := statsByKind(t)
	addFault(t, map[string]any{"duration_ms": 1500, "status": 503})
	enqueueValues(t, q, "outage-503")
	flushed(t, q)
	allLoggedOnce(t, "outage-503")

	after := statsByKind(t)
	refused := after.FaultsByKind["custom"] - before.FaultsByKind["custom"]
	requests := after.RequestsByKind["custom"] - before.RequestsByKind["custom"]
	// Each pending event retried even once would be outageEvents 503s.
	if refused < 1 || refused >= outageEvents/2 {
		t.Errorf("the emulator answered %d requests with 503 during the window; want some, and far fewer than the %d pending events",
			refused, outageEvents)
	}
	c := q.Counters()
	if c.Delivered != outageEvents || c.Failed != 0 || uint64(requests) != c.Attempts {
		t.Errorf("counters %+v; want %d delivered, and the attempts to match the %d requests the emulator saw",
			c, outageEvents, requests)
	}
	t.Logf("%d events through a 1.5 s 503 window: %d requests, %d of them refused", outageEvents, requests, refused)
}

// A 1 s window in which the emulator refuses connections: the same, counted
// by the queue's attempts, as refused connections reach no server.
func TestQueueRidesOutRefusedConnections(t *testing.T) {
	resetEmulator(t)
	q := newTestQueue(t, nil)
	control(t, http.MethodPost, "/outage", map[string]any{"refuse_ms": 1000}, nil)
	enqueueValues(t, q, "outage-refused")
	flushed(t, q)
	allLoggedOnce(t, "outage-refused")
	c := q.Counters()
	failedTries := c.Attempts - c.Delivered
	if c.Delivered != outageEvents || failedTries < 1 || failedTries >= outageEvents/2 {
		t.Errorf("counters %+v: %d attempts failed; want some, and far fewer than the %d pending events",
			c, failedTries, outageEvents)
	}
	t.Logf("%d events through a 1 s refused-connection window: %d attempts", outageEvents, c.Attempts)
}
