package coveoua

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// customStruct is how a caller would describe an event with a Go type.
type customStruct struct {
	EventType  string            `json:"eventType"`
	EventValue string            `json:"eventValue"`
	Language   string            `json:"language"`
	Outcome    int               `json:"outcome,omitempty"`
	CustomData map[string]string `json:"customData,omitempty"`
	Anonymous  bool              `json:"anonymous"`
}

// Structs, pointers, maps and JSON text all arrive as the JSON they stand for.
func TestEventEncodings(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, nil)
	structEvent := customStruct{EventType: "t", EventValue: "struct", Language: "en", Outcome: 3,
		CustomData: map[string]string{"plan": "gold"}}
	raw := `{"eventType":"t","eventValue":"raw string","language":"en","customData":{"n":"1"}}`
	spare := make([]byte, 0, 256)
	spare = append(spare, `{"eventType":"t","eventValue":"bytes","language":"en"}`...)
	guard := spare[:len(spare)+1]
	guard[len(spare)] = '#'
	events := []any{
		structEvent,
		&customStruct{EventType: "t", EventValue: "pointer", Language: "en"},
		map[string]any{"eventType": "t", "eventValue": "map", "language": "en", "customData": map[string]any{"k": 1}},
		json.RawMessage(`{"eventType":"t","eventValue":"raw message","language":"en"}`),
		spare,
		raw,
	}
	for _, ev := range events {
		if _, err := c.SendCustom(context.Background(), ev); err != nil {
			t.Fatalf("sending %T: %v", ev, err)
		}
	}
	if guard[len(spare)] != '#' {
		t.Error("sending a []byte wrote into the caller's spare capacity")
	}
	logged := loggedEvents(t)
	if len(logged) != len(events) {
		t.Fatalf("emulator logged %d events, want %d", len(logged), len(events))
	}
	for i, ev := range events {
		assertSameJSON(t, logged[i].Body, ev)
	}
}

// Values that are no event fail clearly before anything is sent.
func TestEventsThatCannotBeSent(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, nil)
	before := stats(t).Requests
	var nilMap map[string]any
	var nilStruct *customStruct
	cases := []struct {
		name  string
		event any
		want  error
	}{
		{"nil", nil, ErrInvalidArgument},
		{"nil map", nilMap, ErrInvalidArgument},
		{"nil pointer", nilStruct, ErrInvalidArgument},
		{"channel", make(chan int), ErrInvalidArgument},
		{"NUL in text", "{\"eventType\":\"t\"\x00}", ErrInvalidJSON},
		{"empty text", "", ErrInvalidJSON},
		{"JSON array", `[1,2]`, ErrInvalidObject},
	}
	for _, tc := range cases {
		_, err := c.SendCustom(context.Background(), tc.event)
		e := asError(t, err)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v (%s), want %s", tc.name, err, e.Code, tc.want)
		}
		if e.Attempts != 0 || e.HTTPStatus != 0 {
			t.Errorf("%s: sent anyway (%d attempts, status %d)", tc.name, e.Attempts, e.HTTPStatus)
		}
	}
	var unsupported *json.UnsupportedTypeError
	if _, err := c.SendCustom(context.Background(), make(chan int)); !errors.As(err, &unsupported) {
		t.Errorf("a marshalling failure does not unwrap to json.UnsupportedTypeError: %v", err)
	}
	if after := stats(t).Requests; after != before {
		t.Errorf("the emulator saw %d request(s) for events that cannot be sent", after-before)
	}
}
