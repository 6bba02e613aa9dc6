//go:build coveoua_pkgconfig && !coveoua_intree

package coveoua

// -tags coveoua_pkgconfig: an installed libcoveo_ua, found by pkg-config (see cgo.go).

// #cgo pkg-config: coveo_ua
import "C"
