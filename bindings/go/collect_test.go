package coveoua

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// collectPath is where collect events go.
const collectPath = "/rest/ua/v15/analytics/collect"

// caseAssistEvent is a Case Assist event in the collect form, as a Go type.
type caseAssistEvent struct {
	HitType    string         `json:"t"`
	ClientID   string         `json:"cid"`
	Action     string         `json:"svc_action"`
	ActionData map[string]any `json:"svc_action_data"`
}

func newCaseAssistEvent(action string) caseAssistEvent {
	return caseAssistEvent{HitType: "event", ClientID: "5d1c0a7e-3b2f-4c8d-9e6a-1f2b3c4d5e6f", Action: action,
		ActionData: map[string]any{"ticket": map[string]any{"subject": "printer"}}}
}

// A collect event goes to /collect as marshalled, logged as a collect event,
// and the result carries the answer's visitor id.
func TestSendCollectPostsToCollect(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, nil)
	event := newCaseAssistEvent("ticket_create")
	res, err := c.SendCollect(context.Background(), event)
	if err != nil {
		t.Fatalf("SendCollect: %v", err)
	}
	evs := loggedEvents(t)
	if len(evs) != 1 || evs[0].Kind != "collect" || evs[0].Path != collectPath {
		t.Fatalf("emulator logged %+v, want one collect event at %s", evs, collectPath)
	}
	assertSameJSON(t, evs[0].Body, event)
	if res.HTTPStatus != 200 || res.Attempts != 1 || res.VisitorID != evs[0].VisitorID {
		t.Errorf("result %+v, want HTTP 200 after 1 attempt with visitor %q", res, evs[0].VisitorID)
	}
	// Send with the kind says the same.
	if _, err := c.Send(context.Background(), KindCollect, `{"t":"pageview"}`); err != nil {
		t.Errorf("Send(KindCollect): %v", err)
	}
}

// Only what is surely wrong is refused before sending; fields that other
// kinds' checks refuse are the service's to judge on a collect event.
func TestSendCollectRefusesOnlyWhatIsSurelyWrong(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, nil)
	if _, err := c.SendCollect(context.Background(), `{"outcome":"high","clientId":"nope"}`); err != nil {
		t.Errorf("an object with odd fields: %v", err)
	}
	for _, tc := range []struct {
		body string
		want error
	}{{`[{}]`, ErrInvalidObject}, {`t=event&ec=case`, ErrInvalidJSON}} {
		_, err := c.SendCollect(context.Background(), tc.body)
		var e *Error
		if !errors.Is(err, tc.want) || !errors.As(err, &e) || e.Attempts != 0 {
			t.Errorf("SendCollect(%s) = %v, want %v before any attempt", tc.body, err, tc.want)
		}
	}
	if n := len(loggedEvents(t)); n != 1 {
		t.Errorf("emulator logged %d events, want 1", n)
	}
}

// The queue takes collect events like any other kind and retries them.
func TestQueueDeliversCollectEvents(t *testing.T) {
	resetEmulator(t)
	addFault(t, map[string]any{"status": 503, "count": 1, "path": collectPath})
	q := newTestQueue(t, nil)
	for _, action := range []string{"open", "search", "close"} {
		if err := q.EnqueueCollect(newCaseAssistEvent(action)); err != nil {
			t.Fatalf("EnqueueCollect(%s): %v", action, err)
		}
	}
	if err := q.EnqueueCollect(`[]`); !errors.Is(err, ErrInvalidObject) {
		t.Errorf("EnqueueCollect([]) = %v, want ErrInvalidObject", err)
	}
	flushed(t, q)
	c := q.Counters()
	if c.Enqueued != 3 || c.Delivered != 3 || c.Refused != 1 || c.Attempts != 4 {
		t.Errorf("counters %+v, want 3 enqueued and delivered in 4 attempts, 1 refused", c)
	}
	seen := map[string]bool{}
	for _, ev := range loggedEvents(t) {
		if ev.Kind != "collect" {
			t.Errorf("logged a %s event, want collect", ev.Kind)
		}
		var body caseAssistEvent
		if err := json.Unmarshal(ev.Body, &body); err != nil {
			t.Fatalf("logged body %s: %v", ev.Body, err)
		}
		seen[body.Action] = true
	}
	if len(seen) != 3 || !seen["open"] || !seen["search"] || !seen["close"] {
		t.Errorf("delivered actions %v, want open, search and close", seen)
	}
}
