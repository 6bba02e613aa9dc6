package coveoua

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// Each kind is accepted, reported with the answer's details, and logged by
// the emulator with the body that was sent.
func TestEveryKindIsAccepted(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, nil)
	ctx := context.Background()
	sends := []struct {
		kind  Kind
		send  func(context.Context, any) (*Result, error)
		event map[string]any
	}{
		{KindSearch, c.SendSearch, searchEvent()},
		{KindClick, c.SendClick, clickEvent()},
		{KindCustom, c.SendCustom, customEvent("every-kind")},
		{KindView, c.SendView, viewEvent()},
	}
	var visitors []string
	for _, s := range sends {
		res, err := s.send(ctx, s.event)
		if err != nil {
			t.Fatalf("%s event: %v", s.kind, err)
		}
		if res.HTTPStatus != 200 || res.Attempts != 1 || res.VisitorID == "" || res.Body == "" {
			t.Errorf("%s event: unexpected result %+v", s.kind, res)
		}
		visitors = append(visitors, res.VisitorID)
	}
	evs := loggedEvents(t)
	if len(evs) != len(sends) {
		t.Fatalf("emulator logged %d events, want %d", len(evs), len(sends))
	}
	for i, s := range sends {
		if evs[i].Kind != s.kind.String() || evs[i].Path != "/rest/ua/v15/analytics/"+s.kind.String() {
			t.Errorf("event %d logged as %s at %s, want %s", i, evs[i].Kind, evs[i].Path, s.kind)
		}
		assertSameJSON(t, evs[i].Body, s.event)
		if evs[i].VisitorID != visitors[i] {
			t.Errorf("event %d: result visitorId %q, log says %q", i, visitors[i], evs[i].VisitorID)
		}
	}
}

// A retried send reports its attempts, and the event is recorded once.
func TestRetriesRecoverFromServerErrors(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, func(o *Options) { o.MaxRetries = Retries(3) })
	addFault(t, map[string]any{"count": 2, "action": "respond", "status": 503, "body": "html"})
	res, err := c.SendCustom(context.Background(), customEvent("after-503"))
	if err != nil {
		t.Fatalf("send after two 503s: %v", err)
	}
	if res.Attempts != 3 {
		t.Errorf("attempts = %d, want 3", res.Attempts)
	}
	if n := len(loggedEvents(t)); n != 1 {
		t.Errorf("emulator logged %d events, want 1", n)
	}
}

// An OAuth token with no organization needs Options.Org, sent as ?org=.
func TestOrgOptionIsSent(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, func(o *Options) { o.Token = oauthToken; o.Org = testOrg })
	if _, err := c.SendCustom(context.Background(), customEvent("with-org")); err != nil {
		t.Fatalf("send with Org: %v", err)
	}
	evs := loggedEvents(t)
	if len(evs) != 1 || evs[0].Org != testOrg {
		t.Fatalf("logged %+v, want one event for org %q", evs, testOrg)
	}
}

// codeCase provokes one result code for real, against the emulator.
type codeCase struct {
	name   string
	want   *Error // sentinel
	edit   func(*Options)
	faults []map[string]any
	kind   Kind
	event  any
	// expectations on the error besides its code
	status   int    // HTTP status of the last answer (0: none)
	attempts int    // -1: not checked
	errType  string // "" : not checked
	inMsg    string // substring of the message ("": not checked)
}

func respond(status int, typ, msg string) map[string]any {
	rule := map[string]any{"count": 1, "action": "respond", "status": status}
	if typ != "" {
		rule["type"] = typ
		rule["message"] = msg
	}
	return rule
}

