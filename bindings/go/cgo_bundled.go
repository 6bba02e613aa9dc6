//go:build !coveoua_pkgconfig && !coveoua_intree

package coveoua

// The default: the header and the static library of each platform that the
// module as released carries (`make go-module` writes that tree), so that
// `go get` and `go build` need cgo and a C compiler, nothing installed. The
// system libraries after each archive are what Rust's standard library and
// the TLS stack need there (rustc --print native-static-libs). A checkout of
// the repository has no include/ or lib/ here: use -tags coveoua_intree (the
// Makefile does) or -tags coveoua_pkgconfig.

/*
#cgo CFLAGS: -I${SRCDIR}/include
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/lib/linux_amd64/libcoveo_ua.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
#cgo linux,arm64 LDFLAGS: ${SRCDIR}/lib/linux_arm64/libcoveo_ua.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
#cgo windows,amd64 LDFLAGS: ${SRCDIR}/lib/windows_amd64/libcoveo_ua.a -lws2_32 -lntdll -luserenv -lbcrypt -lcrypt32 -lsecur32 -lncrypt -ladvapi32 -lkernel32 -lole32 -loleaut32
#cgo darwin,amd64 LDFLAGS: ${SRCDIR}/lib/darwin_amd64/libcoveo_ua.a -framework Security -framework CoreFoundation -liconv
#cgo darwin,arm64 LDFLAGS: ${SRCDIR}/lib/darwin_arm64/libcoveo_ua.a -framework Security -framework CoreFoundation -liconv
*/
import "C"
