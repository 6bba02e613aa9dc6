# Variables shared by the Makefile and every mk/*.mk file; included first.

# Cargo's output folder: $CARGO_TARGET_DIR when set, else target/ of the
# workspace. A relative CARGO_TARGET_DIR is taken from the repository root
# (where make runs cargo) and exported absolute, so a tool run from another
# folder (pip in bindings/python, go in bindings/go) finds the same folder.
ifneq ($(strip $(CARGO_TARGET_DIR)),)
override CARGO_TARGET_DIR := $(abspath $(CARGO_TARGET_DIR))
export CARGO_TARGET_DIR
endif
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
RELEASE_DIR := $(TARGET_DIR)/release
LIB_SO := $(RELEASE_DIR)/libcoveo_ua.so
LIB_A := $(RELEASE_DIR)/libcoveo_ua.a
EMULATOR_BIN := $(RELEASE_DIR)/ua-emulator

# Every test suite and example finds the binaries through these.
export UA_EMULATOR_BIN := $(EMULATOR_BIN)
export COVEO_UA_LIBRARY := $(LIB_SO)

# The package version, from the first `version = "..."` line of Cargo.toml.
COVEO_UA_VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)

# The C test program (tests/c) and what it is rebuilt on; compiled by test-c
# (gcc, then valgrind) and by sanitize (clang with ASan, UBSan, LSan).
C_TEST_SOURCES := $(sort $(wildcard tests/c/*.c)) examples/c/emulator_control.c
C_TEST_HEADERS := $(wildcard tests/c/*.h) examples/c/emulator_control.h include/coveo_ua.h

C_STRICT_FLAGS := -std=c99 -Wall -Wextra -Werror -pedantic
CXX_STRICT_FLAGS := -std=c++17 -Wall -Wextra -Werror -pedantic

# Definite and indirect leaks fail the run; "still reachable" blocks (Rust's
# std and thread-local storage keep some until exit) are allowed.
VALGRIND_CHECK := valgrind --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect

# $(eval $(call plain_then_valgrind,NAME,PROGRAM)) defines NAME-plain (runs
# PROGRAM), NAME-valgrind (then runs it under valgrind) and NAME (both, in
# that order). The test programs start their own ua-emulator ($UA_EMULATOR_BIN).
define plain_then_valgrind
.PHONY: $(1) $(1)-plain $(1)-valgrind
$(1): $(1)-plain $(1)-valgrind

$(1)-plain: $(2)
	$(2)

$(1)-valgrind: $(2) $(1)-plain
	@command -v valgrind >/dev/null || { echo "$(1): valgrind is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
	$$(VALGRIND_CHECK) $(2)
endef

# The repository's own Go builds (bindings/go tests, examples/go, benches/go)
# link the build tree: the tag coveoua_intree selects bindings/go/cgo_intree.go
# instead of pkg-config, and CGO_LDFLAGS (which cgo puts first on the link
# line) points at $(RELEASE_DIR), so CARGO_TARGET_DIR is followed.
GO_INTREE_ENV := GOFLAGS='$(strip $(GOFLAGS) -tags=coveoua_intree)' \
	CGO_LDFLAGS='$(strip -L$(RELEASE_DIR) -Wl,-rpath,$(RELEASE_DIR) $(CGO_LDFLAGS))'
