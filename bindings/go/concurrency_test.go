package coveoua

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Many goroutines share one client while some attempts fail and are retried;
// what they report must match what the emulator received, event by event.
func TestSharedClientAcrossGoroutines(t *testing.T) {
	const goroutines, perGoroutine, faults = 8, 12, 5
	resetEmulator(t)
	faultsBefore := stats(t).FaultsApplied
	addFault(t, map[string]any{"count": faults, "action": "respond", "status": 503})
	c := newTestClient(t, func(o *Options) { o.MaxRetries = Retries(faults + 1) })

	type sent struct {
		visitor  string
		attempts int
	}
	var mu sync.Mutex
	results := map[string]sent{}
	inGoroutines(t, goroutines, perGoroutine, func(g, i int, report func(error)) {
		value := fmt.Sprintf("g%d-e%d", g, i)
		res, err := c.SendCustom(context.Background(), customEvent(value))
		if err != nil {
			report(fmt.Errorf("%s: %w", value, err))
			return
		}
		mu.Lock()
		results[value] = sent{res.VisitorID, res.Attempts}
		mu.Unlock()
	})
	if t.Failed() {
		t.FailNow()
	}

	attempts := 0
	for _, r := range results {
		attempts += r.attempts
	}
	if want := goroutines*perGoroutine + faults; attempts != want {
		t.Errorf("attempts reported sum to %d, want %d (one per event plus one per 503)", attempts, want)
	}
	if applied := stats(t).FaultsApplied - faultsBefore; applied != faults {
		t.Errorf("emulator applied %d faults, want %d", applied, faults)
	}
	logged := map[string]int{}
	for _, ev := range loggedEvents(t) {
		var body struct {
			EventValue string `json:"eventValue"`
		}
		if err := json.Unmarshal(ev.Body, &body); err != nil {
			t.Fatalf("logged body %s: %v", ev.Body, err)
		}
		logged[body.EventValue]++
		r, ok := results[body.EventValue]
		if !ok {
			t.Errorf("the emulator logged %q, which no goroutine sent", body.EventValue)
		} else if r.visitor != ev.VisitorID {
			t.Errorf("%s: result visitorId %q, log says %q", body.EventValue, r.visitor, ev.VisitorID)
		}
	}
	for value := range results {
		if logged[value] != 1 {
			t.Errorf("%s was logged %d times, want once", value, logged[value])
		}
	}
}

// Close is idempotent, and a closed client refuses with a clear error.
func TestCloseTwiceThenSend(t *testing.T) {
	c, err := NewClient(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = c.SendCustom(context.Background(), customEvent("after-close"))
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("send after Close: got %v, want ErrClosed and ErrInvalidArgument", err)
	}
	if !strings.Contains(err.Error(), "closed") {
		t.Errorf("the error does not say the client is closed: %v", err)
	}
}

// Close racing with sends on other goroutines: every send either completes
// or reports ErrClosed, and nothing crashes (run under -race).
func TestCloseWhileSending(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, nil)
	const goroutines, perGoroutine = 6, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, closed := 0, 0
	var unexpected []error
	start := make(chan struct{})
	// The closers wait for a first success, so sends both before and after
	// Close are exercised.
	firstOK := make(chan struct{})
	var once sync.Once
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			for i := 0; i < perGoroutine; i++ {
				_, err := c.SendCustom(context.Background(), customEvent(fmt.Sprintf("close-race-%d-%d", g, i)))
				mu.Lock()
				switch {
				case err == nil:
					ok++
					once.Do(func() { close(firstOK) })
				case errors.Is(err, ErrClosed):
					closed++
				default:
					unexpected = append(unexpected, err)
				}
				mu.Unlock()
			}
		}(g)
	}
	close(start)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-firstOK:
			case <-time.After(10 * time.Second): // every send failed: reported below
			}
			_ = c.Close()
		}()
	}
	wg.Wait()
	t.Logf("%d sends succeeded, %d saw ErrClosed", ok, closed)
	if ok == 0 {
		t.Error("no send succeeded before Close")
	}
	for _, err := range unexpected {
		t.Errorf("unexpected error: %v", err)
	}
	if ok+closed != goroutines*perGoroutine {
		t.Errorf("%d sends succeeded and %d saw ErrClosed, want %d in all", ok, closed, goroutines*perGoroutine)
	}
	if n := len(loggedEvents(t)); n != ok {
		t.Errorf("emulator logged %d events, sends reported %d successes", n, ok)
	}
}
