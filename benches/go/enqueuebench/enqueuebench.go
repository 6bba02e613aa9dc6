// Package enqueuebench holds what the enqueue bench programs share (cmd/queue
// for coveoua.Queue, cmd/posthog for posthog-go): the flags every Go bench
// program takes, the timed loop that clocks each Enqueue call on its own,
// and the one-line JSON result with the counters read once delivery ended.
//
// Only the caller's cost is timed: both libraries deliver in the background,
// and that work (and its CPU) is not in p50_ns, p99_ns or mean_ns.
package enqueuebench

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/coveo-ua/coveo-ua/benches/go/benchutil"
)

// Args are the command-line settings, the same flags as benchutil's.
type Args struct {
	Endpoint, Token, Label string
	Body                   []byte
	Events, Warmup         int
}

// ParseArgs reads the flags (define program-specific ones with the flag
// package first) and the event file; it exits with status 2 on bad input.
// A program that serves itself (posthog) does not need --endpoint.
func ParseArgs(defaultLabel string, needEndpoint bool) Args {
	a := benchutil.ParseArgsWith(defaultLabel, 10000, needEndpoint)
	return Args{a.Endpoint, a.Token, a.Label, a.Body, a.Events, a.Warmup}
}

// Counters say what became of the events once delivery ended, in the
// shape of coveoua.Counters.
type Counters struct {
	Enqueued  uint64 `json:"enqueued"`
	Delivered uint64 `json:"delivered"`
	Failed    uint64 `json:"failed"`
	Refused   uint64 `json:"refused"`
	Pending   uint64 `json:"pending"`
	Attempts  uint64 `json:"attempts"`
	Recovered uint64 `json:"recovered"`
	Workers   uint64 `json:"workers"`
}

// Timed is what the timed loop measured.
type Timed struct {
	lat     []time.Duration
	errors  int
	seconds float64
}

// Run makes a.Warmup untimed calls, then a.Events calls each timed on its
// own. A refused call is counted, not fatal: the counters say why.
func Run(a Args, enqueue func() error) Timed {
	for i := 0; i < a.Warmup; i++ {
		_ = enqueue()
	}
	t := Timed{lat: make([]time.Duration, a.Events)}
	started := time.Now()
	for i := range t.lat {
		s := time.Now()
		err := enqueue()
		t.lat[i] = time.Since(s)
		if err != nil {
			if t.errors == 0 {
				fmt.Fprintln(os.Stderr, "bench: enqueue refused:", err)
			}
			t.errors++
		}
	}
	t.seconds = time.Since(started).Seconds()
	return t
}

// nearestRank is the nearest-rank percentile of sorted samples, in ns.
func nearestRank(sorted []time.Duration, p float64) int64 {
	rank := int(p*float64(len(sorted))/100 + 0.999999)
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1].Nanoseconds()
}

// Print writes the one JSON line; drain is how long delivery took after the
// timed loop (Flush or Close). It exits with status 1 if a call was refused
// or an event did not reach the server.
func Print(a Args, version string, t Timed, drain time.Duration, c Counters) {
	sort.Slice(t.lat, func(i, j int) bool { return t.lat[i] < t.lat[j] })
	var total time.Duration
	for _, d := range t.lat {
		total += d
	}
	out, _ := json.Marshal(map[string]any{
		"label":         a.Label,
		"events":        a.Events,
		"warmup":        a.Warmup,
		"event_bytes":   len(a.Body),
		"errors":        t.errors,
		"p50_ns":        nearestRank(t.lat, 50),
		"p99_ns":        nearestRank(t.lat, 99),
		"mean_ns":       total.Nanoseconds() / int64(len(t.lat)),
		"seconds":       t.seconds,
		"drain_seconds": drain.Seconds(),
		"counters":      c,
		"version":       version,
	})
	fmt.Println(string(out))
	if t.errors > 0 || c.Delivered != uint64(a.Events+a.Warmup) {
		os.Exit(1)
	}
}
