package coveoua

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Bad options are refused by NewClient with ErrInvalidArgument. The message
// is the library's own verdict (from ua_options_last_error), except for the
// few values this package cannot hand to C; it never holds the token, and
// the C options are freed on every path.
func TestBadOptionsAreRefused(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Options)
		inMsg string
	}{
		// The library's verdicts.
		{"no token", func(o *Options) { o.Token = "" }, "no token is set"},
		{"space in token", func(o *Options) { o.Token = "xx secret-token-value" }, "the token contains a space"},
		{"non-ASCII token", func(o *Options) { o.Token = "xx-secret-tökén" }, "non-ASCII"},
		{"clear text to a remote host", func(o *Options) { o.Endpoint = "http://example.com/rest/ua" },
			"endpoint 'http://example.com/rest/ua' refused: plain http is allowed only for loopback hosts"},
		{"ftp endpoint", func(o *Options) { o.Endpoint = "ftp://127.0.0.1/rest/ua" }, "endpoint 'ftp://127.0.0.1/rest/ua' refused"},
		{"query string", func(o *Options) { o.Endpoint = emu.endpoint + "?x=1" }, "refused"},
		{"space in org", func(o *Options) { o.Org = "my org" }, "organization id contains a space"},
		{"timeout too long", func(o *Options) { o.Timeout = 601 * time.Second }, "timeout 601000 ms is out of range (1 to 600000 ms)"},
		{"deadline too long", func(o *Options) { o.Deadline = 2 * time.Hour }, "deadline 7200000 ms is out of range (1 to 3600000 ms)"},
		{"too many retries", func(o *Options) { o.MaxRetries = Retries(101) }, "max_retries 101 is out of range (0 to 100)"},
		{"backoff base above max", func(o *Options) { o.BackoffBase = time.Second; o.BackoffMax = time.Millisecond },
			"backoff base (1000 ms) is larger than backoff max (1 ms)"},
		{"control character in user agent", func(o *Options) { o.UserAgent = "app/1.0\r\nX-Evil: 1" }, "user agent product"},
		{"socks proxy", func(o *Options) { o.Proxy = "socks5://127.0.0.1:1080" }, "proxy refused"},
		{"missing CA file", func(o *Options) { o.CAFile = "/nonexistent/coveoua-test.pem" },
			"CA file '/nonexistent/coveoua-test.pem' cannot be read"},
		// What cannot cross the C boundary, refused by this package.
		{"NUL in token", func(o *Options) { o.Token = "xx\x00secret" }, "Options.Token holds a NUL byte at offset 2"},
		{"NUL in endpoint", func(o *Options) { o.Endpoint = emu.endpoint + "\x00" }, "Options.Endpoint holds a NUL byte"},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, "Options.Timeout is negative"},
		{"deadline beyond uint32 ms", func(o *Options) { o.Deadline = 1 << 62 }, "Options.Deadline"},
		{"backoff base alone", func(o *Options) { o.BackoffMax = 0 }, "Options.BackoffBase and Options.BackoffMax"},
	}
	for _, tc := range cases {
		opts := testOptions()
		opts.Token = "xx-secret-token-value"
		tc.edit(&opts)
		c, err := NewClient(opts)
		if n := liveCOptions.Load(); n != 0 {
			t.Errorf("%s: %d C options left unfreed", tc.name, n)
		}
		if err == nil {
			_ = c.Close()
			t.Errorf("%s: NewClient accepted the options", tc.name)
			continue
		}
		e := asError(t, err)
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: got %v, want ErrInvalidArgument", tc.name, err)
		}
		if !strings.Contains(e.Message, tc.inMsg) || !strings.Contains(err.Error(), tc.inMsg) {
			t.Errorf("%s: the error does not say %q: %v", tc.name, tc.inMsg, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the token leaked into the error: %v", tc.name, err)
		}
	}
}

// The library's verdict on one option is what NewClient returns, unchanged:
// the first refused option stops the setup, and a later valid one does not
// hide it.
func TestFirstRefusedOptionIsReported(t *testing.T) {
	opts := testOptions()
	opts.Endpoint = "http://example.com/rest/ua"
	opts.Timeout = 601 * time.Second
	_, err := NewClient(opts)
	e := asError(t, err)
	want := "plain http is allowed only for loopback hosts"
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(e.Message, want) {
		t.Errorf("got %v, want ErrInvalidArgument saying %q", err, want)
	}
	if strings.Contains(e.Message, "timeout") {
		t.Errorf("the message mixes in a later option: %q", e.Message)
	}
	if n := liveCOptions.Load(); n != 0 {
		t.Errorf("%d C options left unfreed", n)
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
	if n := liveCOptions.Load(); n != 0 {
		t.Errorf("%d C options left unfreed after a client was made", n)
	}
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

// An empty Endpoint never means production: without Org it is refused, by
// NewClient and NewQueue alike, with a message naming DefaultEndpoint; with
// Org it is the organization's host; DefaultEndpoint itself is accepted.
// (The CI recipe's failure mode: an endpoint variable that came out empty.)
func TestAnEmptyEndpointWithoutOrgIsRefused(t *testing.T) {
	empty := Options{Token: testKey}
	_, err := NewClient(empty)
	e := asError(t, err)
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(e.Message, "coveoua.DefaultEndpoint") {
		t.Errorf("NewClient with no endpoint and no org: got %v, want ErrInvalidArgument naming coveoua.DefaultEndpoint", err)
	}
	_, err = NewQueue(QueueOptions{Options: empty})
	if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "Options.Endpoint is empty") {
		t.Errorf("NewQueue with no endpoint and no org: got %v, want ErrInvalidArgument", err)
	}
	if n := liveCOptions.Load(); n != 0 {
		t.Errorf("%d C options left unfreed", n)
	}
	for _, opts := range []Options{
		{Token: testKey, Endpoint: DefaultEndpoint},
		{Token: testKey, Org: "myorg"},
	} {
		c, err := NewClient(opts)
		if err != nil {
			t.Errorf("NewClient(%+v): %v", Options{Endpoint: opts.Endpoint, Org: opts.Org}, err)
			continue
		}
		_ = c.Close()
	}
}
