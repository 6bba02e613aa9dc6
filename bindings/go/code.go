package coveoua

/*
#include "coveo_ua.h"
*/
import "C"

// Code is a result code of the C library (ua_code). The numbers are stable:
// 0 is success, 1-99 are the service's documented error types and 100-199 are
// failures the library detects itself. A number this package does not know
// still prints and describes itself through the library.
type Code int32

// The Code constants and their sentinels are generated from the library's
// code table: see codes_gen.go.

// String returns the code's constant name from the library, e.g.
// "UA_INVALID_JSON", or "UA_UNKNOWN_CODE" for a number it does not know.
func (c Code) String() string {
	return C.GoString(C.ua_code_name(C.ua_code(c)))
}

// Describe returns the library's explanation of the code: what happened, the
// likely cause and what to do about it. It is never empty.
func (c Code) Describe() string {
	return C.GoString(C.ua_error_describe(C.ua_code(c)))
}
