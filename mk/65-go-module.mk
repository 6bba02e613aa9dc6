# `make go-module`: the Go module tree as it would be published, with a static
# library per platform (packaging/go-module.sh), in $(GO_MODULE_DIR). Built
# from mk/46-platforms.mk's release builds: linux/amd64 from the glibc 2.17
# build, linux/arm64 and windows/amd64.
#
# test-go-module-tree builds a program of another module outside the checkout
# against that tree with GOPROXY=off, no pkg-config and no LD_LIBRARY_PATH,
# for linux/amd64 (run natively), linux/arm64 (run under qemu-aarch64) and
# windows/amd64 (run under Wine); each sends to a native ua-emulator. It also checks that CGO_ENABLED=0 stops
# the build with a message naming cgo (packaging/test-go-module-tree.sh).
.PHONY: go-module test-go-module-tree
TEST_TARGETS += test-go-module-tree

GO_MODULE_DIR := $(TARGET_DIR)/go-module
GO_MODULE_LINUX := linux_amd64=$(X86_64_DIR)/libcoveo_ua.a=strip \
	linux_arm64=$(ARM64_DIR)/libcoveo_ua.a=aarch64-linux-gnu-strip
# The Windows archive is kept as built: mingw's strip refuses its split-DWARF
# (.dwo) members, which hold no sections.
GO_MODULE_WINDOWS := windows_amd64=$(WINDOWS_DIR)/libcoveo_ua.a=true

go-module: build-linux-x86_64 build-linux-arm64 build-windows
	packaging/go-module.sh $(GO_MODULE_DIR) $(GO_MODULE_LINUX) $(GO_MODULE_WINDOWS)

test-go-module-tree: build go-module
	GO='$(GO)' packaging/test-go-module-tree.sh $(GO_MODULE_DIR) linux/amd64 linux/arm64 windows/amd64
