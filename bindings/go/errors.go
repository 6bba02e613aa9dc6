package coveoua

import (
	"errors"
	"fmt"
	"strings"
)

// Error is what a failed call reports: the library's code plus whatever the
// service or the library said about it. Every error this package returns is
// an *Error, except those caused by the caller's context (which wrap
// context.Canceled or context.DeadlineExceeded).
//
// Compare with the sentinels through errors.Is, e.g.
// errors.Is(err, coveoua.ErrInvalidToken); use errors.As to read the fields.
type Error struct {
	// Code is the library's result code; never CodeOK.
	Code Code
	// HTTPStatus is the status of the last answer; 0 when none arrived
	// (refused before sending, connection failure, timeout).
	HTTPStatus int
	// Type is the error type the service answered with (or would have, for a
	// problem found before sending), e.g. "InvalidJson"; empty when none.
	Type string
	// Message is the service's message, or the library's own explanation.
	// It never contains the token.
	Message string
	// Attempts counts the HTTP attempts made; 0 when the call stopped
	// before sending.
	Attempts int
	// Body is the raw body of the last answer; empty when there was none.
	Body string

	// sentinel marks the package-level Err* values, which match any *Error
	// with the same Code under errors.Is.
	sentinel bool
	// cause is an underlying Go error (a JSON marshalling failure, ErrClosed,
	// or the context's error when its deadline was the one that fired).
	cause error
}

// Error formats the code, the HTTP details when there are any, and the message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("coveoua: ")
	b.WriteString(e.Code.String())
	if e.HTTPStatus != 0 || e.Type != "" {
		b.WriteString(" (")
		if e.HTTPStatus != 0 {
			fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
			if e.Type != "" {
				b.WriteString(" ")
			}
		}
		b.WriteString(e.Type)
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " [after %d attempts]", e.Attempts)
	}
	return b.String()
}

// Is reports whether target is the sentinel for e's code, so that
// errors.Is(err, ErrTimeout) holds for every timeout whatever its details.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.sentinel && t.Code == e.Code
}

// Unwrap returns the underlying Go error, if any: the json.Marshal failure,
// ErrClosed, or the context's error whose deadline cut the call short.
func (e *Error) Unwrap() error { return e.cause }

func sentinel(c Code) *Error { return &Error{Code: c, sentinel: true} }

// The sentinels (ErrInvalidJSON, ErrServerError, ...) are generated from the
// library's code table, one per failure code named after its C constant: see
// codes_gen.go.

// Names from before the sentinels followed the C constants one to one.
var (
	// Deprecated: use ErrNoWorkgroupAssociatedWithToken.
	ErrNoWorkgroup = ErrNoWorkgroupAssociatedWithToken
	// Deprecated: use ErrServerError.
	ErrServer = ErrServerError
)

// ErrClosed is wrapped by the error of any call on a closed Client (that
// error is also an ErrInvalidArgument).
var ErrClosed = errors.New("coveoua: client is closed")

// SentinelFor returns the sentinel error for a failure code, or nil for
// CodeOK and for numbers this package does not know.
func SentinelFor(c Code) error {
	for _, s := range sentinels {
		if s.Code == c {
			return s
		}
	}
	return nil
}

// argumentError is a failure found by this package before calling the
// library; it carries the same code the library would have used.
func argumentError(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf(format, args...)}
}
