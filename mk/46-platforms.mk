# The other platforms (docs/platforms.md): one release build per target, made
# once and reused by its tests, its `make dist` tarball, its Python wheel and
# the Go module's static library. Linkers and runners are in
# .cargo/config.toml; scripts/install-deps.sh installs the targets, the cross
# compilers, qemu-user, Wine, zig and cargo-zigbuild.
#
# - Linux arm64 and the Linux x86_64 build that ships (wheels, Go module) go
#   through `cargo zigbuild` against glibc $(GLIBC_FLOOR), so they load on any
#   glibc from that one on (manylinux_2_17).
# - Linux musl (zig's musl): a static library, and a shared one whose only
#   dependency is musl's C library (zig links its own unwinder in, so Alpine
#   needs no libgcc).
# - Windows x64 (mingw-w64): coveo_ua.dll, its import library
#   libcoveo_ua.dll.a and the static libcoveo_ua.a.
# - macOS: type-checked only (`check-apple`): nothing here can link for it.
#
# Every test runs the native ua-emulator ($(EMULATOR_BIN)); the program under
# test runs under qemu-aarch64 or Wine, or natively for musl.

.PHONY: build-platforms build-linux-arm64 build-linux-x86_64 build-linux-musl build-windows \
	test-linux-arm64 test-linux-musl test-windows check-apple dist-platforms
TEST_TARGETS += test-linux-arm64 test-linux-musl test-windows check-apple

ZIGBUILD ?= cargo-zigbuild
GLIBC_FLOOR := 2.17
ARM64_TRIPLE := aarch64-unknown-linux-gnu
X86_64_TRIPLE := x86_64-unknown-linux-gnu
MUSL_TRIPLE := x86_64-unknown-linux-musl
WINDOWS_TRIPLE := x86_64-pc-windows-gnu
ARM64_DIR := $(TARGET_DIR)/$(ARM64_TRIPLE)/release
X86_64_DIR := $(TARGET_DIR)/$(X86_64_TRIPLE)/release
MUSL_DIR := $(TARGET_DIR)/$(MUSL_TRIPLE)/release
WINDOWS_DIR := $(TARGET_DIR)/$(WINDOWS_TRIPLE)/release

# Where an arm64 program finds its C library under qemu-user (Debian's
# libc6-arm64-cross), and the arm64 CPython that scripts/install-deps.sh
# unpacks from Debian's arm64 packages.
ARM64_SYSROOT := /usr/aarch64-linux-gnu
ARM64_PYTHON_ROOT ?= /opt/coveo-ua/arm64-python
QEMU_ARM64 := qemu-aarch64 -L $(ARM64_SYSROOT)
WINE ?= /usr/lib/wine/wine64
# A Wine prefix of our own, made at first use (about 10 s).
WINEPREFIX_DIR := $(TARGET_DIR)/wine-prefix

build-platforms: build-linux-arm64 build-linux-x86_64 build-linux-musl build-windows

# The whole workspace (library and emulator), as a user of that platform runs it.
build-linux-arm64: deps
	$(ZIGBUILD) zigbuild --release --locked --workspace --target $(ARM64_TRIPLE).$(GLIBC_FLOOR)
	ln -sfn libcoveo_ua.so $(ARM64_DIR)/libcoveo_ua.so.0

build-linux-x86_64: deps
	$(ZIGBUILD) zigbuild --release --locked --workspace --target $(X86_64_TRIPLE).$(GLIBC_FLOOR)
	ln -sfn libcoveo_ua.so $(X86_64_DIR)/libcoveo_ua.so.0

# zig's musl names its C library libc.so; musl's loader answers to that name
# too, but the musllinux policy (and Alpine's layout) names it
# libc.musl-x86_64.so.1, so the library's dependency is renamed (no-op the
# second time).
build-linux-musl: deps
	$(ZIGBUILD) zigbuild --release --locked --workspace --target $(MUSL_TRIPLE)
	patchelf --replace-needed libc.so libc.musl-x86_64.so.1 $(MUSL_DIR)/libcoveo_ua.so
	ln -sfn libcoveo_ua.so $(MUSL_DIR)/libcoveo_ua.so.0

# The library only: the emulator is a Unix program (the tests under Wine use
# the native one).
build-windows: deps
	$(CARGO) build --release --locked -p coveo-ua --lib --target $(WINDOWS_TRIPLE)

# Tests left out by name under qemu and Wine (cargo reports them as filtered
# out, never as passed); none at the moment.
EMULATED_KNOWN_FAILURES :=

