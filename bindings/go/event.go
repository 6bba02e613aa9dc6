package coveoua

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// encodeEvent turns the caller's event into a NUL-terminated JSON text held
// in Go memory. The slice holds no Go pointers, so cgo lets C read it during
// the call without another copy into the C heap.
//
// []byte, json.RawMessage and string are taken as JSON text, unchanged (the
// library checks it); anything else goes through encoding/json, except a nil
// slice, which is the empty array "[]" rather than null.
func encodeEvent(event any) ([]byte, error) {
	var text []byte
	switch v := event.(type) {
	case nil:
		return nil, argumentError("the event is nil; pass a struct, a map or JSON text")
	case json.RawMessage:
		text = withNUL(v)
	case []byte:
		text = withNUL(v)
	case string:
		text = make([]byte, len(v)+1)
		copy(text, v)
	default:
		rv := reflect.ValueOf(event)
		if (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Map) && rv.IsNil() {
			return nil, argumentError("the event is a nil %T; pass a value", event)
		}
		if _, custom := event.(json.Marshaler); rv.Kind() == reflect.Slice && rv.IsNil() && !custom {
			// encoding/json writes null for a nil slice; in Go it is an
			// empty one, and the library judges it as such.
			return []byte("[]\x00"), nil
		}
		marshalled, err := json.Marshal(event)
		if err != nil {
			return nil, &Error{
				Code:    CodeInvalidArgument,
				Message: fmt.Sprintf("the event (%T) cannot be encoded as JSON: %v", event, err),
				cause:   err,
			}
		}
		// A fresh slice from json.Marshal: appending may reuse its spare room.
		text = append(marshalled, 0)
	}
	// A NUL inside the text would silently cut it short for C. Raw NUL is
	// never valid JSON (it must be escaped), so report it as the service would.
	if i := bytes.IndexByte(text[:len(text)-1], 0); i >= 0 {
		return nil, &Error{
			Code:    CodeInvalidJSON,
			Type:    "InvalidJson",
			Message: fmt.Sprintf("the event contains a NUL byte at offset %d, which JSON does not allow", i),
		}
	}
	return text, nil
}

// withNUL copies b into a new slice with a terminating NUL, leaving the
// caller's backing array untouched.
func withNUL(b []byte) []byte {
	out := make([]byte, len(b)+1)
	copy(out, b)
	return out
}
