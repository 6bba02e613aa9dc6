# Python binding (bindings/python) and its example (examples/python).
# The package is installed into a venv under target/ so the tests exercise
# the installed copy, not the source tree (COVEO_UA_TEST_INSTALLED makes a test
# check that). Only PyPI is needed, once, for pytest and setuptools >= 70.1
# (which builds wheels by itself); later runs reinstall without the network.
.PHONY: test-python demo-python
TEST_TARGETS += test-python
DEMO_TARGETS += demo-python

PY_VENV := $(CURDIR)/target/py-venv
PY_PIP := $(PY_VENV)/bin/python -m pip --disable-pip-version-check -q
PYTEST_FLAGS ?= -q

$(PY_VENV)/bin/python:
	$(PYTHON) -m venv $(PY_VENV)

# pytest exits 5 when it collected nothing; that must fail loudly, not pass.
test-python: build $(PY_VENV)/bin/python
	$(PY_PIP) install pytest 'setuptools>=70.1'
	rm -rf bindings/python/build  # setuptools would ship stale files left there
	$(PY_PIP) install --no-build-isolation --no-deps --force-reinstall ./bindings/python
	cd bindings/python && status=0 && COVEO_UA_TEST_INSTALLED=1 $(PY_VENV)/bin/python -m pytest $(PYTEST_FLAGS) tests || status=$$?; \
	if [ "$$status" -eq 5 ]; then echo "test-python: pytest collected no tests" >&2; exit 1; fi; \
	exit "$$status"

demo-python:
	PYTHONPATH=$(CURDIR)/bindings/python/src $(PYTHON) examples/python/send_event.py
	PYTHONPATH=$(CURDIR)/bindings/python/src $(PYTHON) examples/python/queue_demo.py
