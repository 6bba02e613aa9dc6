package coveoua

/*
#include <stdlib.h>
#include "coveo_ua.h"
*/
import "C"

import (
	"math"
	"strings"
	"time"
	"unsafe"
)

// Options configure a Client. The zero value of every field means "the
// library's default"; only Token is required.
type Options struct {
	// Token is the API key or search token sent as "Authorization: Bearer".
	// Required. It never appears in an error message.
	Token string
	// Endpoint is the base URL, ending in /rest/ua (a URL with no path gets
	// it appended). Plain http:// is accepted only for loopback hosts.
	// Empty: the library's default host.
	Endpoint string
	// Org is sent as the "org" query parameter; needed with tokens that carry
	// no organization (OAuth2). Empty: not sent.
	Org string
	// Timeout bounds one HTTP attempt. Zero: library default.
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
	// CAFile is a PEM file of extra root certificates for https endpoints.
	CAFile string
	// Proxy is the URL of an HTTP proxy to send through. Empty: none.
	Proxy string
}

// Retries returns a pointer to n, for Options.MaxRetries.
func Retries(n uint32) *uint32 { return &n }

// newCOptions builds the library's options from o. The caller owns the
// returned handle and frees it with C.ua_options_free.
func (o *Options) newCOptions() (*C.ua_options, error) {
	if o.Token == "" {
		return nil, argumentError("Options.Token is required (an API key or a search token)")
	}
	if (o.BackoffBase == 0) != (o.BackoffMax == 0) {
		return nil, argumentError("Options.BackoffBase and Options.BackoffMax must be set together")
	}
	opts := C.ua_options_new()
	if opts == nil {
		return nil, &Error{Code: CodeInternal, Message: "ua_options_new returned NULL (out of memory)"}
	}
	if err := o.apply(opts); err != nil {
		C.ua_options_free(opts)
		return nil, err
	}
	return opts, nil
}

// apply copies every non-zero field into opts, stopping at the first one the
// library refuses.
func (o *Options) apply(opts *C.ua_options) error {
	type stringOption struct {
		name, value string
		secret      bool
		set         func(*C.ua_options, *C.char) C.ua_code
	}
	strs := []stringOption{
		{"Token", o.Token, true, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_token(p, s) }},
		{"Endpoint", o.Endpoint, false, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_endpoint(p, s) }},
		{"Org", o.Org, false, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_org(p, s) }},
		{"UserAgent", o.UserAgent, false, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_user_agent(p, s) }},
		{"CAFile", o.CAFile, false, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_ca_file(p, s) }},
		{"Proxy", o.Proxy, false, func(p *C.ua_options, s *C.char) C.ua_code { return C.ua_options_set_proxy(p, s) }},
	}
	for _, s := range strs {
		if s.value == "" {
			continue
		}
		if err := setString(opts, s.name, s.value, s.secret, s.set); err != nil {
			return err
		}
	}

	timeout, err := durationMs("Timeout", o.Timeout)
	if err != nil {
		return err
	}
	deadline, err := durationMs("Deadline", o.Deadline)
	if err != nil {
		return err
	}
	base, err := durationMs("BackoffBase", o.BackoffBase)
	if err != nil {
		return err
	}
	maxWait, err := durationMs("BackoffMax", o.BackoffMax)
	if err != nil {
		return err
	}
	if timeout != 0 {
		if err := optionCode("Timeout", o.Timeout.String(), C.ua_options_set_timeout_ms(opts, C.uint32_t(timeout))); err != nil {
			return err
		}
	}
	if deadline != 0 {
		if err := optionCode("Deadline", o.Deadline.String(), C.ua_options_set_deadline_ms(opts, C.uint32_t(deadline))); err != nil {
			return err
		}
	}
	if o.MaxRetries != nil {
		if err := optionCode("MaxRetries", "", C.ua_options_set_max_retries(opts, C.uint32_t(*o.MaxRetries))); err != nil {
			return err
		}
	}
	if base != 0 {
		code := C.ua_options_set_retry_backoff_ms(opts, C.uint32_t(base), C.uint32_t(maxWait))
		if err := optionCode("BackoffBase/BackoffMax", o.BackoffBase.String()+"/"+o.BackoffMax.String(), code); err != nil {
			return err
		}
	}
	if o.DisableLocalChecks {
		if err := optionCode("DisableLocalChecks", "", C.ua_options_set_local_checks(opts, C.bool(false))); err != nil {
			return err
		}
	}
	return nil
}

// setString hands one text option to the library through a temporary C
// string. A secret value is never echoed in the error.
func setString(opts *C.ua_options, name, value string, secret bool,
	set func(*C.ua_options, *C.char) C.ua_code) error {
	shown := value
	if secret {
		shown = ""
	}
	if i := strings.IndexByte(value, 0); i >= 0 {
		return argumentError("Options.%s contains a NUL byte at offset %d", name, i)
	}
	cs := C.CString(value)
	defer C.free(unsafe.Pointer(cs))
	return optionCode(name, shown, set(opts, cs))
}

// optionCode turns a setter's refusal into an *Error naming the field.
func optionCode(name, shown string, code C.ua_code) error {
	if Code(code) == CodeOK {
		return nil
	}
	c := Code(code)
	msg := "Options." + name + " refused"
	if shown != "" {
		msg += " (" + shown + ")"
	}
	return &Error{Code: c, Message: msg + ": " + c.Describe()}
}

// durationMs converts d to whole milliseconds, rounding up so that a small
// positive duration never turns into 0 ("use the default").
func durationMs(name string, d time.Duration) (uint32, error) {
	if d < 0 {
		return 0, argumentError("Options.%s is negative (%s)", name, d)
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	if ms > math.MaxUint32 {
		return 0, argumentError("Options.%s is too long (%s; at most %d ms)", name, d, uint32(math.MaxUint32))
	}
	return uint32(ms), nil
}
