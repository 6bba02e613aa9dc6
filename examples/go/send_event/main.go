// Command send_event shows the Go binding against a running service (the
// demo runs it beside ua-emulator): one accepted event, then the failures a
// program must handle, each inspected with errors.Is and errors.As, a search
// batch sent in one request, and an option the library refuses.
//
// It reads UA_ENDPOINT, UA_TOKEN and UA_ORG, and the emulator's control API
// next to UA_ENDPOINT to stage the 503 bursts. It exits non-zero when an
// outcome differs from what it announces.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	coveoua "github.com/coveo-ua/coveo-ua/bindings/go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "send_event:", err)
		os.Exit(1)
	}
}

func run() error {
	endpoint, token, org := os.Getenv("UA_ENDPOINT"), os.Getenv("UA_TOKEN"), os.Getenv("UA_ORG")
	if endpoint == "" || token == "" {
		return errors.New("set UA_ENDPOINT and UA_TOKEN (make demo does)")
	}
	opts := coveoua.Options{
		Token: token, Endpoint: endpoint, Org: org,
		Timeout: 2 * time.Second, Deadline: 5 * time.Second,
		MaxRetries: coveoua.Retries(3), BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		UserAgent: "send-event-example/1.0",
	}
	client, err := coveoua.NewClient(opts)
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fmt.Printf("coveo-ua %s, Go binding, endpoint %s\n", coveoua.Version(), endpoint)

	event := map[string]any{"eventType": "demo", "eventValue": "go-example", "language": "en"}
	res, err := client.SendCustom(ctx, event)
	if err != nil {
		return fmt.Errorf("the first event was refused: %w", err)
	}
	fmt.Printf("\n1. accepted: HTTP %d after %d attempt(s), visitorId %s\n", res.HTTPStatus, res.Attempts, res.VisitorID)

	// A client with a token the service does not know.
	badOpts := opts
	badOpts.Token = "xx-not-a-real-key"
	bad, err := coveoua.NewClient(badOpts)
	if err != nil {
		return err
	}
	defer bad.Close()
	_, err = bad.SendCustom(ctx, event)
	if err := expect("2. unknown token", err, coveoua.ErrInvalidToken); err != nil {
		return err
	}

	// A custom event without its eventType: refused before anything is sent.
	_, err = client.SendCustom(ctx, map[string]any{"eventValue": "no type", "language": "en"})
	if err := expect("3. missing field", err, coveoua.ErrMissingParameter); err != nil {
		return err
	}

	// Two 503s, then the service recovers: the retries absorb the burst.
	control := strings.TrimSuffix(endpoint, "/rest/ua") + "/_emulator/faults"
	if err := post(control, `{"count": 2, "action": "respond", "status": 503, "body": "html"}`); err != nil {
		return err
	}
	res, err = client.SendCustom(ctx, event)
	if err != nil {
		return fmt.Errorf("the event after a 503 burst was refused: %w", err)
	}
	fmt.Printf("\n4. 503 burst that recovers: accepted, HTTP %d after %d attempts\n", res.HTTPStatus, res.Attempts)

	// 503 on every attempt: the call gives up once the retries run out.
	if err := post(control, `{"count": 4, "action": "respond", "status": 503, "body": "html"}`); err != nil {
		return err
	}
	_, err = client.SendCustom(ctx, event)
	if err := expect("5. 503 that does not recover", err, coveoua.ErrServerError); err != nil {
		return err
	}

	// Three search events in one request; the answer is the service's array.
	batch := make([]map[string]any, 3)
	for i := range batch {
		batch[i] = map[string]any{"actionCause": "searchboxSubmit", "language": "en", "queryText": fmt.Sprintf("pump %d", i),
			"responseTime": 10 + i, "searchQueryUid": fmt.Sprintf("4f1c8d2e-6b2a-4c1f-9a51-3d2b7e9c0a1%d", i)}
	}
	res, err = client.SendSearchBatch(ctx, batch)
	if err != nil {
		return fmt.Errorf("the search batch was refused: %w", err)
	}
	fmt.Printf("\n6. search batch of %d: accepted in one request, HTTP %d, first visitorId %s\n", len(batch), res.HTTPStatus, res.VisitorID)

	// An option the library refuses: its own explanation is the message.
	plain := opts
	plain.Endpoint = "http://example.com/rest/ua"
	_, err = coveoua.NewClient(plain)
	if err := expect("7. plain http to a remote host", err, coveoua.ErrInvalidArgument); err != nil {
		return err
	}

	fmt.Println("\nsend_event: every outcome was the expected one")
	return nil
}

// expect prints how a program tells a failure apart, and returns an error
// when the failure is not the announced one.
func expect(step string, err error, want *coveoua.Error) error {
	var e *coveoua.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: expected a *coveoua.Error, got %v", step, err)
	}
	fmt.Printf("\n%s:\n", step)
	fmt.Printf("   errors.Is(err, sentinel of %s): %v\n", want.Code, errors.Is(err, want))
	fmt.Printf("   code %d %s, HTTP %d, type %q, attempts %d\n", int32(e.Code), e.Code, e.HTTPStatus, e.Type, e.Attempts)
	fmt.Printf("   message: %s\n", e.Message)
	fmt.Printf("   describe: %s\n", e.Code.Describe())
	if !errors.Is(err, want) {
		return fmt.Errorf("%s: got %v", step, err)
	}
	return nil
}

// post sends a fault rule to the emulator's control API.
func post(url, body string) error {
	hc := http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		return fmt.Errorf("emulator control API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("emulator control API: HTTP %d", resp.StatusCode)
	}
	return nil
}
