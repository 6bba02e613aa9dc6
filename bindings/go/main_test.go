package coveoua

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The shared emulator every test talks to, started once by TestMain.
// Tests run one after another (none calls t.Parallel), so each may reset the
// emulator's fault rules and event log for itself.
var emu struct {
	endpoint string // http://127.0.0.1:PORT/rest/ua
	control  string // http://127.0.0.1:PORT/_emulator
}

// Credentials the emulator is started with.
const (
	testOrg        = "test-org"
	testKey        = "xx-test-key"
	readonlyKey    = "xx-readonly-key"
	oauthToken     = "oauth-test-token"
	jwtSecret      = "test-jwt-secret"
	unknownKey     = "xx-unknown-key"
	emulatorWait   = 10 * time.Second
	controlTimeout = 5 * time.Second
)

func TestMain(m *testing.M) {
	cmd, err := startEmulator()
	if err != nil {
		fmt.Fprintln(os.Stderr, "coveoua tests: FAIL:", err)
		os.Exit(1)
	}
	code := m.Run()
	stopEmulator(cmd)
	os.Exit(code)
}

// emulatorPath is $UA_EMULATOR_BIN, else the workspace's release build.
func emulatorPath() (string, error) {
	p := os.Getenv("UA_EMULATOR_BIN")
	if p == "" {
		p = filepath.Join("..", "..", "target", "release", "ua-emulator")
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return "", fmt.Errorf("ua-emulator not found at %q (set UA_EMULATOR_BIN or run 'make build')", p)
	}
	return p, nil
}

func startEmulator() (*exec.Cmd, error) {
	bin, err := emulatorPath()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--org", testOrg,
		"--api-key", testKey, "--readonly-key", readonlyKey,
		"--oauth-token", oauthToken, "--jwt-secret", jwtSecret)
	cmd.Stderr = os.Stderr
	// If the test binary dies without cleaning up, the kernel stops the
	// emulator too instead of leaving it orphaned.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		// Keep draining so the emulator never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case line, ok := <-lines:
		i := strings.Index(line, "http://")
		if !ok || i < 0 {
			stopEmulator(cmd)
			return nil, fmt.Errorf("ua-emulator printed no URL line (got %q)", line)
		}
		emu.endpoint = strings.TrimSpace(line[i:])
		emu.control = strings.TrimSuffix(emu.endpoint, "/rest/ua") + "/_emulator"
		return cmd, nil
	case <-time.After(emulatorWait):
		stopEmulator(cmd)
		return nil, fmt.Errorf("ua-emulator printed no URL within %s", emulatorWait)
	}
}

// stopEmulator asks for a clean exit, then kills it if that takes too long.
func stopEmulator(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(emulatorWait):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// control calls the emulator's control API and decodes a JSON answer into
// out (when out is not nil).
func control(t testing.TB, method, path string, body any, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encoding control body: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, emu.control+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := http.Client{Timeout: controlTimeout}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading answer: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, path, data, err)
		}
	}
}

// resetEmulator removes fault rules and logged events, now and when the test ends.
func resetEmulator(t testing.TB) {
	t.Helper()
	control(t, http.MethodDelete, "/faults", nil, nil)
	control(t, http.MethodDelete, "/events", nil, nil)
	t.Cleanup(func() { control(t, http.MethodDelete, "/faults", nil, nil) })
}

// addFault appends one fault rule (see emulator/README.md).
func addFault(t testing.TB, rule map[string]any) {
	t.Helper()
	control(t, http.MethodPost, "/faults", rule, nil)
}

// loggedEvent is one entry of the emulator's log of accepted events.
type loggedEvent struct {
	Seq       int             `json:"seq"`
	Kind      string          `json:"kind"`
	Path      string          `json:"path"`
	Org       string          `json:"org"`
	Body      json.RawMessage `json:"body"`
	VisitorID string          `json:"visitorId"`
}

func loggedEvents(t testing.TB) []loggedEvent {
	t.Helper()
	var evs []loggedEvent
	control(t, http.MethodGet, "/events", nil, &evs)
	return evs
}

type emulatorStats struct {
	Requests      int `json:"requests"`
	Accepted      int `json:"accepted"`
	Rejected      int `json:"rejected"`
	FaultsApplied int `json:"faults_applied"`
}

func stats(t testing.TB) emulatorStats {
	t.Helper()
	var s emulatorStats
	control(t, http.MethodGet, "/stats", nil, &s)
	return s
}

// requestsSeen reads the emulator's request counter without a testing.TB,
// for use on helper goroutines (which must not call t.Fatal).
func requestsSeen() (int, error) {
	hc := http.Client{Timeout: controlTimeout}
	resp, err := hc.Get(emu.control + "/stats")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var s emulatorStats
	err = json.NewDecoder(resp.Body).Decode(&s)
	return s.Requests, err
}

// testOptions are options for the shared emulator with short, bounded waits.
func testOptions() Options {
	return Options{
		Token:       testKey,
		Endpoint:    emu.endpoint,
		Timeout:     5 * time.Second,
		Deadline:    15 * time.Second,
		MaxRetries:  Retries(2),
		BackoffBase: time.Millisecond,
		BackoffMax:  20 * time.Millisecond,
	}
}

// newTestClient creates a client from testOptions as changed by edit, and
// closes it when the test ends.
func newTestClient(t testing.TB, edit func(*Options)) *Client {
	t.Helper()
	opts := testOptions()
	if edit != nil {
		edit(&opts)
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// inGoroutines runs round(g, i) for i < rounds on each of goroutines
// goroutines g, waits for them all, then fails t with every error a round
// passed to report (which any goroutine may call).
func inGoroutines(t testing.TB, goroutines, rounds int, round func(g, i int, report func(error))) {
	t.Helper()
	var mu sync.Mutex
	var errs []error
	report := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				round(g, i, report)
			}
		}(g)
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
}

// Valid events of each kind.
func customEvent(value string) map[string]any {
	return map[string]any{"eventType": "test", "eventValue": value, "language": "en"}
}

func searchEvent() map[string]any {
	return map[string]any{"actionCause": "searchboxSubmit", "language": "en", "queryText": "pump",
		"responseTime": 12, "searchQueryUid": "4f1c8d2e-6b2a-4c1f-9a51-3d2b7e9c0a11"}
}

func clickEvent() map[string]any {
	return map[string]any{"actionCause": "documentOpen", "documentPosition": 1, "language": "en",
		"searchQueryUid": "4f1c8d2e-6b2a-4c1f-9a51-3d2b7e9c0a11", "sourceName": "docs"}
}

func viewEvent() map[string]any {
	return map[string]any{"location": "https://example.com/page", "language": "en"}
}

// asError asserts that err is an *Error and returns it.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if err == nil {
		t.Fatal("expected an error, got success")
	}
	if !errors.As(err, &e) {
		t.Fatalf("expected a *coveoua.Error, got %T: %v", err, err)
	}
	return e
}
