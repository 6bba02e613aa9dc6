# `make python-dist`: every wheel and the sdist, in $(PY_DIST_DIR) (after
# mk/46-platforms.mk's builds, which they reuse: no wheel compiles anything).
# Each wheel is bindings/python packed by setup.py around one target's cargo
# output folder (COVEO_UA_PREBUILT_DIR) under its platform tag; auditwheel
# then confirms that each Linux wheel's library keeps to the policy of its tag
# (packaging/check-wheels.sh). The sdist carries the workspace's sources in
# crate/ and builds the library with cargo wherever it is installed.
#
# test-python-dist installs, each in a fresh venv outside the checkout, the
# x86_64 manylinux wheel, the arm64 one (an arm64 CPython under qemu-aarch64)
# and the sdist (built from source there, in a target folder of its own), and
# sends events from each to a native ua-emulator
# (packaging/test-python-dist.sh).
.PHONY: python-dist test-python-dist
TEST_TARGETS += test-python-dist

PY_DIST_DIR := $(TARGET_DIR)/python-dist
# platform tag=cargo output folder, one per wheel
PY_DIST_WHEELS := manylinux_2_17_x86_64=$(X86_64_DIR) manylinux_2_17_aarch64=$(ARM64_DIR) \
	musllinux_1_2_x86_64=$(MUSL_DIR) win_amd64=$(WINDOWS_DIR)

python-dist: build-linux-x86_64 build-linux-arm64 build-linux-musl build-windows $(PY_VENV)/bin/python
	$(PY_PIP) install $(PY_BUILD_REQUIRES)
	rm -rf $(PY_DIST_DIR) && mkdir -p $(PY_DIST_DIR)
	@for pair in $(PY_DIST_WHEELS); do \
		tag=$${pair%%=*}; folder=$${pair#*=}; \
		rm -rf bindings/python/build; \
		echo "python-dist: COVEO_UA_PREBUILT_DIR=$$folder COVEO_UA_WHEEL_PLATFORM=$$tag pip wheel ./bindings/python"; \
		COVEO_UA_PREBUILT_DIR=$$folder COVEO_UA_WHEEL_PLATFORM=$$tag \
			$(PY_PIP) wheel --no-build-isolation --no-deps -w $(PY_DIST_DIR) ./bindings/python; \
	done
	cd bindings/python && $(PY_VENV)/bin/python -c 'import sys; from setuptools import build_meta; \
		print("python-dist: sdist", build_meta.build_sdist(sys.argv[1]))' $(PY_DIST_DIR) >/dev/null
	rm -rf bindings/python/build bindings/python/src/coveo_ua.egg-info
	PYTHON='$(PYTHON)' packaging/check-wheels.sh $(PY_DIST_DIR)/*.whl
	ls -l $(PY_DIST_DIR)

test-python-dist: build python-dist
	PYTHON='$(PYTHON)' ARM64_PYTHON_ROOT='$(ARM64_PYTHON_ROOT)' VERSION='$(COVEO_UA_VERSION)' \
		packaging/test-python-dist.sh $(PY_DIST_DIR)
