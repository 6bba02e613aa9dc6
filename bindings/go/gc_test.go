package coveoua

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// gcStressRounds is small by default so every `go test` exercises the path;
// COVEOUA_GC_STRESS=1 makes it long enough to catch a rare missing KeepAlive.
func gcStressRounds() int {
	if os.Getenv("COVEOUA_GC_STRESS") == "1" {
		return 300
	}
	return 25
}

// sendWithThrowawayClient creates a client, sends once and drops the client
// without Close: from the C call on, only KeepAlive stops the finalizer from
// freeing the handle under the library.
func sendWithThrowawayClient(value string) error {
	c, err := NewClient(testOptions())
	if err != nil {
		return err
	}
	_, err = c.SendCustom(context.Background(), customEvent(value))
	return err
}

// Sends race with a collector that runs non-stop, on throwaway clients (left
// to their finalizers) and on a shared one; every event must arrive once.
func TestSendsUnderConstantGC(t *testing.T) {
	resetEmulator(t)
	rounds := gcStressRounds()
	// Slow answers widen the window in which a finalizer could free a handle
	// that C is still using.
	addFault(t, map[string]any{"count": 0, "delay_ms": 5})
	shared := newTestClient(t, nil)

	stop := make(chan struct{})
	collectorDone := make(chan struct{})
	go func() {
		defer close(collectorDone)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()

	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*2)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if err := sendWithThrowawayClient(fmt.Sprintf("gc-own-%d-%d", w, i)); err != nil {
					errs <- err
				}
				if _, err := shared.SendCustom(context.Background(), customEvent(fmt.Sprintf("gc-shared-%d-%d", w, i))); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(stop)
	<-collectorDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Let the finalizers of the throwaway clients run (bounded).
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got, want := len(loggedEvents(t)), workers*rounds*2; got != want {
		t.Errorf("emulator logged %d events, want %d", got, want)
	}
}
