# Benchmarks: `make bench` runs benches/run.py (under 5 minutes; writes
# BENCHMARKS.md); `make bench-smoke`, part of `make test`, runs every row with
# a tiny event count and fails only if a row did not run or gave nonsense.
# The Go rows are built in the tree (GO_INTREE_ENV: tag coveoua_intree).
.PHONY: bench-run bench-smoke
BENCH_TARGETS += bench-run
TEST_TARGETS += bench-smoke

bench-run: build
	$(GO_INTREE_ENV) $(PYTHON) benches/run.py

bench-smoke: build
	$(GO_INTREE_ENV) $(PYTHON) benches/run.py --smoke
