package coveoua

// The Go ends of the C callbacks in queue_callbacks.go. A file with //export
// may only declare C functions in its preamble, so the C side lives there.

/*
#include <stdint.h>
#include <string.h>
#include "coveo_ua.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// hooksOf finds the queue's hooks. The handle outlives every callback (it is
// deleted only after ua_queue_free returned), so a lookup cannot fail unless
// the library broke that promise; then the message is dropped rather than
// the process.
func hooksOf(handle C.uintptr_t) *queueHooks {
	defer func() { _ = recover() }()
	hooks, _ := cgo.Handle(handle).Value().(*queueHooks)
	return hooks
}

//export coveouaQueueFailure
func coveouaQueueFailure(handle C.uintptr_t, kind C.ua_event_kind, eventJSON *C.char, result *C.ua_result) {
	hooks := hooksOf(handle)
	if hooks == nil || hooks.onFailure == nil {
		return
	}
	// Copies: the strings and the result live only during this call.
	event := C.GoBytes(unsafe.Pointer(eventJSON), C.int(C.strlen(eventJSON)))
	hooks.failed(Kind(kind), event, refusalError(Code(C.ua_result_code(result)), result))
}

//export coveouaQueueLog
func coveouaQueueLog(handle C.uintptr_t, level C.int32_t, message *C.char) {
	if hooks := hooksOf(handle); hooks != nil {
		hooks.log(level, C.GoString(message))
	}
}
