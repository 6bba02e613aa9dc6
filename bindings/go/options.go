package coveoua

/*
#include <stdlib.h>
#include "coveo_ua.h"
*/
import "C"

import (
	"math"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// DefaultEndpoint is Coveo's US host of the Write API: where C and Python
// send when neither an endpoint nor an organization is set. A Go program
// names it: Options with an empty Endpoint and no Org are refused, so that a
// test whose endpoint came out empty (an unset environment variable, an
// emulator that never started) fails at NewClient instead of sending to
// production.
const DefaultEndpoint = "https://analytics.cloud.coveo.com/rest/ua"

// Options configure a Client, and the sends of a Queue (inside
// QueueOptions). The zero value of every field but Endpoint means "the
// library's default"; Token is required, and so is Endpoint unless Org is
// set. The library judges every
// value (ranges, URL rules, token characters) and NewClient reports its
// verdict; this package refuses only what cannot reach the library intact.
type Options struct {
	// Token is the API key or search token sent as "Authorization: Bearer".
	// Required. It never appears in an error message.
	Token string
	// Endpoint is the base URL, ending in /rest/ua (a URL with no path gets
	// it appended), e.g. the emulator's URL in tests. Plain http:// is
	// accepted only for loopback hosts. Empty with Org set: the
	// organization's own host, https://<org>.analytics.org.coveo.com/rest/ua,
	// which Coveo recommends. Empty without Org: refused (ErrInvalidArgument);
	// DefaultEndpoint names Coveo's US host.
	Endpoint string
	// Org is the organization id, sent as the "org" query parameter (needed
	// with tokens that carry no organization, such as OAuth2 ones). With
	// Endpoint empty it also selects the organization's host, so a mistyped
	// id is a host name that does not resolve: sends fail with
	// ErrConnectionFailed, and a Queue pauses and probes until Close gives
	// up. Empty: not sent.
	Org string
	// Timeout bounds one HTTP attempt; it is rounded up to whole
	// milliseconds. Zero: library default.
	Timeout time.Duration
	// Deadline bounds a whole call, retries and waits included. Zero: library
	// default. A context deadline that ends sooner wins for that call.
	Deadline time.Duration
	// MaxRetries is the number of retries after the first attempt; nil means
	// the library default. Use Retries(n) to set it, Retries(0) for none.
	MaxRetries *uint32
	// BackoffBase and BackoffMax shape the jittered wait before a retry
	// (uniform in [0, min(BackoffMax, BackoffBase*2^n)]). Set both or
	// neither; zero for both means the library default.
	BackoffBase, BackoffMax time.Duration
	// UserAgent is a product token appended to the User-Agent, which always
	// starts with coveo-ua/<version>. Empty: none.
	UserAgent string
	// DisableLocalChecks sends events without the library's checks for
	// required fields and types, leaving every verdict to the service.
	DisableLocalChecks bool
	// CAFile is a PEM file whose certificates are the only ones trusted for
	// https endpoints, instead of the operating system's store (which is
	// then not consulted at all). The library reads it when NewClient runs;
	// an unreadable file or one without a certificate is ErrInvalidArgument.
	// Empty: the operating system's store.
	CAFile string
	// Proxy is the URL of an HTTP proxy to send through. Empty: none.
	Proxy string
}

// Retries returns a pointer to n, for Options.MaxRetries.
func Retries(n uint32) *uint32 { return &n }

// liveCOptions counts the C options made and not yet freed, so that a test
// can tell that no path of NewClient leaks them.
var liveCOptions atomic.Int64

// newCOptions makes the library's options with every default. The caller
// frees them with freeCOptions, on every path.
func newCOptions() (*C.ua_options, error) {
	opts := C.ua_options_new()
	if opts == nil {
		return nil, &Error{Code: CodeInternal, Message: "ua_options_new returned NULL (out of memory)"}
	}
	liveCOptions.Add(1)
	return opts, nil
}

// freeCOptions frees options from newCOptions.
func freeCOptions(opts *C.ua_options) {
	C.ua_options_free(opts)
	liveCOptions.Add(-1)
}

// cOptions makes the library's options with o handed to them (ms from
// check). The caller frees them with freeCOptions; on an error there is
// nothing to free.
func (o *Options) cOptions(ms cMillis) (*C.ua_options, error) {
	copts, err := newCOptions()
	if err != nil {
		return nil, err
	}
	if err := o.apply(copts, ms); err != nil {
		freeCOptions(copts)
		return nil, err
	}
	return copts, nil
}

// cMillis holds the durations of Options as the library's milliseconds.
type cMillis struct {
	timeout, deadline, backoffBase, backoffMax uint32
}

// check finds what the C boundary cannot carry: a NUL inside a string (a C
// string ends there), a negative duration or one beyond uint32
// milliseconds, and a backoff with one half left at zero (the library takes
// both in one call, and zero here means "the default", not a value). It
// returns the durations converted.
func (o *Options) check() (cMillis, error) {
	var ms cMillis
	texts := []struct{ name, value string }{
		{"Token", o.Token}, {"Endpoint", o.Endpoint}, {"Org", o.Org},
		{"UserAgent", o.UserAgent}, {"CAFile", o.CAFile}, {"Proxy", o.Proxy},
	}
	for _, s := range texts {
		// The offset only, never the text: it may be the token.
		if i := strings.IndexByte(s.value, 0); i >= 0 {
			return ms, argumentError("Options.%s holds a NUL byte at offset %d, which a C string cannot carry", s.name, i)
		}
	}
	durations := []struct {
		name string
		d    time.Duration
		out  *uint32
	}{
		{"Timeout", o.Timeout, &ms.timeout}, {"Deadline", o.Deadline, &ms.deadline},
		{"BackoffBase", o.BackoffBase, &ms.backoffBase}, {"BackoffMax", o.BackoffMax, &ms.backoffMax},
	}
	for _, d := range durations {
		v, err := durationMs("Options."+d.name, d.d)
		if err != nil {
			return ms, err
		}
		*d.out = v
	}
	if o.Endpoint == "" && o.Org == "" {
		return ms, argumentError("Options.Endpoint is empty and Options.Org is not set: name the service " +
			"(coveoua.DefaultEndpoint for Coveo's US host, an Org for its own host, or the emulator's URL in tests); " +
			"an empty endpoint never means production")
	}
	if (o.BackoffBase == 0) != (o.BackoffMax == 0) {
		return ms, argumentError("Options.BackoffBase and Options.BackoffMax are one setting of the library: set both or neither (zero means the default)")
	}
	return ms, nil
}

// apply hands every non-zero field to its C setter, stopping at the first
// one the library refuses; the error is the library's own text.
func (o *Options) apply(opts *C.ua_options, ms cMillis) error {
	texts := []struct {
		value string
		set   func(*C.ua_options, *C.char) C.ua_code
	}{
		{o.Token, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_token(p, s) }},
		{o.Endpoint, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_endpoint(p, s) }},
		{o.Org, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_org(p, s) }},
		{o.UserAgent, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_user_agent(p, s) }},
		{o.CAFile, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_ca_file(p, s) }},
		{o.Proxy, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_proxy(p, s) }},
	}
	for _, s := range texts {
		if s.value == "" {
			continue
		}
		if err := optionsError(opts, setText(opts, s.value, s.set)); err != nil {
			return err
		}
	}
	// Each refusal is read at once: the last error is that of the last call.
	var numbers []func() C.ua_code
	if ms.timeout != 0 {
		numbers = append(numbers, func() C.ua_code { return C.ua_options_set_timeout_ms(opts, C.uint32_t(ms.timeout)) })
	}
	if ms.deadline != 0 {
		numbers = append(numbers, func() C.ua_code { return C.ua_options_set_deadline_ms(opts, C.uint32_t(ms.deadline)) })
	}
	if o.MaxRetries != nil {
		retries := *o.MaxRetries
		numbers = append(numbers, func() C.ua_code { return C.ua_options_set_max_retries(opts, C.uint32_t(retries)) })
	}
	if ms.backoffBase != 0 {
		numbers = append(numbers, func() C.ua_code {
			return C.ua_options_set_retry_backoff_ms(opts, C.uint32_t(ms.backoffBase), C.uint32_t(ms.backoffMax))
		})
	}
	if o.DisableLocalChecks {
		numbers = append(numbers, func() C.ua_code { return C.ua_options_set_local_checks(opts, C.bool(false)) })
	}
	for _, set := range numbers {
		if err := optionsError(opts, set()); err != nil {
			return err
		}
	}
	return nil
}

