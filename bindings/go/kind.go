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
	// KindSearchBatch is a JSON array of search events sent in one request
	// (POST <endpoint>/v15/analytics/searches).
	KindSearchBatch Kind = C.UA_EVENT_SEARCH_BATCH
	// KindCollect is a collect event (Case Assist, older commerce setups):
	// one object in the service's Measurement-Protocol form
	// (POST <endpoint>/v15/analytics/collect), whose fields the service judges.
	KindCollect Kind = C.UA_EVENT_COLLECT
)

// String returns "search", "click", "custom", "view", "searches" or
// "collect" (the path segment), or "Kind(N)" for any other number, which the
// library refuses with CodeInvalidArgument.
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
	case KindSearchBatch:
		return "searches"
	case KindCollect:
		return "collect"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
