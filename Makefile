# Top-level entry points: `make demo`, `make test`, `make bench`.
# Each part of the project adds its own targets in mk/*.mk by appending to
# TEST_TARGETS, DEMO_TARGETS and BENCH_TARGETS, so this file stays small.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PYTHON ?= python3
GO ?= go

# The target folder (CARGO_TARGET_DIR), the version, flags and the paths
# exported as COVEO_UA_LIBRARY and UA_EMULATOR_BIN.
include mk/00-vars.mk

TEST_TARGETS :=
DEMO_TARGETS :=
BENCH_TARGETS :=

.PHONY: all deps build test demo demo-steps bench fmt lint
all: build

# A fresh machine gets what it lacks (apt packages, rustup components); on a
# machine that has everything this only checks, in about a second.
deps:
	scripts/install-deps.sh

# One release build of the whole workspace serves the demo, the bindings and
# the benchmarks; `cargo test` builds its own debug copy.
build: deps
	$(CARGO) build --release --workspace --locked
	@# The library's SONAME is libcoveo_ua.so.0: programs linked in the build
	@# tree look for that name at run time.
	ln -sfn libcoveo_ua.so $(RELEASE_DIR)/libcoveo_ua.so.0

include $(sort $(filter-out mk/00-vars.mk,$(wildcard mk/*.mk)))

test: $(TEST_TARGETS)
	@echo "make test: all suites passed ($(TEST_TARGETS))"

# The emulator is started once on a free loopback port for all demo steps and
# stopped by scripts/with-emulator.sh whatever happens.
demo: build
	scripts/with-emulator.sh $(MAKE) --no-print-directory demo-steps

demo-steps: $(DEMO_TARGETS)

bench: build $(BENCH_TARGETS)

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
