package coveoua

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// searchItem is a search event described with a Go type.
type searchItem struct {
	ActionCause    string `json:"actionCause"`
	Language       string `json:"language,omitempty"`
	QueryText      string `json:"queryText"`
	ResponseTime   int    `json:"responseTime"`
	SearchQueryUID string `json:"searchQueryUid"`
}

func searchItems(n int) []searchItem {
	uids := []string{"4f1c8d2e-6b2a-4c1f-9a51-3d2b7e9c0a11", "5a2d9e3f-7c3b-4d2a-8b62-4e3c8fad1b22", "6b3eaf40-8d4c-4e3b-9c73-5f4d90be2c33"}
	items := make([]searchItem, n)
	for i := range items {
		items[i] = searchItem{ActionCause: "searchboxSubmit", Language: "en", QueryText: "pump",
			ResponseTime: 10 + i, SearchQueryUID: uids[i%len(uids)]}
	}
	return items
}

// resetStats zeroes the emulator's counters, so that a test sees its own requests.
func resetStats(t *testing.T) {
	t.Helper()
	control(t, http.MethodDelete, "/stats", nil, nil)
}

// A batch of three is one request to /searches, logged as three search
// events in order; the result carries the first item's visitor id and the
// service's whole array answer.
func TestSearchBatchIsOneRequest(t *testing.T) {
	resetEmulator(t)
	resetStats(t)
	c := newTestClient(t, nil)
	items := searchItems(3)
	res, err := c.SendSearchBatch(context.Background(), items)
	if err != nil {
		t.Fatalf("batch of 3: %v", err)
	}
	if s := stats(t); s.Requests != 1 || s.Accepted != 3 {
		t.Errorf("emulator saw %d request(s), accepted %d event(s); want 1 and 3", s.Requests, s.Accepted)
	}
	evs := loggedEvents(t)
	if len(evs) != 3 {
		t.Fatalf("emulator logged %d events, want 3", len(evs))
	}
	for i, ev := range evs {
		if ev.Path != "/rest/ua/v15/analytics/searches" || ev.Kind != "search" {
			t.Errorf("item %d logged as %s at %s, want a search at /rest/ua/v15/analytics/searches", i, ev.Kind, ev.Path)
		}
		assertSameJSON(t, ev.Body, items[i])
	}
	if res.HTTPStatus != 200 || res.Attempts != 1 || res.VisitorID != evs[0].VisitorID {
		t.Errorf("result %+v, want HTTP 200 after 1 attempt with the first item's visitorId %q", res, evs[0].VisitorID)
	}
	var answers []map[string]any
	if err := json.Unmarshal([]byte(res.Body), &answers); err != nil || len(answers) != 3 {
		t.Errorf("Body %q is not the array of 3 answers (%v)", res.Body, err)
	}
}

// JSON text reaches the service unchanged, whatever Go type carries it;
// maps go through encoding/json like structs.
func TestSearchBatchEncodings(t *testing.T) {
	text := `[{"actionCause":"searchboxSubmit","language":"en","queryText":"text","responseTime":5,` +
		`"searchQueryUid":"4f1c8d2e-6b2a-4c1f-9a51-3d2b7e9c0a11"}]`
	maps := []map[string]any{searchEvent(), searchEvent()}
	mapsText, err := json.Marshal(maps)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		batch any
		sent  string // the array the service should see
	}{
		{text, text}, {[]byte(text), text}, {json.RawMessage(text), text}, {maps, string(mapsText)},
	}
	for _, tc := range cases {
		resetEmulator(t)
		c := newTestClient(t, nil)
		if _, err := c.SendSearchBatch(context.Background(), tc.batch); err != nil {
			t.Fatalf("%T batch: %v", tc.batch, err)
		}
		var items []json.RawMessage
		if err := json.Unmarshal([]byte(tc.sent), &items); err != nil {
			t.Fatal(err)
		}
		evs := loggedEvents(t)
		if len(evs) != len(items) {
			t.Fatalf("%T batch: emulator logged %d events, want %d", tc.batch, len(evs), len(items))
		}
		for i := range items {
			assertSameJSON(t, evs[i].Body, items[i])
		}
	}
}

// A bad item stops the whole batch before anything is sent, and the message
// names the item's index.
func TestSearchBatchBadItem(t *testing.T) {
	resetEmulator(t)
	resetStats(t)
	c := newTestClient(t, nil)
	items := searchItems(3)
	items[1].Language = ""
	_, err := c.SendSearchBatch(context.Background(), items)
	e := asError(t, err)
	if !errors.Is(err, ErrMissingParameter) || e.Attempts != 0 || e.HTTPStatus != 0 {
		t.Fatalf("got %v (attempts %d, status %d), want ErrMissingParameter found before sending", err, e.Attempts, e.HTTPStatus)
	}
	if !strings.Contains(e.Message, "Item 1 of the search batch") || !strings.Contains(e.Message, "language") {
		t.Errorf("the message does not name item 1 and its field: %q", e.Message)
	}
	if s := stats(t); s.Requests != 0 {
		t.Errorf("emulator saw %d request(s) for a refused batch", s.Requests)
	}
}

// An empty batch, as an empty or a nil slice or as "[]", is refused with
// ErrInvalidObject before anything is sent.
func TestSearchBatchEmpty(t *testing.T) {
	resetEmulator(t)
	resetStats(t)
	c := newTestClient(t, nil)
	var none []searchItem
	for _, batch := range []any{[]searchItem{}, none, "[]"} {
		_, err := c.SendSearchBatch(context.Background(), batch)
		e := asError(t, err)
		if !errors.Is(err, ErrInvalidObject) || e.Attempts != 0 {
			t.Errorf("%T %v: got %v (attempts %d), want ErrInvalidObject before sending", batch, batch, err, e.Attempts)
		}
	}
	if s := stats(t); s.Requests != 0 {
		t.Errorf("emulator saw %d request(s) for empty batches", s.Requests)
	}
}

// With local checks off the batch goes out as given and the service's 400
// comes back; nothing of the batch is recorded.
func TestSearchBatchServiceVerdict(t *testing.T) {
	resetEmulator(t)
	resetStats(t)
	c := newTestClient(t, func(o *Options) { o.DisableLocalChecks = true })
	items := searchItems(3)
	items[1].Language = ""
	_, err := c.SendSearchBatch(context.Background(), items)
	e := asError(t, err)
	if !errors.Is(err, ErrMissingParameter) || e.HTTPStatus != 400 || e.Attempts != 1 || e.Type != "MissingParameter" {
		t.Errorf("got %v (status %d, attempts %d, type %q), want the emulator's 400 MissingParameter", err, e.HTTPStatus, e.Attempts, e.Type)
	}
	if s := stats(t); s.Requests != 1 {
		t.Errorf("emulator saw %d request(s), want 1", s.Requests)
	}
	if n := len(loggedEvents(t)); n != 0 {
		t.Errorf("a refused batch logged %d event(s)", n)
	}
}
