# The C side: the C test program (tests/c), the C example (examples/c).
# Both are compiled with the strictest flags against include/coveo_ua.h and
# linked to the release shared library with an rpath, so they run in place.
.PHONY: test-c test-c-plain test-c-valgrind demo-c
TEST_TARGETS += test-c
DEMO_TARGETS += demo-c

C_STRICT_FLAGS := -std=c99 -Wall -Wextra -Werror -pedantic
C_BUILD_DIR := $(CURDIR)/target/c
# Once the library carries its SONAME (libcoveo_ua.so.0), programs linked to it
# look for that name at run time; target/release only has libcoveo_ua.so, so
# C_SONAME_DIR holds a libcoveo_ua.so.0 link to it, searched first.
C_SONAME_DIR := $(C_BUILD_DIR)/soname
C_SONAME_LINK := $(C_SONAME_DIR)/libcoveo_ua.so.0
C_LINK_LIB := -L$(RELEASE_DIR) -lcoveo_ua -Wl,-rpath,$(C_SONAME_DIR) -Wl,-rpath,$(RELEASE_DIR)
# The package version, from the first `version = "..."` line of Cargo.toml.
COVEO_UA_VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)
# Definite and indirect leaks fail the run; "still reachable" blocks (Rust's
# std and thread-local storage keep some until exit) are allowed.
VALGRIND_CHECK := valgrind --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect

C_TEST_SOURCES := $(sort $(wildcard tests/c/*.c)) examples/c/emulator_control.c
C_TEST_HEADERS := $(wildcard tests/c/*.h) examples/c/emulator_control.h include/coveo_ua.h

$(C_BUILD_DIR):
	mkdir -p $@

$(C_SONAME_LINK):
	mkdir -p $(C_SONAME_DIR)
	ln -sfn $(LIB_SO) $@

$(C_BUILD_DIR)/test_c: $(C_TEST_SOURCES) $(C_TEST_HEADERS) | build $(C_BUILD_DIR) $(C_SONAME_LINK)
	$(CC) $(C_STRICT_FLAGS) -DCOVEO_UA_EXPECTED_VERSION='"$(COVEO_UA_VERSION)"' \
		-Iinclude -Iexamples/c $(C_TEST_SOURCES) -o $@ $(C_LINK_LIB) -pthread

$(C_BUILD_DIR)/send_event: examples/c/send_event.c examples/c/emulator_control.c \
		examples/c/emulator_control.h include/coveo_ua.h | $(C_BUILD_DIR) $(C_SONAME_LINK)
	$(CC) $(C_STRICT_FLAGS) -Iinclude -Iexamples/c examples/c/send_event.c \
		examples/c/emulator_control.c -o $@ $(C_LINK_LIB)

$(C_BUILD_DIR)/queue_demo: examples/c/queue_demo.c examples/c/emulator_control.c \
		examples/c/emulator_control.h include/coveo_ua.h | $(C_BUILD_DIR) $(C_SONAME_LINK)
	$(CC) $(C_STRICT_FLAGS) -Iinclude -Iexamples/c examples/c/queue_demo.c \
		examples/c/emulator_control.c -o $@ $(C_LINK_LIB)

# The test program starts its own ua-emulator ($(UA_EMULATOR_BIN)).
test-c: test-c-plain test-c-valgrind

test-c-plain: $(C_BUILD_DIR)/test_c
	$(C_BUILD_DIR)/test_c

test-c-valgrind: $(C_BUILD_DIR)/test_c test-c-plain
	@command -v valgrind >/dev/null || { echo "test-c: valgrind is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
	$(VALGRIND_CHECK) $(C_BUILD_DIR)/test_c

# Runs inside scripts/with-emulator.sh (UA_ENDPOINT, UA_TOKEN, UA_ORG set).
demo-c: $(C_BUILD_DIR)/send_event $(C_BUILD_DIR)/queue_demo
	$(C_BUILD_DIR)/send_event
	$(C_BUILD_DIR)/queue_demo
