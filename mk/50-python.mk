# Python binding (bindings/python) and its example (examples/python).
# python-wheel builds the wheel with the package's own backend (setuptools-rust,
# see bindings/python/setup.py), which reuses the release build of `make build`
# instead of compiling the library again. test-python installs that wheel into
# a venv under target/ and runs the suite against the installed copy
# (COVEO_UA_TEST_INSTALLED makes a test check that); test-python-wheel installs
# it into a venv outside the checkout, sends events with no environment
# variable set, and runs the Flask example of docs/testing.md there with the
# wheel's pytest plugin and emulator. PyPI is needed for pytest,
# pytest-asyncio, setuptools >= 70.1, setuptools-rust and the pre-fork servers
# the queue's fork tests run (gunicorn, and uWSGI as the pyuwsgi wheel) (once:
# later runs build without the network), and for pytest and Flask in
# test-python-wheel's fresh venv (pip's cache makes that a few seconds). The wheel carries the
# emulator of make build (UA_EMULATOR_BIN, see bindings/python/setup.py).
.PHONY: python-wheel test-python test-python-wheel demo-python
TEST_TARGETS += test-python test-python-wheel
DEMO_TARGETS += demo-python

PY_VENV := $(TARGET_DIR)/py-venv
PY_PIP := $(PY_VENV)/bin/python -m pip --disable-pip-version-check -q
PY_BUILD_REQUIRES := 'setuptools>=70.1' 'setuptools-rust>=1.9,<2'
PY_TEST_REQUIRES := pytest pytest-asyncio 'gunicorn>=22' 'pyuwsgi>=2.0.28'
PY_WHEEL_DIR := $(TARGET_DIR)/wheels
# The one wheel python-wheel leaves in PY_WHEEL_DIR (its platform tag varies).
PY_WHEEL = $$(ls $(PY_WHEEL_DIR)/coveo_ua-$(COVEO_UA_VERSION)-py3-none-*.whl)
PYTEST_FLAGS ?= -q

$(PY_VENV)/bin/python:
	$(PYTHON) -m venv $(PY_VENV)

# --no-build-isolation: the backend comes from the venv, not from PyPI at each
# build. If cargo rebuilt the library here, the release build was not reused
# (different features or flags): that doubles the build time of `make test`.
python-wheel: build $(PY_VENV)/bin/python
	$(PY_PIP) install $(PY_TEST_REQUIRES) $(PY_BUILD_REQUIRES)
	rm -rf bindings/python/build $(PY_WHEEL_DIR)  # setuptools would ship stale files left there
	before=$$(stat -c '%i %y' $(LIB_SO)); \
	$(PY_PIP) wheel --no-build-isolation --no-deps -w $(PY_WHEEL_DIR) ./bindings/python; \
	[ "$$(stat -c '%i %y' $(LIB_SO))" = "$$before" ] || { \
		echo "python-wheel: cargo rebuilt $(LIB_SO) instead of reusing make build's copy" >&2; exit 1; }
	@echo "python-wheel: $(PY_WHEEL) ($$(du -k $(PY_WHEEL) | cut -f1) KiB)"

# pytest exits 5 when it collected nothing; that must fail loudly, not pass.
test-python: python-wheel
	$(PY_PIP) install --no-index --no-deps --force-reinstall $(PY_WHEEL)
	cd bindings/python && status=0 && COVEO_UA_TEST_INSTALLED=1 $(PY_VENV)/bin/python -m pytest $(PYTEST_FLAGS) tests || status=$$?; \
	if [ "$$status" -eq 5 ]; then echo "test-python: pytest collected no tests" >&2; exit 1; fi; \
	exit "$$status"

test-python-wheel: python-wheel
	PYTHON='$(PYTHON)' packaging/test-python-wheel.sh $(PY_WHEEL)

demo-python:
	PYTHONPATH=$(CURDIR)/bindings/python/src $(PYTHON) examples/python/send_event.py
	PYTHONPATH=$(CURDIR)/bindings/python/src $(PYTHON) examples/python/queue_demo.py
