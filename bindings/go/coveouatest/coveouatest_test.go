package coveouatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	coveoua "github.com/coveo-ua/coveo-ua/bindings/go"
	"github.com/coveo-ua/coveo-ua/bindings/go/coveouatest"
)

// client is a coveoua client of emu that does not retry.
func client(t *testing.T, emu *coveouatest.Emulator) *coveoua.Client {
	t.Helper()
	c, err := coveoua.NewClient(coveoua.Options{Token: emu.Token, Endpoint: emu.Endpoint, Org: emu.Org,
		MaxRetries: coveoua.Retries(0), Timeout: 5 * time.Second, Deadline: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func custom(value string) map[string]any {
	return map[string]any{"eventType": "coveouatest", "eventValue": value, "language": "en"}
}

func values(t *testing.T, events []coveouatest.Event) []string {
	t.Helper()
	var out []string
	for _, e := range events {
		var body struct {
			EventValue string `json:"eventValue"`
		}
		if err := json.Unmarshal(e.Body, &body); err != nil {
			t.Fatalf("event body %s: %v", e.Body, err)
		}
		out = append(out, body.EventValue)
	}
	return out
}

// The example of docs/testing.md, as written there.
func TestSignupLogsOneEvent(t *testing.T) {
	emu := coveouatest.Start(t) // ua-emulator from $UA_EMULATOR_BIN, else PATH
	client, err := coveoua.NewClient(coveoua.Options{Token: emu.Token, Endpoint: emu.Endpoint, Org: emu.Org})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.SendCustom(context.Background(), map[string]any{"eventType": "signup", "eventValue": "trial", "language": "en"}); err != nil {
		t.Fatal(err)
	}
	events := emu.Events(t)
	if len(events) != 1 || events[0].Kind != "custom" {
		t.Fatalf("accepted %+v", events)
	}
}

// docs/testing.md shows TestSignupLogsOneEvent as it is in this file.
func TestTheDocsShowTheSignupTest(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "testing.md"))
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("coveouatest_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, found := strings.Cut(string(doc), "```go\n")
	block, _, closed := strings.Cut(after, "```")
	// The block is a whole file (package and imports first); its function is this file's.
	at := strings.Index(block, "func TestSignupLogsOneEvent")
	snippet := block[max(at, 0):]
	if !found || !closed || at < 0 || !strings.Contains(string(self), snippet) {
		t.Errorf("the Go example of docs/testing.md is not TestSignupLogsOneEvent of this file:\n%s", snippet)
	}
}

// Events lists what the emulator accepted; Fault makes requests fail; Reset
// clears it all.
func TestEventsAndFaults(t *testing.T) {
	emu := coveouatest.Start(t)
	if emu.Token != coveouatest.DefaultToken || emu.Org != coveouatest.DefaultOrg ||
		!strings.HasPrefix(emu.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("emulator %+v", emu)
	}
	c := client(t, emu)
	ctx := context.Background()
	res, err := c.SendCustom(ctx, custom("first"))
	if err != nil {
		t.Fatal(err)
	}
	events := emu.Events(t)
	if len(events) != 1 || events[0].Kind != "custom" || events[0].VisitorID != res.VisitorID ||
		events[0].Path != "/rest/ua/v15/analytics/custom" || events[0].Org != coveouatest.DefaultOrg {
		t.Fatalf("events %+v after one send (visitor %s)", events, res.VisitorID)
	}
	emu.Fault(t, 503, 2)
	for i := 0; i < 2; i++ {
		if _, err := c.SendCustom(ctx, custom("refused")); !errors.Is(err, coveoua.ErrServerError) {
			t.Errorf("send %d under the fault: %v, want ErrServerError", i, err)
		}
	}
	emu.AddFault(t, map[string]any{"status": 429, "count": 0, "path": "/rest/ua/v15/analytics/view"})
	if _, err := c.SendCustom(ctx, custom("second")); err != nil {
		t.Errorf("after the two faults: %v", err)
	}
	if _, err := c.SendView(ctx, map[string]any{"location": "https://example.com/"}); !errors.Is(err, coveoua.ErrTooManyRequests) {
		t.Errorf("view under the 429 rule: %v", err)
	}
	if got := values(t, emu.Events(t)); strings.Join(got, ",") != "first,second" {
		t.Errorf("accepted %v, want first and second", got)
	}
	emu.Reset(t)
	if _, err := c.SendView(ctx, map[string]any{"location": "https://example.com/"}); err != nil {
		t.Errorf("view after Reset: %v", err)
	}
	if n := len(emu.Events(t)); n != 1 {
		t.Errorf("%d events after Reset and one send, want 1", n)
	}
}

// Latency slows every request down; Outage refuses connections for a while.
func TestLatencyAndOutage(t *testing.T) {
	emu := coveouatest.Start(t, coveouatest.Token("xx-other-key"), coveouatest.Org("other-org"),
		coveouatest.Args("--readonly-key", "xx-read-only"))
	c := client(t, emu)
	ctx := context.Background()
	emu.Latency(t, 300)
	started := time.Now()
	if _, err := c.SendCustom(ctx, custom("slow")); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(started); waited < 300*time.Millisecond {
		t.Errorf("a send under 300 ms of latency took %s", waited)
	}
	emu.Latency(t, 0)
	emu.Outage(t, 800)
	if _, err := c.SendCustom(ctx, custom("refused")); !errors.Is(err, coveoua.ErrConnectionFailed) {
		t.Errorf("send during the outage: %v, want ErrConnectionFailed", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := c.SendCustom(ctx, custom("back")); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen again: %v", err)
		}
	}
	if got := values(t, emu.Events(t)); strings.Join(got, ",") != "slow,back" {
		t.Errorf("accepted %v", got)
	}
	if emu.Events(t)[0].Org != "other-org" {
		t.Errorf("events went to %s, want other-org", emu.Events(t)[0].Org)
	}
	reader, err := coveoua.NewClient(coveoua.Options{Token: "xx-read-only", Endpoint: emu.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := reader.SendCustom(ctx, custom("read-only")); !errors.Is(err, coveoua.ErrUnauthorizedOrg) {
		t.Errorf("the --readonly-key of Args: %v, want ErrUnauthorizedOrg", err)
	}
}

// Stop ends the process; a second Stop does nothing.
func TestStopEndsTheEmulator(t *testing.T) {
	emu, err := coveouatest.StartProcess()
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := emu.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	c := client(t, emu)
	if _, err := c.SendCustom(context.Background(), custom("after")); !errors.Is(err, coveoua.ErrConnectionFailed) {
		t.Errorf("send to a stopped emulator: %v, want ErrConnectionFailed", err)
	}
}

// helperEnv marks the test binary run by TestStartFailsTheTestWithoutAnEmulator.
const helperEnv = "COVEOUATEST_HELPER"

// With no emulator to be found, Start fails the test (never skips it) and
// says what to do. The test runs itself again in a child process where
// neither $UA_EMULATOR_BIN nor PATH has an emulator (or $UA_EMULATOR_BIN
// names a missing file), and reads the child's verdict.
func TestStartFailsTheTestWithoutAnEmulator(t *testing.T) {
	if os.Getenv(helperEnv) == "1" {
		coveouatest.Start(t)
		t.Log("Start returned without an emulator")
		return
	}
	for _, tc := range []struct{ env, want string }{
		{coveouatest.EnvVar + "=", "no ua-emulator found"},
		{coveouatest.EnvVar + "=/nonexistent/ua-emulator", "/nonexistent/ua-emulator"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartFailsTheTestWithoutAnEmulator$", "-test.v", "-test.count=1")
		cmd.Env = []string{helperEnv + "=1", "PATH=" + t.TempDir(), tc.env, "HOME=" + os.Getenv("HOME")}
		out, err := cmd.CombinedOutput()
		text := string(out)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("%s: the child passed (%v):\n%s", tc.env, err, text)
		}
		if !strings.Contains(text, "--- FAIL: TestStartFailsTheTestWithoutAnEmulator") || strings.Contains(text, "--- SKIP") ||
			!strings.Contains(text, tc.want) || strings.Contains(text, "Start returned") {
			t.Errorf("%s: want a failure naming %q, got:\n%s", tc.env, tc.want, text)
		}
	}
}
