//go:build coveoua_intree

package coveoua

// -tags coveoua_intree: this checkout's header and release build (see cgo.go).
// The rpath keeps test binaries and examples runnable without LD_LIBRARY_PATH.
// With CARGO_TARGET_DIR the Makefile puts -L and -rpath of that folder first
// in CGO_LDFLAGS.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -lcoveo_ua -Wl,-rpath,${SRCDIR}/../../target/release
*/
import "C"
