// Package benchutil holds what the Go bench programs share: flags, the timed
// loop with its clock and getrusage readings, and the one-line JSON result in
// the same shape as the C programs print (benches/run.py parses it).
package benchutil

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Args are the command-line settings every Go bench program takes.
type Args struct {
	Endpoint, Token, Label string
	Body                   []byte
	Events, Warmup         int
	CPUProfile             string // pprof output of the timed loop; empty: none
}

// ParseArgs reads the flags and the event file; it exits with status 2 on bad input.
func ParseArgs(defaultLabel string) Args {
	return ParseArgsWith(defaultLabel, 1000, true)
}

// ParseArgsWith is ParseArgs with the default number of timed events, and
// whether --endpoint is needed (a program that serves itself does not).
func ParseArgsWith(defaultLabel string, defaultEvents int, needEndpoint bool) Args {
	endpoint := flag.String("endpoint", "", "base URL ending in /rest/ua")
	token := flag.String("token", "", "API key")
	eventFile := flag.String("event-file", "", "file with the JSON body")
	events := flag.Int("events", defaultEvents, "timed events")
	warmup := flag.Int("warmup", 100, "untimed events sent first")
	label := flag.String("label", defaultLabel, "row name")
	cpuProfile := flag.String("cpuprofile", "", "write a pprof CPU profile of the timed loop to this file")
	flag.Parse()
	if (needEndpoint && *endpoint == "") || *token == "" || *eventFile == "" || *events < 1 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "bench: --token, --event-file, --events >= 1 (and --endpoint, unless the program serves itself) are required")
		os.Exit(2)
	}
	return Args{*endpoint, *token, *label, EventBody(*eventFile), *events, *warmup, *cpuProfile}
}

// EventBody reads the event file, without its trailing newline; a file that
// cannot be read ends the program with status 2.
func EventBody(path string) []byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	return []byte(strings.TrimRight(string(raw), "\r\n"))
}

// cpuMicros is the user and the system CPU of the whole process so far.
func cpuMicros() (user, sys float64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec)*1e6 + float64(ru.Utime.Usec), float64(ru.Stime.Sec)*1e6 + float64(ru.Stime.Usec)
}

// percentileMicros is the nearest-rank percentile of sorted samples.
func percentileMicros(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted))/100 + 0.999999)
	rank = max(1, min(rank, len(sorted)))
	return float64(sorted[rank-1].Nanoseconds()) / 1000
}

// Run warms up, times a.Events calls of send, prints the JSON result and
// exits: status 1 if any send failed (the first failure is shown on stderr).
func Run(a Args, version string, send func() error) {
	for i := 0; i < a.Warmup; i++ {
		if err := send(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: warm-up send failed:", err)
			os.Exit(1)
		}
	}
	lat := make([]time.Duration, a.Events)
	errors := 0
	if a.CPUProfile != "" {
		f, err := os.Create(a.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: cpuprofile:", err)
			os.Exit(2)
		}
		defer f.Close()
	}
	user0, sys0 := cpuMicros()
	t0 := time.Now()
	for i := range lat {
		s := time.Now()
		if err := send(); err != nil {
			if errors == 0 {
				fmt.Fprintln(os.Stderr, "bench: send failed:", err)
			}
			errors++
		}
		lat[i] = time.Since(s)
	}
	secs := time.Since(t0).Seconds()
	user1, sys1 := cpuMicros()
	if a.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	n := float64(a.Events)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	out, _ := json.Marshal(map[string]any{
		"label":                 a.Label,
		"threads":               1,
		"events":                a.Events,
		"errors":                errors,
		"seconds":               secs,
		"events_per_s":          n / secs,
		"p50_us":                percentileMicros(lat, 50),
		"p99_us":                percentileMicros(lat, 99),
		"cpu_us_per_event":      (user1 - user0 + sys1 - sys0) / n,
		"cpu_user_us_per_event": (user1 - user0) / n,
		"cpu_sys_us_per_event":  (sys1 - sys0) / n,
		"maxrss_kb":             ru.Maxrss,
		"version":               version,
	})
	fmt.Println(string(out))
	if errors > 0 {
		os.Exit(1)
	}
}
