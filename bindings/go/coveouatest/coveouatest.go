// Package coveouatest starts ua-emulator, the local Coveo Usage Analytics
// Write API of coveo-ua, for a test, and gives the test what it needs to
// point a client at it and check what it accepted:
//
//	emu := coveouatest.Start(t) // stopped when the test ends
//	client, err := coveoua.NewClient(coveoua.Options{Token: emu.Token, Endpoint: emu.Endpoint, Org: emu.Org})
//	...
//	events := emu.Events(t) // what the emulator accepted, oldest first
//
// The binary is the one named by the Path option, else $UA_EMULATOR_BIN, else
// ua-emulator on PATH. When none is found, Start fails the test with what to
// do: it never skips it. The package uses only the standard library (no cgo).
package coveouatest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The credentials an emulator knows unless the Token and Org options say
// otherwise.
const (
	DefaultToken = "xx-coveo-ua-test-key"
	DefaultOrg   = "test-org"
)

// EnvVar names the emulator binary to use when no Path option is given.
const EnvVar = "UA_EMULATOR_BIN"

// How long the emulator has to print its URL, then to stop; how long a
// control request may take.
const (
	startTimeout   = 15 * time.Second
	stopTimeout    = 10 * time.Second
	controlTimeout = 10 * time.Second
)

// Emulator is a running ua-emulator process.
type Emulator struct {
	// Endpoint is the Write API's base URL, http://127.0.0.1:PORT/rest/ua:
	// the client's endpoint.
	Endpoint string
	// Token is the API key the emulator accepts.
	Token string
	// Org is the emulator's organization.
	Org string

	control string // http://127.0.0.1:PORT/_emulator
	cmd     *exec.Cmd
	exited  chan struct{}
}

// Option changes how Start runs the emulator.
type Option func(*settings)

type settings struct {
	path, token, org string
	args             []string
}

// Path runs the emulator binary at p.
func Path(p string) Option { return func(s *settings) { s.path = p } }

// Token is the API key the emulator accepts (DefaultToken otherwise).
func Token(token string) Option { return func(s *settings) { s.token = token } }

// Org is the emulator's organization (DefaultOrg otherwise).
func Org(org string) Option { return func(s *settings) { s.org = org } }

// Args adds command-line options of the emulator, such as
// Args("--rate-limit", "5") or Args("--readonly-key", "xx-ro").
func Args(args ...string) Option { return func(s *settings) { s.args = append(s.args, args...) } }

// Start runs an emulator for the test and stops it when the test ends. It
// fails the test (t.Fatal) when no binary is found or the emulator does not
// start.
func Start(t testing.TB, opts ...Option) *Emulator {
	t.Helper()
	e, err := StartProcess(opts...)
	if err != nil {
		t.Fatalf("coveouatest: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Errorf("coveouatest: %v", err)
		}
	})
	return e
}

// StartProcess runs an emulator outside a test (a TestMain, say); the caller
// stops it with Stop.
func StartProcess(opts ...Option) (*Emulator, error) {
	s := settings{token: DefaultToken, org: DefaultOrg}
	for _, opt := range opts {
		opt(&s)
	}
	bin, err := findBinary(s.path)
	if err != nil {
		return nil, err
	}
	args := append([]string{"--listen", "127.0.0.1:0", "--org", s.org, "--api-key", s.token}, s.args...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = dieWithParent()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	e := &Emulator{Token: s.token, Org: s.org, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(e.exited) }()
	first := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(out)
		if lines.Scan() {
			first <- lines.Text()
		}
		close(first)
		_, _ = io.Copy(io.Discard, out) // the emulator never blocks on a full pipe
	}()
	select {
	case line := <-first:
		at := strings.Index(line, "http://")
		if at < 0 {
			_ = e.Stop()
			return nil, fmt.Errorf("%s printed no URL (got %q)", bin, line)
		}
		e.Endpoint = strings.TrimSpace(line[at:])
		e.control = strings.TrimSuffix(e.Endpoint, "/rest/ua") + "/_emulator"
		return e, nil
	case <-time.After(startTimeout):
		_ = e.Stop()
		return nil, fmt.Errorf("%s printed no URL within %s", bin, startTimeout)
	}
}

// findBinary applies the search order of the package documentation.
func findBinary(path string) (string, error) {
	if path != "" {
		return existing(path, "the Path option")
	}
	if given := os.Getenv(EnvVar); given != "" {
		return existing(given, "$"+EnvVar)
	}
	if found, err := exec.LookPath("ua-emulator"); err == nil {
		return found, nil
	}
	return "", errors.New("no ua-emulator found: give its path with coveouatest.Path, set " + EnvVar +
		", or put it on PATH (`cargo install --locked --path emulator` in a coveo-ua checkout, " +
		"or bin/ua-emulator of the `make dist` tarball)")
}

