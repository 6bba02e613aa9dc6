package coveoua

/*
#include "coveo_ua.h"
*/
import "C"

import "strconv"

// Kind is the kind of a usage analytics event; it picks the service path
// (POST <endpoint>/v15/analytics/<kind>) and the fields checked before sending.
type Kind int32

// The event kinds, taken from the header's UA_EVENT_ constants.
const (
	KindSearch Kind = C.UA_EVENT_SEARCH
	KindClick  Kind = C.UA_EVENT_CLICK
	KindCustom Kind = C.UA_EVENT_CUSTOM
	KindView   Kind = C.UA_EVENT_VIEW
)

// String returns "search", "click", "custom" or "view" (the path segment),
// or "Kind(N)" for any other number, which the library refuses with
// CodeInvalidArgument.
func (k Kind) String() string {
	switch k {
	case KindSearch:
		return "search"
	case KindClick:
		return "click"
	case KindCustom:
		return "custom"
	case KindView:
		return "view"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
