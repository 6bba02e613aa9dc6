//go:build cgo

// Package cgo_required_set_CGO_ENABLED_1 exists for its name: coveoua imports
// it only when cgo is off (nocgo.go), and then Go stops the build saying that
// build constraints exclude all its files, which names the fix. coveoua calls
// libcoveo_ua, a C library: build with CGO_ENABLED=1 and a C compiler.
package cgo_required_set_CGO_ENABLED_1
