package coveoua

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// queueWait bounds every Flush and Close of the tests that expect success:
// generous, as -race and a loaded machine make everything slower.
const queueWait = 60 * time.Second

// testQueueOptions are the test client options with a short shared pause,
// so that an outage costs the tests fractions of a second, not the default
// second and more.
func testQueueOptions() QueueOptions {
	return QueueOptions{
		Options:          testOptions(),
		QueueBackoffBase: 20 * time.Millisecond,
		QueueBackoffMax:  200 * time.Millisecond,
	}
}

// newTestQueue makes a queue from testQueueOptions as changed by edit. When
// the test ends it closes the queue and checks the counters' identity, so
// that no test can lose an event uncounted.
func newTestQueue(t testing.TB, edit func(*QueueOptions)) *Queue {
	t.Helper()
	opts := testQueueOptions()
	if edit != nil {
		edit(&opts)
	}
	q, err := NewQueue(opts)
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), queueWait)
		defer cancel()
		_ = q.Close(ctx)
		checkIdentity(t, q.Counters())
	})
	return q
}

// checkIdentity asserts ENQUEUED + RECOVERED = DELIVERED + FAILED + PENDING,
// which holds exactly once nothing moves (after Flush or Close).
func checkIdentity(t testing.TB, c Counters) {
	t.Helper()
	if in, out := c.Enqueued+c.Recovered, c.Delivered+c.Failed+c.Pending; in != out {
		t.Errorf("counters break the identity: enqueued %d + recovered %d != delivered %d + failed %d + pending %d (%+v)",
			c.Enqueued, c.Recovered, c.Delivered, c.Failed, c.Pending, c)
	}
}

// flushed flushes q within queueWait, failing the test otherwise.
func flushed(t testing.TB, q *Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), queueWait)
	defer cancel()
	if err := q.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v (counters %+v)", err, q.Counters())
	}
}

// closedPortEndpoint is an endpoint on a loopback port nobody listens on:
// every connection is refused at once.
func closedPortEndpoint(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr + "/rest/ua"
}

// loggedValues counts the emulator's logged events by their eventValue.
func loggedValues(t testing.TB) map[string]int {
	t.Helper()
	values := map[string]int{}
	for _, ev := range loggedEvents(t) {
		var body struct {
			EventValue string `json:"eventValue"`
		}
		if err := json.Unmarshal(ev.Body, &body); err != nil {
			t.Fatalf("logged body %s: %v", ev.Body, err)
		}
		values[body.EventValue]++
	}
	return values
}

// kindStats are the emulator counters split by path.
type kindStats struct {
	RequestsByKind map[string]int `json:"requests_by_kind"`
	FaultsByKind   map[string]int `json:"faults_by_kind"`
}

func statsByKind(t testing.TB) kindStats {
	t.Helper()
	var s kindStats
	control(t, http.MethodGet, "/stats", nil, &s)
	return s
}

// failureLog records what OnFailure heard, safe for the queue's threads.
type failureLog struct {
	mu     sync.Mutex
	events map[string]*Error // by eventValue
	kinds  []Kind
}

func newFailureLog() *failureLog { return &failureLog{events: map[string]*Error{}} }

func (f *failureLog) record(kind Kind, event []byte, err *Error) {
	var body struct {
		EventValue string `json:"eventValue"`
	}
	_ = json.Unmarshal(event, &body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events[body.EventValue] = err
	f.kinds = append(f.kinds, kind)
}

func (f *failureLog) snapshot() map[string]*Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]*Error, len(f.events))
	for k, v := range f.events {
		out[k] = v
	}
	return out
}

// recordingHandler is a slog.Handler that keeps every record at or above
// its level, for the tests to read.
type recordingHandler struct {
	level slog.Level
	mu    *sync.Mutex
	lines *[]logLine
}

type logLine struct {
	level   slog.Level
	message string
	attrs   map[string]string
}

func newRecordingLogger(level slog.Level) (*slog.Logger, *recordingHandler) {
	h := &recordingHandler{level: level, mu: &sync.Mutex{}, lines: &[]logLine{}}
	return slog.New(h), h
}

func (h *recordingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	line := logLine{level: r.Level, message: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		line.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.lines = append(*h.lines, line)
	return nil
}

func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// find returns the lines at level whose message contains text.
func (h *recordingHandler) find(level slog.Level, text string) []logLine {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []logLine
	for _, l := range *h.lines {
		if l.level == level && strings.Contains(l.message, text) {
			out = append(out, l)
		}
	}
	return out
}

func (h *recordingHandler) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, l := range *h.lines {
		fmt.Fprintf(&b, "  %s %s\n", l.level, l.message)
	}
	return b.String()
}
