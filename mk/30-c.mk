# The C side: the C test program (tests/c), the C example (examples/c).
# Both are compiled with the strictest flags against include/coveo_ua.h and
# linked to the release shared library with an rpath, so they run in place
# (`make build` puts the libcoveo_ua.so.0 link they load beside it).
TEST_TARGETS += test-c
DEMO_TARGETS += demo-c
.PHONY: demo-c

C_BUILD_DIR := $(TARGET_DIR)/c
C_LINK_LIB := -L$(RELEASE_DIR) -lcoveo_ua -Wl,-rpath,$(RELEASE_DIR)

$(C_BUILD_DIR):
	mkdir -p $@

# What both C examples are built with: the environment's service, the emulator's control API.
C_DEMO_HELPERS := examples/c/demo_env.c examples/c/demo_env.h examples/c/emulator_control.c \
	examples/c/emulator_control.h

$(C_BUILD_DIR)/test_c: $(C_TEST_SOURCES) $(C_TEST_HEADERS) | build $(C_BUILD_DIR)
	$(CC) $(C_STRICT_FLAGS) -DCOVEO_UA_EXPECTED_VERSION='"$(COVEO_UA_VERSION)"' \
		-Iinclude -Iexamples/c $(C_TEST_SOURCES) -o $@ $(C_LINK_LIB) -pthread

$(C_BUILD_DIR)/send_event: examples/c/send_event.c $(C_DEMO_HELPERS) include/coveo_ua.h | $(C_BUILD_DIR)
	$(CC) $(C_STRICT_FLAGS) -Iinclude -Iexamples/c examples/c/send_event.c \
		$(filter %.c,$(C_DEMO_HELPERS)) -o $@ $(C_LINK_LIB)

$(C_BUILD_DIR)/queue_demo: examples/c/queue_demo.c $(C_DEMO_HELPERS) include/coveo_ua.h | $(C_BUILD_DIR)
	$(CC) $(C_STRICT_FLAGS) -Iinclude -Iexamples/c examples/c/queue_demo.c \
		$(filter %.c,$(C_DEMO_HELPERS)) -o $@ $(C_LINK_LIB)

# test-c: test-c-plain, then test-c-valgrind.
$(eval $(call plain_then_valgrind,test-c,$(C_BUILD_DIR)/test_c))

# Runs inside scripts/with-emulator.sh (UA_ENDPOINT, UA_TOKEN, UA_ORG set).
demo-c: $(C_BUILD_DIR)/send_event $(C_BUILD_DIR)/queue_demo
	$(C_BUILD_DIR)/send_event
	$(C_BUILD_DIR)/queue_demo