// setText hands one string to a setter through a temporary C copy.
func setText(opts *C.ua_options, value string, set func(*C.ua_options, *C.char) C.ua_code) C.ua_code {
	cs := C.CString(value)
	defer C.free(unsafe.Pointer(cs))
	return set(opts, cs)
}

// optionsError is nil for UA_OK, otherwise an *Error with the library's
// code and the message it recorded in opts for the call that just failed.
func optionsError(opts *C.ua_options, code C.ua_code) error {
	c := Code(code)
	if c == CodeOK {
		return nil
	}
	msg := optString(C.ua_options_last_error(opts))
	if msg == "" {
		// The library promises a message; its description is the fallback.
		msg = c.Describe()
	}
	return &Error{Code: c, Message: msg}
}

// durationMs converts d to whole milliseconds for a uint32 setter; see
// durationMsUpTo.
func durationMs(name string, d time.Duration) (uint32, error) {
	ms, err := durationMsUpTo(name, d, math.MaxUint32)
	return uint32(ms), err
}

// durationMsUpTo converts d to whole milliseconds, rounding up so that a
// small positive duration never turns into 0 ("use the default"), and
// refuses what the setter's integer cannot hold (limit). name is the field
// as the caller wrote it, e.g. "Options.Timeout".
func durationMsUpTo(name string, d time.Duration, limit uint64) (uint64, error) {
	if d < 0 {
		return 0, argumentError("%s is negative (%s)", name, d)
	}
	ms := uint64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	if ms > limit {
		return 0, argumentError("%s (%s) does not fit the library's milliseconds (at most %d ms)", name, d, limit)
	}
	return ms, nil
}
