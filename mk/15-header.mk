# `make header` regenerates include/coveo_ua.h from src/ with the pinned cbindgen.
# `cargo test` (test-rust) fails while the committed header is stale.
# `make generate` refreshes every generated, committed file: what the
# `generated` test blesses (UA_BLESS=1), then the header.
.PHONY: header generate
header:
	UA_BLESS_HEADER=1 $(CARGO) test -p coveo-ua --test header --locked -- committed_header_matches_the_sources

generate:
	UA_BLESS=1 $(CARGO) test -p coveo-ua --test generated --locked
	$(MAKE) --no-print-directory header
