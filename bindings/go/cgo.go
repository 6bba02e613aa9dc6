package coveoua

// The declarations come from the real header, never from a copy, so the Go
// side cannot drift from the C contract without failing to compile.
// The library is found in the workspace's release directory; an rpath keeps
// test binaries and examples runnable without LD_LIBRARY_PATH. Flags given in
// CGO_LDFLAGS come first on the link line, so `-L/other/dir` there wins.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -lcoveo_ua -Wl,-rpath,${SRCDIR}/../../target/release
#include "coveo_ua.h"
*/
import "C"

// Version returns the version of the linked C library, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.ua_version())
}
