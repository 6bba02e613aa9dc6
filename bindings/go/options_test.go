package coveoua

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Bad options are refused by NewClient with ErrInvalidArgument and a message
// naming the field, never the token.
func TestBadOptionsAreRefused(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Options)
		field string
	}{
		{"no token", func(o *Options) { o.Token = "" }, "Token"},
		{"NUL in token", func(o *Options) { o.Token = "xx\x00secret" }, "Token"},
		{"ftp endpoint", func(o *Options) { o.Endpoint = "ftp://127.0.0.1/rest/ua" }, "Endpoint"},
		{"clear text to a remote host", func(o *Options) { o.Endpoint = "http://analytics.example.com/rest/ua" }, "Endpoint"},
		{"query string", func(o *Options) { o.Endpoint = emu.endpoint + "?x=1" }, "Endpoint"},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, "Timeout"},
		{"deadline beyond uint32 ms", func(o *Options) { o.Deadline = 1 << 62 }, "Deadline"},
		{"backoff base alone", func(o *Options) { o.BackoffMax = 0 }, "Backoff"},
		{"missing CA file", func(o *Options) { o.CAFile = "/nonexistent/coveoua-test.pem" }, "CAFile"},
	}
	for _, tc := range cases {
		opts := testOptions()
		opts.Token = "xx-secret-token-value"
		tc.edit(&opts)
		c, err := NewClient(opts)
		if err == nil {
			_ = c.Close()
			t.Errorf("%s: NewClient accepted the options", tc.name)
			continue
		}
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: got %v, want ErrInvalidArgument", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: the error does not name %s: %v", tc.name, tc.field, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the token leaked into the error: %v", tc.name, err)
		}
	}
}

// Every optional setting is accepted and the client works with them on.
func TestAllOptionsTogether(t *testing.T) {
	resetEmulator(t)
	c := newTestClient(t, func(o *Options) {
		o.Org = testOrg
		o.UserAgent = "coveoua-go-test/1.0"
		o.DisableLocalChecks = true
		o.MaxRetries = Retries(0)
	})
	if _, err := c.SendView(context.Background(), viewEvent()); err != nil {
		t.Fatalf("send with every option set: %v", err)
	}
	// With local checks off, a missing field is the emulator's verdict.
	_, err := c.SendCustom(context.Background(), map[string]any{"language": "en"})
	e := asError(t, err)
	if !errors.Is(err, ErrMissingParameter) || e.HTTPStatus != 400 || e.Attempts != 1 {
		t.Errorf("got %v (status %d, attempts %d), want a MissingParameter answer from the emulator", err, e.HTTPStatus, e.Attempts)
	}
}

// An endpoint that refuses connections fails with ErrConnectionFailed after
// the configured retries.
func TestRefusedConnection(t *testing.T) {
	c := newTestClient(t, func(o *Options) { o.Endpoint = "http://127.0.0.1:1/rest/ua"; o.MaxRetries = Retries(1) })
	_, err := c.SendCustom(context.Background(), customEvent("refused"))
	e := asError(t, err)
	if !errors.Is(err, ErrConnectionFailed) || e.Attempts != 2 || e.HTTPStatus != 0 {
		t.Errorf("got %v (attempts %d, status %d), want ErrConnectionFailed after 2 attempts", err, e.Attempts, e.HTTPStatus)
	}
}
