// Package coveoua sends events to the Coveo Usage Analytics Write API (v15)
// through libcoveo_ua, the project's C library, with cgo.
//
// One Client, created by NewClient and shared by every goroutine, sends each
// event with a blocking call that ends when the service accepted the event or
// the call failed for good. Retries (5xx, 429, connection failures, timeouts)
// with jittered backoff, the Retry-After header, checks of the event before
// sending and the deadline all live in the C library; this package turns Go
// values into JSON, maps the context onto the call and the library's result
// onto Result or *Error.
//
//	client, err := coveoua.NewClient(coveoua.Options{Token: key, Org: "myorg"})
//	if err != nil { ... }
//	defer client.Close()
//	_, err = client.SendCustom(ctx, map[string]any{
//		"eventType": "signup", "eventValue": "trial", "language": "en"})
//	switch {
//	case errors.Is(err, coveoua.ErrInvalidToken): // renew the key
//	case errors.Is(err, coveoua.ErrTimeout):      // the deadline passed
//	}
//
// A Queue (NewQueue) takes events off the caller instead: Enqueue returns in
// about a microsecond, worker threads deliver with the same rules and ride
// out outages with one shared pause, OnFailure hears of every event failed
// for good, an optional spool directory keeps events across restarts, and
// Close(ctx) delivers what is left before the program exits:
//
//	queue, err := coveoua.NewQueue(coveoua.QueueOptions{
//		Options:   coveoua.Options{Token: key, Org: "myorg"},
//		OnFailure: func(kind coveoua.Kind, event []byte, err *coveoua.Error) { ... },
//		Logger:    slog.Default(),
//	})
//	if err != nil { ... }
//	defer queue.Close(shutdownCtx)
//	err = queue.EnqueueCustom(event) // nil, or why it was not taken
//
// Linking: cgo is required (CGO_ENABLED=1 and a C compiler). By default the
// module as released links its own static library of the platform
// (lib/<goos>_<goarch>/libcoveo_ua.a: linux/amd64, linux/arm64,
// windows/amd64), so nothing is installed and nothing is loaded at run time.
// With the build tag coveoua_pkgconfig, an installed copy through pkg-config
// (coveo_ua.pc, installed by `make install PREFIX=...`; set
// PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig). With the build tag coveoua_intree,
// ../../include/coveo_ua.h and ../../target/release/libcoveo_ua.so of the
// checkout (with an rpath), as the repository's own tests use. Flags in
// CGO_LDFLAGS come first, so `CGO_LDFLAGS=-L/some/dir` links another copy.
package coveoua
