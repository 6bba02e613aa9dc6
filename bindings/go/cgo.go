package coveoua

// The declarations come from the real header, never from a copy, so the Go
// side cannot drift from the C contract without failing to compile.
//
// Where the header and libcoveo_ua come from depends on a build tag:
//   - by default (cgo_bundled.go), from include/ and lib/<goos>_<goarch>/ of
//     the module as released (`make go-module`): a static library per
//     platform, linked into the program, so nothing needs installing;
//   - with -tags coveoua_pkgconfig (cgo_pkgconfig.go), from pkg-config's
//     coveo_ua: after `make install PREFIX=/some/prefix` (or unpacking `make
//     dist`'s tarball), PKG_CONFIG_PATH=/some/prefix/lib/pkgconfig is all a
//     module needs to build;
//   - with -tags coveoua_intree (cgo_intree.go), from this checkout's include/
//     and target/release/, with an rpath: what the repository's own tests,
//     benchmarks and examples use (the Makefile sets the tag).
// Without cgo, nocgo.go stops the build with a message that says so.
// Flags given in CGO_LDFLAGS come first on the link line, so `-L/other/dir`
// there wins in both cases.

/*
#include "coveo_ua.h"
*/
import "C"

// Version returns the version of the linked C library, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.ua_version())
}
