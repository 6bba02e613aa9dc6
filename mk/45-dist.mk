# `make dist`: the binary tarball $(DIST_TARBALL) (the `make install` layout
# with a relocatable pkg-config file, the CMake package, bin/ua-emulator and a
# README), from the one release build. test-dist unpacks it outside the
# checkout and builds and runs the C, C++ and CMake examples against it.
.PHONY: dist test-dist
TEST_TARGETS += test-dist

# linux-x86_64, like the wheel's platform tag (linux_x86_64).
DIST_PLATFORM := $(shell uname -s | tr '[:upper:]' '[:lower:]')-$(shell uname -m)
DIST_NAME := coveo-ua-$(COVEO_UA_VERSION)-$(DIST_PLATFORM)
DIST_DIR := $(TARGET_DIR)/dist
DIST_TARBALL := $(DIST_DIR)/$(DIST_NAME).tar.gz
# Every file of the tarball is dated like the last commit (same input, same bytes).
DIST_DATE := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

dist: build
	VERSION='$(COVEO_UA_VERSION)' NAME='$(DIST_NAME)' PLATFORM='$(DIST_PLATFORM)' OUT='$(DIST_DIR)' \
	LIB_SO='$(LIB_SO)' LIB_A='$(LIB_A)' EMULATOR_BIN='$(EMULATOR_BIN)' LIBS_PRIVATE='$(COVEO_UA_LIBS_PRIVATE)' \
	SOURCE_DATE_EPOCH='$(DIST_DATE)' packaging/dist.sh

test-dist: dist
	VERSION='$(COVEO_UA_VERSION)' packaging/test-dist.sh $(DIST_TARBALL)
