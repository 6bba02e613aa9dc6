package coveoua

/*
#include "coveo_ua.h"
*/
import "C"

import (
	"runtime"
	"sync"
)

// Client sends events to the Usage Analytics Write API through one C
// ua_client. It is safe for concurrent use by any number of goroutines;
// share one per process and configuration.
//
// Close releases the C client. A Client that is dropped without Close is
// released by a finalizer, but only when the garbage collector gets to it:
// call Close.
type Client struct {
	// mu guards handle: sends hold it for reading while inside C, Close
	// takes it for writing, so the handle is never freed under a send.
	mu     sync.RWMutex
	handle *C.ua_client
}

// NewClient hands the options to the library and creates a client. Nothing
// is sent over the network. A refused option is an *Error with the library's
// code (CodeInvalidArgument) and its own explanation as the Message; the
// few values that cannot cross into C (a NUL byte, a duration outside uint32
// milliseconds) are refused here with the same code.
func NewClient(opts Options) (*Client, error) {
	ms, err := opts.check()
	if err != nil {
		return nil, err
	}
	copts, err := opts.cOptions(ms)
	if err != nil {
		return nil, err
	}
	// ua_client_new copies the options, so they go once it has run, whatever
	// the outcome.
	defer freeCOptions(copts)
	var handle *C.ua_client
	if err := optionsError(copts, C.ua_client_new(copts, &handle)); err != nil {
		return nil, err
	}
	if handle == nil {
		return nil, &Error{Code: CodeInternal, Message: "ua_client_new reported success without a client"}
	}
	c := &Client{handle: handle}
	runtime.SetFinalizer(c, (*Client).release)
	return c, nil
}

// Close releases the C client. It waits for sends in flight on other
// goroutines to end (each is bounded by its deadline), is safe to call more
// than once and from several goroutines, and always returns nil. Any send
// after Close fails with an error that wraps ErrClosed.
func (c *Client) Close() error {
	c.release()
	runtime.SetFinalizer(c, nil)
	return nil
}

// release frees the handle once; it is also the finalizer.
func (c *Client) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handle != nil {
		C.ua_client_free(c.handle)
		c.handle = nil
	}
}
