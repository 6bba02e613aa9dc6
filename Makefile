# Top-level entry points: `make demo`, `make test`, `make bench`.
# Each part of the project adds its own targets in mk/*.mk by appending to
# TEST_TARGETS, DEMO_TARGETS and BENCH_TARGETS, so this file stays small.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PYTHON ?= python3
GO ?= go

RELEASE_DIR := $(CURDIR)/target/release
LIB_SO := $(RELEASE_DIR)/libcoveo_ua.so
LIB_A := $(RELEASE_DIR)/libcoveo_ua.a
EMULATOR_BIN := $(RELEASE_DIR)/ua-emulator

# Every test suite and example finds the binaries through these.
export UA_EMULATOR_BIN := $(EMULATOR_BIN)
export COVEO_UA_LIBRARY := $(LIB_SO)

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

include $(sort $(wildcard mk/*.mk))

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