func existing(path, from string) (string, error) {
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return "", fmt.Errorf("%s names %q, which is not a file", from, path)
	}
	return path, nil
}

// Stop stops the emulator (SIGTERM, then a kill after 10 s). Stopping it
// again does nothing.
func (e *Emulator) Stop() error {
	select {
	case <-e.exited:
		return nil
	default:
	}
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = e.cmd.Process.Kill() // no SIGTERM on this platform
	}
	select {
	case <-e.exited:
		return nil
	case <-time.After(stopTimeout):
		_ = e.cmd.Process.Kill()
		<-e.exited
		return fmt.Errorf("ua-emulator did not stop within %s of SIGTERM; killed", stopTimeout)
	}
}

// Event is one event the emulator accepted.
type Event struct {
	Seq int `json:"seq"`
	// Kind is "search", "click", "custom", "view" or "collect" (each item of a
	// search batch is a "search").
	Kind string `json:"kind"`
	// Path is the request's path, e.g. /rest/ua/v15/analytics/custom.
	Path string `json:"path"`
	Org  string `json:"org"`
	// Body is the event as accepted.
	Body      json.RawMessage `json:"body"`
	VisitorID string          `json:"visitorId"`
	ClientID  string          `json:"clientId"`
	VisitID   string          `json:"visitId"`
}

// Events returns what the emulator accepted, oldest first.
func (e *Emulator) Events(t testing.TB) []Event {
	t.Helper()
	var events []Event
	e.Control(t, http.MethodGet, "/events", nil, &events)
	return events
}

// ClearEvents empties the emulator's event log.
func (e *Emulator) ClearEvents(t testing.TB) {
	t.Helper()
	e.Control(t, http.MethodDelete, "/events", nil, nil)
}

// Fault makes the next count requests fail with the HTTP status (count 0:
// every request until ClearFaults).
func (e *Emulator) Fault(t testing.TB, status, count int) {
	t.Helper()
	e.AddFault(t, map[string]any{"status": status, "count": count})
}

// AddFault posts one fault rule in the emulator's own terms, such as
// {"status": 503, "retry_after": "2", "path": "/rest/ua/v15/analytics/click",
// "duration_ms": 3000} or {"action": "reset"} (emulator/README.md, "Fault
// rules"). A rule the emulator refuses fails the test with its reason.
func (e *Emulator) AddFault(t testing.TB, rule map[string]any) {
	t.Helper()
	e.Control(t, http.MethodPost, "/faults", rule, nil)
}

// ClearFaults removes every pending fault rule.
func (e *Emulator) ClearFaults(t testing.TB) {
	t.Helper()
	e.Control(t, http.MethodDelete, "/faults", nil, nil)
}

// Latency makes every later request wait ms milliseconds (0: none).
func (e *Emulator) Latency(t testing.TB, ms int) {
	t.Helper()
	e.Control(t, http.MethodPut, "/latency", map[string]any{"latency_ms": ms}, nil)
}

// Outage makes the emulator refuse connections for ms milliseconds, then
// listen again on the same port. It returns once a connection was refused,
// so what the test does next meets the outage.
func (e *Emulator) Outage(t testing.TB, ms int) {
	t.Helper()
	e.Control(t, http.MethodPost, "/outage", map[string]any{"refuse_ms": ms}, nil)
	addr := strings.TrimSuffix(strings.TrimPrefix(e.Endpoint, "http://"), "/rest/ua")
	for end := time.Now().Add(time.Duration(ms) * time.Millisecond); time.Now().Before(end); {
		c, err := net.DialTimeout("tcp", addr, controlTimeout)
		if err == nil {
			c.Close()
		} else if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("coveouatest: the emulator kept accepting connections during a %d ms outage", ms)
}

// Reset brings the emulator back to a fresh state: no fault rules, no
// latency, an empty event log, counters at zero.
func (e *Emulator) Reset(t testing.TB) {
	t.Helper()
	e.ClearFaults(t)
	e.Latency(t, 0)
	e.ClearEvents(t)
	e.Control(t, http.MethodDelete, "/stats", nil, nil)
}

// Control makes one request of the emulator's control API (path under
// /_emulator, e.g. "/stats"; body marshalled as JSON unless nil) and decodes
// its JSON answer into out (unless out is nil). Any failure, a refusal by the
// emulator included, fails the test.
func (e *Emulator) Control(t testing.TB, method, path string, body, out any) {
	t.Helper()
	var payload io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("coveouatest: encoding %s %s: %v", method, path, err)
		}
		payload = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.control+path, payload)
	if err != nil {
		t.Fatalf("coveouatest: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := http.Client{Timeout: controlTimeout}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("coveouatest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("coveouatest: %s %s: reading the answer: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("coveouatest: %s %s: HTTP %d: %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("coveouatest: %s %s: decoding %q: %v", method, path, data, err)
		}
	}
}
