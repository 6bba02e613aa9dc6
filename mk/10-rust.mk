# Rust unit and integration tests of the whole workspace (library and emulator).
.PHONY: test-rust
TEST_TARGETS += test-rust

test-rust: build
	$(CARGO) test --workspace --locked