# ---- Linux arm64, under qemu-aarch64 ----------------------------------------
# The library's unit tests and the Rust suites of the transport, the client,
# the C boundary and the in-memory queue, as a debug build (with the release
# profile every test binary gets its own thin-LTO link: ten times longer);
# the spool's suites re-execute the test binary as a child, which qemu-user
# without binfmt cannot do, and run natively in test-rust; so do the unit
# tests of src/sys/fork.rs (see ARM64_C_FORK_TESTS). Then the C test program.
ARM64_RUST_SUITES := send wire search_batch socket_reuse sigpipe ffi token_leak faults tls_proxy queue
ARM64_C_TEST := $(TARGET_DIR)/c-arm64/test_c
# qemu-user cannot stand in for the kernel when a threaded program forks: it
# ignores MADV_WIPEONFORK (the library's process-id cache) and its own
# assertion (cpu == current_cpu) fires in the child. The fork tests run
# natively (test-rust, test-c, sanitize); here they are left out by name and
# reported as skipped, never as passed.
ARM64_C_FORK_TESTS := a_forked_child_uses_the_queue_as_its_own,a_fork_while_a_thread_holds_the_queue_never_hangs_the_child

test-linux-arm64: build test-linux-arm64-rust test-linux-arm64-c

.PHONY: test-linux-arm64-rust test-linux-arm64-c
test-linux-arm64-rust: build build-linux-arm64
	$(CARGO) test --locked -p coveo-ua --target $(ARM64_TRIPLE) --lib $(addprefix --test ,$(ARM64_RUST_SUITES)) \
		-- --skip sys::fork:: $(addprefix --skip ,$(EMULATED_KNOWN_FAILURES))

$(ARM64_C_TEST): $(C_TEST_SOURCES) $(C_TEST_HEADERS) | build-linux-arm64
	mkdir -p $(dir $@)
	aarch64-linux-gnu-gcc $(C_STRICT_FLAGS) -DCOVEO_UA_EXPECTED_VERSION='"$(COVEO_UA_VERSION)"' \
		-Iinclude -Iexamples/c $(C_TEST_SOURCES) -o $@ -L$(ARM64_DIR) -lcoveo_ua -Wl,-rpath,$(ARM64_DIR) -pthread

test-linux-arm64-c: build $(ARM64_C_TEST)
	file -L $(ARM64_C_TEST) | grep -q 'ARM aarch64' || { echo "test-linux-arm64-c: $(ARM64_C_TEST) is not an arm64 program" >&2; exit 1; }
	TH_SKIP=$(ARM64_C_FORK_TESTS) $(QEMU_ARM64) $(ARM64_C_TEST)

# ---- Windows x64, under Wine -------------------------------------------------
# The Rust suites of the transport, the client, TLS with a given CA, the C
# boundary and the in-memory queue, as a debug build run under Wine
# (scripts/wine-run.sh is the target's runner); their emulators are started
# on the Linux side by scripts/with-emulator-launcher.sh. Left out: sigpipe
# and the spool suites (Unix calls in the tests themselves), platform_trust
# (it trusts its CA through SSL_CERT_FILE, which only Linux's store reads),
# and the library's unit tests, three of whose spool tests fail under Wine
# (docs/platforms.md). Then
# examples/cmake/hello.c, compiled by mingw-w64 against the DLL's import
# library and against the static library, sends an event that the native
# emulator records (packaging/test-windows-c.sh).
WINDOWS_RUST_SUITES := send wire search_batch faults ffi token_leak socket_reuse tls_proxy queue queue_close

.PHONY: test-windows-rust test-windows-c
test-windows: test-windows-rust test-windows-c

test-windows-rust: build
	scripts/with-emulator-launcher.sh $(CARGO) test --locked -p coveo-ua --target $(WINDOWS_TRIPLE) \
		$(addprefix --test ,$(WINDOWS_RUST_SUITES)) -- $(addprefix --skip ,$(EMULATED_KNOWN_FAILURES))

test-windows-c: build build-windows
	packaging/test-windows-c.sh $(WINDOWS_DIR)

# ---- Linux musl: a fully static C program ------------------------------------
# The C test program linked -static against the musl libcoveo_ua.a by musl's
# own gcc wrapper (Debian's musl-tools: the same musl as Alpine's), with
# Rust's own musl libunwind for the unwinder the static library leaves to the
# program: no shared library at all, so it runs on Alpine as it is. Not zig's
# C compiler: its libc brings zig's allocator instead of musl's, which is not
# fork-safe (a child forked while another thread allocates can wait forever
# on the allocator's lock; docs/platforms.md).
MUSL_C_TEST := $(TARGET_DIR)/c-musl/test_c
RUST_MUSL_UNWIND = $(shell rustc --print sysroot)/lib/rustlib/$(MUSL_TRIPLE)/lib/self-contained/libunwind.a
# zig's C compiler still builds the tarball's hello.c (test-dist-platforms),
# which does not fork.
ZIG_CC := $(PYTHON) -m ziglang cc

