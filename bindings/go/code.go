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

// The codes, taken from the header's UA_ constants so they cannot be mistyped.
const (
	CodeOK                             Code = C.UA_OK
	CodeInvalidHeaders                 Code = C.UA_INVALID_HEADERS
	CodeInvalidJSON                    Code = C.UA_INVALID_JSON
	CodeInvalidObject                  Code = C.UA_INVALID_OBJECT
	CodeInvalidToken                   Code = C.UA_INVALID_TOKEN
	CodeInvalidTokenHeader             Code = C.UA_INVALID_TOKEN_HEADER
	CodeMissingParameter               Code = C.UA_MISSING_PARAMETER
	CodeNoWorkgroupAssociatedWithToken Code = C.UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN
	CodeUnauthorizedHub                Code = C.UA_UNAUTHORIZED_HUB
	CodeUnauthorizedOrg                Code = C.UA_UNAUTHORIZED_ORG
	CodeInvalidURI                     Code = C.UA_INVALID_URI
	CodeNotAcceptable                  Code = C.UA_NOT_ACCEPTABLE
	CodeUnsupportedMediaType           Code = C.UA_UNSUPPORTED_MEDIA_TYPE
	CodeTooManyRequests                Code = C.UA_TOO_MANY_REQUESTS
	CodeServerError                    Code = C.UA_SERVER_ERROR
	CodeUnexpectedResponse             Code = C.UA_UNEXPECTED_RESPONSE
	CodeInvalidArgument                Code = C.UA_INVALID_ARGUMENT
	CodeConnectionFailed               Code = C.UA_CONNECTION_FAILED
	CodeTimeout                        Code = C.UA_TIMEOUT
	CodeInternal                       Code = C.UA_INTERNAL
)

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
