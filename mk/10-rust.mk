# Rust unit and integration tests of the whole workspace (library and emulator).
# test-ureq-tcp runs the sending suites again over ureq's own TCP transport
# (feature ureq-tcp-transport, instead of src/wire/tcp.rs), so a ureq upgrade that
# breaks our transport shows at once which side broke. It is a debug build that
# reuses test-rust's dependencies: only the library and three tests recompile.
.PHONY: test-rust test-ureq-tcp
TEST_TARGETS += test-rust test-ureq-tcp

test-rust: build
	$(CARGO) test --workspace --locked

test-ureq-tcp: build
	$(CARGO) test --locked --features ureq-tcp-transport --test send --test wire --test search_batch
