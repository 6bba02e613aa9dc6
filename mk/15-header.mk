# `make header` regenerates include/coveo_ua.h from src/ with the pinned cbindgen.
# `cargo test` (test-rust) fails while the committed header is stale.
.PHONY: header
header:
	UA_BLESS_HEADER=1 $(CARGO) test -p coveo-ua --test header --locked -- committed_header_matches_the_sources
