# Benchmarks: `make bench` runs benches/run.py (under 5 minutes; writes
# BENCHMARKS.md); `make bench-smoke`, part of `make test`, runs every row with
# a tiny event count and fails only if a row did not run or gave nonsense.
.PHONY: bench-run bench-smoke
BENCH_TARGETS += bench-run
TEST_TARGETS += bench-smoke

bench-run: build
	$(PYTHON) benches/run.py

bench-smoke: build
	$(PYTHON) benches/run.py --smoke
