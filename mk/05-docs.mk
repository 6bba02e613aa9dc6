# The README's C, C++ and Python snippets must compile against the real headers.
.PHONY: test-docs
TEST_TARGETS += test-docs

test-docs: deps
	$(PYTHON) scripts/check-readme-snippets.py
