# Go binding (bindings/go) and its example (examples/go).
# The binding links target/release/libcoveo_ua.so with an rpath, so `build`
# comes first. -count=1: a cached pass must not hide a rebuilt library.
.PHONY: test-go demo-go
TEST_TARGETS += test-go
DEMO_TARGETS += demo-go

GO_TEST_FLAGS ?= -race -count=1 -timeout 300s

test-go: build
	cd bindings/go && $(GO) vet ./...
	cd bindings/go && $(GO) test $(GO_TEST_FLAGS) ./...
	cd bindings/go && COVEOUA_GC_STRESS=1 $(GO) test $(GO_TEST_FLAGS) -run 'TestSendsUnderConstantGC' ./...
	cd examples/go && $(GO) vet ./...

demo-go:
	cd examples/go && $(GO) run ./send_event
	cd examples/go && $(GO) run ./queue_demo
