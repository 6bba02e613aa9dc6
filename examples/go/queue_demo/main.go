// Command queue_demo shows coveoua.Queue against a running emulator (the
// demo runs it beside ua-emulator): events handed off in microseconds while
// the service answers slowly, a 1.5 s outage ridden out with a few probes,
// the counters, and a failure delivered to OnFailure.
//
// It reads UA_ENDPOINT, UA_TOKEN and UA_ORG, and drives the emulator's
// control API next to UA_ENDPOINT; it puts the emulator back as it found it
// (no latency, no fault rules). It exits non-zero when an outcome differs
// from what it announces.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	coveoua "github.com/coveo-ua/coveo-ua/bindings/go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "queue_demo:", err)
		os.Exit(1)
	}
}

func run() error {
	endpoint, token, org := os.Getenv("UA_ENDPOINT"), os.Getenv("UA_TOKEN"), os.Getenv("UA_ORG")
	if endpoint == "" || token == "" {
		return errors.New("set UA_ENDPOINT and UA_TOKEN (make demo does)")
	}
	emu := emulator(strings.TrimSuffix(endpoint, "/rest/ua") + "/_emulator")
	// Whatever happens, the demos after this one get a normal emulator.
	defer func() {
		_ = emu.call(http.MethodPut, "/latency", `{"latency_ms":0}`, nil)
		_ = emu.call(http.MethodDelete, "/faults", "", nil)
	}()

	opts := coveoua.QueueOptions{
		Options: coveoua.Options{Token: token, Endpoint: endpoint, Org: org, UserAgent: "queue-demo/1.0"},
		// A short shared pause keeps the demo short; the defaults (1 s,
		// doubling to 30 s) suit a real service.
		QueueBackoffBase: 200 * time.Millisecond, QueueBackoffMax: time.Second,
		// The library's own lines (pauses, failures) at warn and above.
		Logger: slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: withoutTime})),
	}
	queue, err := coveoua.NewQueue(opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	defer queue.Close(ctx)
	fmt.Printf("coveo-ua %s, Go binding, delivery queue, endpoint %s\n", coveoua.Version(), endpoint)

	// 1. A slow service does not slow the caller down.
	if err := emu.call(http.MethodPut, "/latency", `{"latency_ms":200}`, nil); err != nil {
		return err
	}
	const slowEvents = 40
	took, err := enqueueTimed(queue, "slow", slowEvents)
	if err != nil {
		return err
	}
	started := time.Now()
	if err := queue.Flush(ctx); err != nil {
		return fmt.Errorf("flush of the slow events: %w", err)
	}
	fmt.Printf("\n1. service answering in 200 ms: %d events enqueued in %s (%s each);\n   the workers delivered them in %s\n",
		slowEvents, took.Round(time.Microsecond), (took / slowEvents).Round(100*time.Nanosecond), time.Since(started).Round(time.Millisecond))
	if err := emu.call(http.MethodPut, "/latency", `{"latency_ms":0}`, nil); err != nil {
		return err
	}

	// 2. A 1.5 s outage: the queue pauses and probes instead of retrying
	// every pending event.
	var before, after stats
	if err := emu.call(http.MethodGet, "/stats", "", &before); err != nil {
		return err
	}
	if err := emu.call(http.MethodPost, "/faults", `{"duration_ms":1500,"status":503}`, nil); err != nil {
		return err
	}
	const outageEvents = 100
	fmt.Printf("\n2. a 1.5 s outage (every request answered 503), %d events enqueued into it:\n", outageEvents)
	if _, err := enqueueTimed(queue, "outage", outageEvents); err != nil {
		return err
	}
	started = time.Now()
	if err := queue.Flush(ctx); err != nil {
		return fmt.Errorf("flush through the outage: %w", err)
	}
	if err := emu.call(http.MethodGet, "/stats", "", &after); err != nil {
		return err
	}
	refused := after.FaultsByKind["custom"] - before.FaultsByKind["custom"]
	fmt.Printf("   all delivered %s later; the service answered only %d requests with 503:\n   the first tries in flight, then one probe per pause, not a retry per pending event\n",
		time.Since(started).Round(time.Millisecond), refused)

	// 3. The counters account for every event.
	c := queue.Counters()
	fmt.Printf("\n3. counters: enqueued %d, delivered %d, failed %d, refused %d, pending %d, attempts %d, recovered %d\n",
		c.Enqueued, c.Delivered, c.Failed, c.Refused, c.Pending, c.Attempts, c.Recovered)
	if c.Delivered != slowEvents+outageEvents || c.Enqueued+c.Recovered != c.Delivered+c.Failed+c.Pending {
		return fmt.Errorf("the counters do not add up: %+v", c)
	}
	if err := queue.Close(ctx); err != nil {
		return fmt.Errorf("close: %w", err)
	}

	// 4. An event the service refuses reaches OnFailure. With local checks
	// on, Enqueue would have refused it at once; off, the service decides.
	return failureToCallback(ctx, opts)
}

// failureToCallback enqueues a custom event without its eventType with local
// checks off, and shows what OnFailure hears.
func failureToCallback(ctx context.Context, opts coveoua.QueueOptions) error {
	var mu sync.Mutex
	var heard []*coveoua.Error
	opts.DisableLocalChecks = true
	opts.Logger = nil // the callback below says it
	opts.OnFailure = func(kind coveoua.Kind, event []byte, err *coveoua.Error) {
		fmt.Printf("   OnFailure: %s event %s\n   failed for good: %v\n", kind, event, err)
		mu.Lock()
		heard = append(heard, err)
		mu.Unlock()
	}
	queue, err := coveoua.NewQueue(opts)
	if err != nil {
		return err
	}
	defer queue.Close(ctx)
	fmt.Println("\n4. local checks off, a custom event without its eventType:")
	if err := queue.EnqueueCustom(map[string]any{"eventValue": "no type", "language": "en"}); err != nil {
		return fmt.Errorf("with local checks off the event should be taken: %w", err)
	}
	if err := queue.Flush(ctx); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 1 || !errors.Is(heard[0], coveoua.ErrMissingParameter) {
		return fmt.Errorf("OnFailure heard %v, want one ErrMissingParameter", heard)
	}
	fmt.Println("\nqueue_demo: every outcome was the expected one")
	return nil
}

// enqueueTimed enqueues n custom events and returns the time the calls took.
func enqueueTimed(queue *coveoua.Queue, prefix string, n int) (time.Duration, error) {
	events := make([]map[string]any, n)
	for i := range events {
		events[i] = map[string]any{"eventType": "demo", "eventValue": fmt.Sprintf("%s-%d", prefix, i), "language": "en"}
	}
	var took time.Duration
	for _, ev := range events {
		started := time.Now()
		err := queue.EnqueueCustom(ev)
		took += time.Since(started)
		if err != nil {
			return took, fmt.Errorf("enqueue: %w", err)
		}
	}
	return took, nil
}

// withoutTime drops the time from the log lines, which the demo prints
// among its own.
func withoutTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}

// stats is the part of GET /_emulator/stats the demo reads.
type stats struct {
	FaultsByKind map[string]int `json:"faults_by_kind"`
}

// emulator is the base URL of the emulator's control API.
type emulator string

// call sends one control request and decodes the answer into out (if not nil).
func (e emulator) call(method, path, body string, out any) error {
	req, err := http.NewRequest(method, string(e)+path, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("emulator control API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("emulator control API: %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
