package coveoua

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coveo-ua/coveo-ua/bindings/go/coveouatest"
)

// The shared emulator every test talks to, started once by TestMain.
// Tests run one after another (none calls t.Parallel), so each may reset the
// emulator's fault rules and event log for itself.
var emu struct {
	endpoint string // http://127.0.0.1:PORT/rest/ua
	control  string // http://127.0.0.1:PORT/_emulator
	process  *coveouatest.Emulator
}

// Credentials the emulator is started with.
const (
	testOrg        = "test-org"
	testKey        = "xx-test-key"
	readonlyKey    = "xx-readonly-key"
	oauthToken     = "oauth-test-token"
	jwtSecret      = "test-jwt-secret"
	unknownKey     = "xx-unknown-key"
	controlTimeout = 5 * time.Second
)

func TestMain(m *testing.M) {
	// UA_EMULATOR_BIN, else the workspace's release build (not PATH: these
	// tests are for this checkout's emulator).
	bin := os.Getenv(coveouatest.EnvVar)
	if bin == "" {
		bin = filepath.Join("..", "..", "target", "release", "ua-emulator")
	}
	e, err := coveouatest.StartProcess(coveouatest.Path(bin), coveouatest.Token(testKey), coveouatest.Org(testOrg),
		coveouatest.Args("--readonly-key", readonlyKey, "--oauth-token", oauthToken, "--jwt-secret", jwtSecret))
	if err != nil {
		fmt.Fprintln(os.Stderr, "coveoua tests: FAIL:", err, "(set UA_EMULATOR_BIN or run 'make build')")
		os.Exit(1)
	}
	emu.endpoint, emu.process = e.Endpoint, e
	emu.control = strings.TrimSuffix(e.Endpoint, "/rest/ua") + "/_emulator"
	code := m.Run()
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "coveoua tests:", err)
	}
	os.Exit(code)
}

// control calls the emulator's control API (see coveouatest.Emulator.Control).
func control(t testing.TB, method, path string, body any, out any) {
	t.Helper()
	emu.process.Control(t, method, path, body, out)
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