$(MUSL_C_TEST): $(C_TEST_SOURCES) $(C_TEST_HEADERS) | build-linux-musl
	mkdir -p $(dir $@)
	musl-gcc $(C_STRICT_FLAGS) -static -DCOVEO_UA_EXPECTED_VERSION='"$(COVEO_UA_VERSION)"' \
		-Iinclude -Iexamples/c $(C_TEST_SOURCES) -o $@ $(MUSL_DIR)/libcoveo_ua.a $(RUST_MUSL_UNWIND) -pthread

test-linux-musl: build $(MUSL_C_TEST)
	file $(MUSL_C_TEST) | grep -q 'statically linked' || { echo "test-linux-musl: $(MUSL_C_TEST) is not statically linked" >&2; exit 1; }
	$(MUSL_C_TEST)

# ---- macOS: type-check only ---------------------------------------------------
# The library and the emulator, for Apple silicon and Intel Macs. (The tests
# type-checked too until tests/queue_fork.rs called SYS_clone outside its
# Linux-only part; `--tests` goes back once that is fixed.)
# cargo-zigbuild lends zig's macOS C headers to ring's build script; nothing
# is linked (that needs Apple's SDK).
APPLE_TRIPLES := aarch64-apple-darwin x86_64-apple-darwin

check-apple: deps
	for t in $(APPLE_TRIPLES); do \
		$(ZIGBUILD) check --locked --workspace --lib --bins --target $$t; \
	done

# ---- `make dist` per target ---------------------------------------------------
# The tarball of packaging/dist.sh (layout of `make install`, relocatable
# pkg-config file, CMake package, bin/ua-emulator) for Linux arm64 and musl
# from their release builds, and a zip for Windows (packaging/dist-windows.sh).
# test-dist-platforms unpacks each Linux one outside the checkout, links
# examples/cmake/hello.c against it (arm64: Debian's aarch64 gcc, run under
# qemu; musl: zig's C compiler, fully static) and has it send an event that
# the tarball's own emulator (musl: run natively) or the native one records.
.PHONY: dist-linux-aarch64 dist-linux-x86_64-musl dist-windows-x86_64 test-dist-platforms
TEST_TARGETS += test-dist-platforms

DIST_ENV = VERSION='$(COVEO_UA_VERSION)' OUT='$(DIST_DIR)' LIBS_PRIVATE='$(COVEO_UA_LIBS_PRIVATE)' \
	SOURCE_DATE_EPOCH='$(DIST_DATE)'

dist-platforms: dist-linux-aarch64 dist-linux-x86_64-musl dist-windows-x86_64

dist-linux-aarch64: build-linux-arm64
	$(DIST_ENV) NAME=coveo-ua-$(COVEO_UA_VERSION)-linux-aarch64 PLATFORM=linux-aarch64 \
		LIB_SO=$(ARM64_DIR)/libcoveo_ua.so LIB_A=$(ARM64_DIR)/libcoveo_ua.a EMULATOR_BIN=$(ARM64_DIR)/ua-emulator \
		packaging/dist.sh

dist-linux-x86_64-musl: build-linux-musl
	$(DIST_ENV) NAME=coveo-ua-$(COVEO_UA_VERSION)-linux-x86_64-musl PLATFORM=linux-x86_64-musl \
		LIB_SO=$(MUSL_DIR)/libcoveo_ua.so LIB_A=$(MUSL_DIR)/libcoveo_ua.a EMULATOR_BIN=$(MUSL_DIR)/ua-emulator \
		packaging/dist.sh

dist-windows-x86_64: build-windows
	VERSION='$(COVEO_UA_VERSION)' OUT='$(DIST_DIR)' SOURCE_DATE_EPOCH='$(DIST_DATE)' \
		NAME=coveo-ua-$(COVEO_UA_VERSION)-windows-x86_64 DIR=$(WINDOWS_DIR) packaging/dist-windows.sh

test-dist-platforms: build dist-linux-aarch64 dist-linux-x86_64-musl
	VERSION='$(COVEO_UA_VERSION)' ZIG_CC='$(ZIG_CC)' packaging/test-dist-platforms.sh \
		$(DIST_DIR)/coveo-ua-$(COVEO_UA_VERSION)-linux-aarch64.tar.gz \
		$(DIST_DIR)/coveo-ua-$(COVEO_UA_VERSION)-linux-x86_64-musl.tar.gz
