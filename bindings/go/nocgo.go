//go:build !cgo

package coveoua

// The binding calls libcoveo_ua, a C library, so it needs cgo. Without it
// (CGO_ENABLED=0, or a cross build where Go turns cgo off) this import stops
// the build before anything is compiled, with one error whose package name
// says what to do, instead of a failure at run time.
import _ "github.com/coveo-ua/coveo-ua/bindings/go/internal/cgo_required_set_CGO_ENABLED_1"
