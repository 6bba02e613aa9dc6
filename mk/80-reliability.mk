# Reliability and security checks beyond `cargo test` (whose fault matrix,
# concurrency, TLS/proxy and token-leak suites run in test-rust):
# - sanitize: the C test program built with clang under AddressSanitizer,
#   UndefinedBehaviorSanitizer and LeakSanitizer, linked to the release
#   libcoveo_ua.so, run against its own emulator. Part of `make test`.
# - fuzz: every cargo-fuzz target for FUZZ_SECONDS each (default 60), by hand.
# - fuzz-smoke: every target for FUZZ_SMOKE_SECONDS (10), part of `make test`
#   so the targets cannot rot: about 3 minutes on a fresh 2-core machine
#   (30 s to install cargo-fuzz, 2 min to build the instrumented targets).
.PHONY: sanitize test-sanitize fuzz fuzz-smoke fuzz-tools fuzz-build
TEST_TARGETS += test-sanitize fuzz-smoke

CLANG ?= clang
SANITIZE_DIR := $(TARGET_DIR)/sanitize
# -O1 keeps stack traces readable; recover=undefined off so UBSan findings fail.
SANITIZE_FLAGS := -std=c99 -Wall -Wextra -pedantic -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
# No suppressions: the library's long-lived allocations (thread-locals, the
# std runtime) are still reachable at exit, which LeakSanitizer does not report.
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_init_order=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SANITIZE_LINK := -L$(RELEASE_DIR) -lcoveo_ua -Wl,-rpath,$(RELEASE_DIR)

$(SANITIZE_DIR):
	mkdir -p $@

$(SANITIZE_DIR)/test_c: $(C_TEST_SOURCES) $(C_TEST_HEADERS) | build $(SANITIZE_DIR)
	@command -v $(CLANG) >/dev/null || { echo "sanitize: $(CLANG) is missing (scripts/install-deps.sh installs clang)" >&2; exit 1; }
	$(CLANG) $(SANITIZE_FLAGS) -DCOVEO_UA_EXPECTED_VERSION='"$(COVEO_UA_VERSION)"' \
		-Iinclude -Iexamples/c $(C_TEST_SOURCES) -o $@ $(SANITIZE_LINK) -pthread

# A program that leaks one ua_options on purpose: LeakSanitizer must report it,
# otherwise a clean run of the tests would prove nothing (e.g. LSan disabled
# under ptrace in some containers).
$(SANITIZE_DIR)/leak_canary: include/coveo_ua.h | build $(SANITIZE_DIR)
	printf '%s\n' '#include <coveo_ua.h>' \
		'int main(void) { ua_options *o = ua_options_new(); o = 0; return o != 0; }' \
		> $(SANITIZE_DIR)/leak_canary.c
	$(CLANG) $(SANITIZE_FLAGS) -Iinclude $(SANITIZE_DIR)/leak_canary.c -o $@ $(SANITIZE_LINK)

sanitize: $(SANITIZE_DIR)/test_c $(SANITIZE_DIR)/leak_canary
	@if $(SANITIZE_ENV) $(SANITIZE_DIR)/leak_canary > $(SANITIZE_DIR)/canary.log 2>&1; then \
		echo "sanitize: LeakSanitizer did not report the canary's leak; it is not working here" >&2; exit 1; fi
	@grep -q 'LeakSanitizer: detected memory leaks' $(SANITIZE_DIR)/canary.log || { \
		cat $(SANITIZE_DIR)/canary.log >&2; echo "sanitize: the canary failed for another reason" >&2; exit 1; }
	@echo "sanitize: LeakSanitizer is active (canary leak reported)"
	$(SANITIZE_ENV) $(SANITIZE_DIR)/test_c
	@echo "sanitize: C tests clean under ASan, UBSan and LSan"

test-sanitize: sanitize

# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 enables them on stable.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TARGETS := validate answer retry_after endpoint ffi_send raw_answer queue_enqueue spool_read
FUZZ_ENV := RUSTC_BOOTSTRAP=1
CARGO_FUZZ_VERSION := 0.13.2

fuzz-tools:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked --version $(CARGO_FUZZ_VERSION)

fuzz-build: fuzz-tools
	cd fuzz && $(FUZZ_ENV) $(CARGO) fuzz build

# Runs each target for $(1) seconds. New inputs go to fuzz/target/work (not to
# the committed seeds); a crash stops the run and lands in fuzz/artifacts.
# -timeout=10 makes any input that holds a call for 10 s a failure (a hang).
define run_fuzz_targets
	@mkdir -p fuzz/target/logs
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/target/work/$$t; \
		echo "fuzz: $$t for $(1) s"; \
		( cd fuzz && $(FUZZ_ENV) $(CARGO) fuzz run $$t target/work/$$t corpus/$$t -- \
			-max_total_time=$(1) -timeout=10 -print_final_stats=1 ) > fuzz/target/logs/$$t.log 2>&1 \
			|| { tail -n 60 fuzz/target/logs/$$t.log >&2; echo "fuzz: $$t FAILED (log: fuzz/target/logs/$$t.log)" >&2; exit 1; }; \
		echo "fuzz: $$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' fuzz/target/logs/$$t.log) executions, no finding"; \
	done
endef

fuzz: fuzz-build
	$(call run_fuzz_targets,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	$(call run_fuzz_targets,$(FUZZ_SMOKE_SECONDS))
