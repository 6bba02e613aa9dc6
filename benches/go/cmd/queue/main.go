// Command queue is the coveoua.Queue row of the enqueue benchmark: the cost
// to the calling goroutine of Queue.Enqueue of one custom event (local
// checks on, the library's defaults otherwise), each call timed on its own.
// The workers deliver to --endpoint meanwhile; after the timed loop Flush
// waits for them and the queue's counters are printed.
//
// --form json (the default) hands the event file's bytes over as JSON text,
// as the other rows send it; --form map hands a map[string]any decoded from
// it, which Enqueue marshals on every call, as posthog-go's Capture is a
// struct with a properties map.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/coveo-ua/coveo-ua/benches/go/enqueuebench"
	coveoua "github.com/coveo-ua/coveo-ua/bindings/go"
)

func main() {
	form := flag.String("form", "json", "how the event is handed over: json (bytes) or map")
	a := enqueuebench.ParseArgs("go-coveoua-queue", true)
	var event any = a.Body
	switch *form {
	case "json":
	case "map":
		var m map[string]any
		if err := json.Unmarshal(a.Body, &m); err != nil {
			fmt.Fprintln(os.Stderr, "queue: the event file is not a JSON object:", err)
			os.Exit(2)
		}
		event = m
		if a.Label == "go-coveoua-queue" {
			a.Label += "-map"
		}
	default:
		fmt.Fprintln(os.Stderr, "queue: --form is json or map")
		os.Exit(2)
	}
	total := a.Events + a.Warmup
	queue, err := coveoua.NewQueue(coveoua.QueueOptions{
		Options: coveoua.Options{Token: a.Token, Endpoint: a.Endpoint},
		// Room for every event, so that the row measures taking events and
		// never a refusal because the workers fell behind.
		MaxEvents: uint32(total), MaxBytes: uint64(total) * uint64(len(a.Body)+64),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "queue: NewQueue:", err)
		os.Exit(2)
	}
	timed := enqueuebench.Run(a, func() error { return queue.EnqueueCustom(event) })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	started := time.Now()
	if err := queue.Flush(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "queue: Flush:", err)
	}
	drain := time.Since(started)
	c := queue.Counters()
	if err := queue.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "queue: Close:", err)
	}
	enqueuebench.Print(a, coveoua.Version(), timed, drain, enqueuebench.Counters(c))
}
