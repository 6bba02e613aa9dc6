# Go binding (bindings/go) and its example (examples/go).
# By default the binding links an installed libcoveo_ua through pkg-config;
# this repository's own Go builds use the build tag coveoua_intree (through
# GO_INTREE_ENV, see mk/00-vars.mk), which links the release build with an
# rpath, so `build` comes first. -count=1: a cached pass must not hide a
# rebuilt library. test-go-module builds a module outside the checkout against
# `make install`'s prefix with pkg-config alone (packaging/test-go-module.sh).
.PHONY: test-go test-go-module demo-go
TEST_TARGETS += test-go test-go-module
DEMO_TARGETS += demo-go

GO_TEST_FLAGS ?= -race -count=1 -timeout 300s

test-go: build
	cd bindings/go && $(GO_INTREE_ENV) $(GO) vet ./...
	cd bindings/go && $(GO_INTREE_ENV) $(GO) test $(GO_TEST_FLAGS) ./...
	cd bindings/go && COVEOUA_GC_STRESS=1 $(GO_INTREE_ENV) $(GO) test $(GO_TEST_FLAGS) -run 'TestSendsUnderConstantGC' ./...
	cd examples/go && $(GO_INTREE_ENV) $(GO) vet ./...

test-go-module: build
	GO='$(GO)' packaging/test-go-module.sh

demo-go:
	cd examples/go && $(GO_INTREE_ENV) $(GO) run ./send_event
	cd examples/go && $(GO_INTREE_ENV) $(GO) run ./queue_demo
