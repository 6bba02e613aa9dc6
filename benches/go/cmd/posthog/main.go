// Command posthog is the posthog-go row of the enqueue benchmark: the cost to
// the calling goroutine of Client.Enqueue of a capture event equivalent to
// the event file's custom event, each call timed on its own, against a
// local server in this process that answers 200 to posthog's batch endpoint
// (the emulator does not serve that path).
//
// The capture carries the same data: Event is the eventType, DistinctId the
// clientId, and every other field of the file is a property. posthog-go
// encodes it to JSON on its own goroutine and sends batches of 250; the
// timed cost is Enqueue only, as for coveoua.Queue. After the timed loop
// Close waits for delivery, and the counters come from posthog's Callback
// (delivered, failed) and the server (attempts: the requests it answered).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/coveo-ua/coveo-ua/benches/go/enqueuebench"
	"github.com/posthog/posthog-go"
)

// outcomes counts what posthog reports for each message.
type outcomes struct{ delivered, failed atomic.Uint64 }

func (o *outcomes) Success(posthog.APIMessage)        { o.delivered.Add(1) }
func (o *outcomes) Failure(posthog.APIMessage, error) { o.failed.Add(1) }

func main() {
	a := enqueuebench.ParseArgs("go-posthog", false)
	var fields map[string]any
	if err := json.Unmarshal(a.Body, &fields); err != nil {
		fmt.Fprintln(os.Stderr, "posthog: the event file is not a JSON object:", err)
		os.Exit(2)
	}
	eventType, _ := fields["eventType"].(string)
	clientID, _ := fields["clientId"].(string)
	properties := posthog.NewProperties()
	for k, v := range fields {
		if k != "eventType" && k != "clientId" {
			properties.Set(k, v)
		}
	}
	capture := posthog.Capture{DistinctId: clientID, Event: eventType, Properties: properties}

	endpoint, requests := serve()
	var seen outcomes
	client, err := posthog.NewWithConfig(a.Token, posthog.Config{Endpoint: endpoint, Callback: &seen})
	if err != nil {
		fmt.Fprintln(os.Stderr, "posthog: NewWithConfig:", err)
		os.Exit(2)
	}
	var enqueued, refused uint64
	timed := enqueuebench.Run(a, func() error {
		err := client.Enqueue(capture)
		if err != nil {
			refused++
		} else {
			enqueued++
		}
		return err
	})

	started := time.Now()
	if err := client.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "posthog: Close:", err)
	}
	drain := time.Since(started)
	delivered, failed := seen.delivered.Load(), seen.failed.Load()
	enqueuebench.Print(a, "posthog-go "+posthog.Version, timed, drain, enqueuebench.Counters{
		Enqueued: enqueued, Delivered: delivered, Failed: failed, Refused: refused,
		Pending: enqueued - delivered - failed, Attempts: requests.Load(),
	})
}

// serve starts the local batch endpoint and returns its base URL and the
// count of requests it answered. It reads each body whole, as a service
// would, and answers as PostHog does.
func serve() (string, *atomic.Uint64) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "posthog: listen:", err)
		os.Exit(2)
	}
	var requests atomic.Uint64
	mux := http.NewServeMux()
	mux.HandleFunc("/batch/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":1}`)
	})
	go func() { _ = http.Serve(l, mux) }()
	return "http://" + l.Addr().String(), &requests
}
