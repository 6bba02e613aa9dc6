# The user-facing pages (README.md, docs/*.md, emulator/README.md, the
# tarball's README) must stay true: every code block is compiled, run, built
# or compared with real output, or says why it cannot be; every quoted
# message is one the library, the emulator or a binding really says. The
# self-test first proves the check can fail. See scripts/check-docs.py.
.PHONY: test-docs
TEST_TARGETS += test-docs

test-docs: build
	$(PYTHON) scripts/check-docs.py --self-test
	$(PYTHON) scripts/check-docs.py
