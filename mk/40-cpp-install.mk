# The C++ wrapper (include/coveo_ua.hpp): its test and example; and
# `make install`, with its end-to-end check `test-install`.
.PHONY: demo-cpp install test-install test-cpp-tls
TEST_TARGETS += test-cpp test-cpp-tls test-install
DEMO_TARGETS += demo-cpp

CPP_BUILD_DIR := $(TARGET_DIR)/cpp
# The C helpers the C++ test shares with the C tests (harness, emulator).
CPP_TEST_C_SOURCES := tests/c/harness.c tests/c/emulator_process.c examples/c/emulator_control.c
# tls_ca_file.cpp is a program of its own (test-cpp-tls, below).
CPP_TEST_SOURCES := $(filter-out tests/cpp/tls_ca_file.cpp,$(sort $(wildcard tests/cpp/*.cpp)))

$(CPP_BUILD_DIR):
	mkdir -p $@

$(CPP_BUILD_DIR)/test_wrapper: $(CPP_TEST_SOURCES) $(wildcard tests/cpp/*.hpp) $(CPP_TEST_C_SOURCES) include/coveo_ua.hpp \
		include/coveo_ua.h tests/c/harness.h tests/c/emulator_process.h examples/c/emulator_control.h \
		| build $(CPP_BUILD_DIR)
	for src in $(CPP_TEST_C_SOURCES); do \
		$(CC) $(C_STRICT_FLAGS) -Iinclude -Itests/c -Iexamples/c -c $$src \
			-o $(CPP_BUILD_DIR)/$$(basename $$src .c).o; \
	done
	$(CXX) $(CXX_STRICT_FLAGS) -Iinclude -Itests/c -Iexamples/c $(CPP_TEST_SOURCES) \
		$(addprefix $(CPP_BUILD_DIR)/,$(notdir $(CPP_TEST_C_SOURCES:.c=.o))) -o $@ $(C_LINK_LIB) -pthread

$(CPP_BUILD_DIR)/send_event: examples/cpp/send_event.cpp examples/cpp/demo_env.hpp include/coveo_ua.hpp include/coveo_ua.h | $(CPP_BUILD_DIR)
	$(CXX) $(CXX_STRICT_FLAGS) -Iinclude examples/cpp/send_event.cpp -o $@ $(C_LINK_LIB)

# The demo drives the emulator with the C helper, compiled as C.
$(CPP_BUILD_DIR)/queue_demo: examples/cpp/queue_demo.cpp examples/cpp/demo_env.hpp \
		examples/c/emulator_control.c examples/c/emulator_control.h include/coveo_ua.hpp include/coveo_ua.h | $(CPP_BUILD_DIR)
	$(CC) $(C_STRICT_FLAGS) -Iexamples/c -c examples/c/emulator_control.c -o $(CPP_BUILD_DIR)/demo_emulator_control.o
	$(CXX) $(CXX_STRICT_FLAGS) -Iinclude -Iexamples/c examples/cpp/queue_demo.cpp \
		$(CPP_BUILD_DIR)/demo_emulator_control.o -o $@ $(C_LINK_LIB)

# test-cpp: test-cpp-plain, then test-cpp-valgrind.
$(eval $(call plain_then_valgrind,test-cpp,$(CPP_BUILD_DIR)/test_wrapper))

# Options::ca_file against a TLS server (openssl s_server), plain only: see
# the comment at the top of tests/cpp/tls_ca_file.cpp.
$(CPP_BUILD_DIR)/tls_ca_file: tests/cpp/tls_ca_file.cpp tests/c/harness.c tests/c/harness.h include/coveo_ua.hpp \
		include/coveo_ua.h | build $(CPP_BUILD_DIR)
	$(CC) $(C_STRICT_FLAGS) -Iinclude -c tests/c/harness.c -o $(CPP_BUILD_DIR)/tls_harness.o
	$(CXX) $(CXX_STRICT_FLAGS) -Iinclude -Itests/c tests/cpp/tls_ca_file.cpp $(CPP_BUILD_DIR)/tls_harness.o \
		-o $@ $(C_LINK_LIB)

test-cpp-tls: $(CPP_BUILD_DIR)/tls_ca_file
	@command -v openssl >/dev/null || { echo "test-cpp-tls: openssl is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
	$(CPP_BUILD_DIR)/tls_ca_file

# Runs inside scripts/with-emulator.sh (UA_ENDPOINT, UA_TOKEN, UA_ORG set).
demo-cpp: $(CPP_BUILD_DIR)/send_event $(CPP_BUILD_DIR)/queue_demo
	$(CPP_BUILD_DIR)/send_event
	$(CPP_BUILD_DIR)/queue_demo

# make install PREFIX=/usr/local [LIBDIR=...] [INCLUDEDIR=...] [DESTDIR=...]
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
# System libraries libcoveo_ua.a needs, from `cargo rustc --release --lib
# --crate-type staticlib -- --print native-static-libs` (x86_64-linux-gnu);
# test-install links a program with exactly these, so drift shows up there.
COVEO_UA_LIBS_PRIVATE := $(shell sed -n '/^-/p' packaging/native-static-libs)

install: build
	PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' INCLUDEDIR='$(INCLUDEDIR)' DESTDIR='$(DESTDIR)' \
	VERSION='$(COVEO_UA_VERSION)' LIB_SO='$(LIB_SO)' LIB_A='$(LIB_A)' \
	LIBS_PRIVATE='$(COVEO_UA_LIBS_PRIVATE)' packaging/install.sh

test-install: build
	VERSION='$(COVEO_UA_VERSION)' packaging/test-install.sh