// hubToken is a search token (HS256 JWT) restricted to one search hub.
func hubToken(t *testing.T, hub string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{"organization": testOrg, "searchHub": hub, "v8": true,
		"userIds": []any{}, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	signing := header + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(jwtSecret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// Every failure code the library can produce is reported with its sentinel,
// provoked for real (UA_INTERNAL, a caught panic, cannot be).
func TestEveryCodeIsReported(t *testing.T) {
	noLocal := func(o *Options) { o.DisableLocalChecks = true }
	withHub := func(o *Options) { o.Token = hubToken(t, "SupportHub") }
	hubEvent := customEvent("hub")
	hubEvent["originLevel1"] = "ExternalSearch"
	missing := map[string]any{"eventValue": "v", "language": "en"}
	wrongType := customEvent("typed")
	wrongType["outcome"] = "high"
	cases := []codeCase{
		{name: "headers", want: ErrInvalidHeaders, faults: []map[string]any{respond(400, "InvalidHeadersException", "bad header")},
			status: 400, attempts: 1, errType: "InvalidHeadersException", inMsg: "bad header"},
		{name: "json found locally", want: ErrInvalidJSON, event: `{"eventType": "a",`,
			attempts: 0, errType: "InvalidJson"},
		{name: "json from service", want: ErrInvalidJSON, edit: noLocal, event: `{"eventType": "a",`,
			status: 400, attempts: 1, errType: "InvalidJson"},
		{name: "object found locally", want: ErrInvalidObject, event: wrongType, attempts: 0, errType: "InvalidObject", inMsg: "outcome"},
		{name: "unknown token", want: ErrInvalidToken, edit: func(o *Options) { o.Token = unknownKey },
			status: 400, attempts: 1, errType: "InvalidToken"},
		{name: "token header", want: ErrInvalidTokenHeader, faults: []map[string]any{respond(400, "InvalidTokenHeader", "Baerer")},
			status: 400, attempts: 1, errType: "InvalidTokenHeader"},
		{name: "missing field found locally", want: ErrMissingParameter, event: missing, attempts: 0, errType: "MissingParameter", inMsg: "eventType"},
		{name: "missing field from service", want: ErrMissingParameter, edit: noLocal, event: missing,
			status: 400, attempts: 1, errType: "MissingParameter", inMsg: "eventType"},
		{name: "token without org", want: ErrNoWorkgroupAssociatedWithToken, edit: func(o *Options) { o.Token = oauthToken },
			status: 400, attempts: 1, errType: "NoWorkgroupAssociatedWithToken"},
		{name: "hub found locally", want: ErrUnauthorizedHub, edit: withHub, event: hubEvent, attempts: 0, errType: "UnauthorizedHub"},
		{name: "hub from service", want: ErrUnauthorizedHub, edit: func(o *Options) { withHub(o); noLocal(o) }, event: hubEvent,
			status: 400, attempts: 1, errType: "UnauthorizedHub", inMsg: "SupportHub"},
		{name: "read-only key", want: ErrUnauthorizedOrg, edit: func(o *Options) { o.Token = readonlyKey },
			status: 400, attempts: 1, errType: "UnauthorizedOrg"},
		{name: "uri", want: ErrInvalidURI, faults: []map[string]any{respond(404, "InvalidUri", "no such path")},
			status: 404, attempts: 1, errType: "InvalidUri"},
		{name: "404 without body", want: ErrInvalidURI, faults: []map[string]any{{"action": "respond", "status": 404, "body": "none"}},
			status: 404, attempts: 1},
		{name: "accept", want: ErrNotAcceptable, faults: []map[string]any{respond(406, "InvalidRequest", "accept")},
			status: 406, attempts: 1, errType: "InvalidRequest"},
		{name: "media type", want: ErrUnsupportedMediaType, faults: []map[string]any{respond(415, "InvalidRequest", "content type")},
			status: 415, attempts: 1, errType: "InvalidRequest"},
		{name: "429 until retries run out", want: ErrTooManyRequests,
			faults: []map[string]any{{"count": 0, "action": "respond", "status": 429, "type": "TooManyRequestsException", "message": "slow down"}},
			status: 429, attempts: 3, errType: "TooManyRequestsException"},
		{name: "503 until retries run out", want: ErrServerError, faults: []map[string]any{{"count": 0, "action": "respond", "status": 503, "body": "html"}},
			status: 503, attempts: 3},
		{name: "unlisted 4xx type", want: ErrUnexpectedResponse, faults: []map[string]any{respond(418, "Teapot", "short and stout")},
			status: 418, attempts: 1, errType: "Teapot", inMsg: "short and stout"},
		{name: "redirect", want: ErrUnexpectedResponse, faults: []map[string]any{{"action": "respond", "status": 302, "body": "none"}},
			status: 302, attempts: 1},
		{name: "unknown kind", want: ErrInvalidArgument, kind: Kind(99), attempts: 0},
		{name: "connection reset", want: ErrConnectionFailed, faults: []map[string]any{{"count": 0, "action": "reset"}},
			status: 0, attempts: 3},
		{name: "garbage answer", want: ErrConnectionFailed, faults: []map[string]any{{"count": 0, "action": "garbage"}},
			status: 0, attempts: 3},
		{name: "stalled attempt", want: ErrTimeout, edit: func(o *Options) { o.Timeout = 200 * time.Millisecond; o.MaxRetries = Retries(0) },
			faults: []map[string]any{{"count": 0, "action": "stall", "delay_ms": 5000}}, status: 0, attempts: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runCodeCase(t, tc) })
	}
}

func runCodeCase(t *testing.T, tc codeCase) {
	resetEmulator(t)
	for _, f := range tc.faults {
		addFault(t, f)
	}
	c := newTestClient(t, tc.edit)
	kind, event := tc.kind, tc.event
	if kind == 0 {
		kind = KindCustom
	}
	if event == nil {
		event = customEvent(tc.name)
	}
	res, err := c.Send(context.Background(), kind, event)
	if res != nil {
		t.Errorf("a failed send returned a result: %+v", res)
	}
	e := asError(t, err)
	if !errors.Is(err, tc.want) {
		t.Fatalf("got %v (code %s), want %s", err, e.Code, tc.want.Code)
	}
	if e.HTTPStatus != tc.status {
		t.Errorf("HTTPStatus = %d, want %d (%v)", e.HTTPStatus, tc.status, err)
	}
	if tc.attempts >= 0 && e.Attempts != tc.attempts {
		t.Errorf("Attempts = %d, want %d (%v)", e.Attempts, tc.attempts, err)
	}
	if tc.errType != "" && e.Type != tc.errType {
		t.Errorf("Type = %q, want %q", e.Type, tc.errType)
	}
	if tc.inMsg != "" && !strings.Contains(e.Message, tc.inMsg) {
		t.Errorf("Message %q does not mention %q", e.Message, tc.inMsg)
	}
	if e.Message == "" {
		t.Error("empty Message")
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("the error text contains the token: %v", err)
	}
	if n := len(loggedEvents(t)); n != 0 {
		t.Errorf("a refused event was logged %d time(s)", n)
	}
}

// A token echoed by the service never reaches the caller's error text.
func TestEchoedTokenIsRedacted(t *testing.T) {
	resetEmulator(t)
	addFault(t, respond(400, "InvalidToken", "The token "+testKey+" is not valid"))
	c := newTestClient(t, nil)
	_, err := c.SendCustom(context.Background(), customEvent("redact"))
	e := asError(t, err)
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("got %v, want ErrInvalidToken", err)
	}
	if strings.Contains(e.Message, testKey) || strings.Contains(err.Error(), testKey) {
		t.Errorf("the token leaked into the error: %v", err)
	}
}

// assertSameJSON compares a logged body with the value that was sent.
func assertSameJSON(t *testing.T, got json.RawMessage, sent any) {
	t.Helper()
	var want []byte
	switch v := sent.(type) {
	case string:
		want = []byte(v)
	case []byte:
		want = v
	case json.RawMessage:
		want = v
	default:
		var err error
		if want, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("logged body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatalf("sent body %q is not JSON: %v", want, err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("logged body %s, sent %s", ja, jb)
	}
}

// ---- Deadlines and cancellation from the caller's context ----

// A context that is already done sends nothing at all.
func TestDoneContextSendsNothing(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, nil)
	before := stats(t).Requests

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.SendCustom(canceled, customEvent("canceled"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: got %v, want context.Canceled", err)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Errorf("a context error came as a *coveoua.Error: %v", err)
	}

	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := c.SendCustom(expired, customEvent("expired")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired context: got %v, want context.DeadlineExceeded", err)
	}
	if after := stats(t).Requests; after != before {
		t.Errorf("the emulator saw %d request(s) from done contexts", after-before)
	}
}

// The context's deadline becomes the call's deadline when it is sooner than
// the client's: the call ends with UA_TIMEOUT, which also matches the
// context's DeadlineExceeded.
func TestContextDeadlineBoundsTheCall(t *testing.T) {
	resetEmulator(t)
	addFault(t, map[string]any{"count": 0, "action": "stall", "delay_ms": 10000})
	c := newTestClient(t, func(o *Options) { o.Timeout = 20 * time.Second; o.Deadline = 30 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.SendCustom(ctx, customEvent("ctx-deadline"))
	e := asError(t, err)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v (code %s), want ErrTimeout matching context.DeadlineExceeded", err, e.Code)
	}
	if e.HTTPStatus != 0 || e.Attempts < 1 {
		t.Errorf("unexpected details: status %d, attempts %d", e.HTTPStatus, e.Attempts)
	}
}

// The client's own deadline still applies under a context without one, and
// is not reported as the context's.
func TestClientDeadlineWithoutContextDeadline(t *testing.T) {
	resetEmulator(t)
	addFault(t, map[string]any{"count": 0, "action": "stall", "delay_ms": 10000})
	c := newTestClient(t, func(o *Options) { o.Timeout = 20 * time.Second; o.Deadline = 300 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := c.SendCustom(ctx, customEvent("client-deadline"))
	asError(t, err)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the client's deadline was reported as the context's: %v", err)
	}
}

// Canceling the context releases the caller while the attempt still hangs.
func TestCancelReleasesTheCaller(t *testing.T) {
	resetEmulator(t)
	addFault(t, map[string]any{"count": 0, "action": "stall", "delay_ms": 3000})
	c := newTestClient(t, func(o *Options) { o.MaxRetries = Retries(0); o.Deadline = 2 * time.Second })
	before := stats(t).Requests
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the emulator has the request, so the cancellation lands
	// while the library is inside the call.
	go func() {
		limit := time.Now().Add(5 * time.Second)
		for time.Now().Before(limit) {
			if n, err := requestsSeen(); err == nil && n > before {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	_, err := c.SendCustom(ctx, customEvent("canceled-in-flight"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// Close waits for the abandoned call, which its deadline bounds.
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
