//go:build !coveoua_intree

package coveoua

// The default: an installed libcoveo_ua, found by pkg-config (see cgo.go).

// #cgo pkg-config: coveo_ua
import "C"
