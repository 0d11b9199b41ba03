# The template's own commands. A fresh machine needs only python3 (3.11+) and Node.js 20 with npm (jsii
# runs aws-cdk-lib on it); everything else comes from requirements.txt into .venv and from package-lock.json
# into node_modules.

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
# Touched after a successful install: a newer requirements.txt (or embedded AWS pyproject) means the venv is stale.
INSTALLED := $(VENV)/.installed-requirements
# The embedded AWS package, kept here and vendored into every generated service; installed editable, so the
# template's tests (and the generated suites they run in this venv) use this copy.
EMBEDDED_AWS := embedded-aws
# The same for the Node tools the tests run (the CDK CLI, asl-validator), pinned in package-lock.json.
NODE_INSTALLED := node_modules/.installed-lock
# The default service's directory: cookiecutter.json's default project_name, slugified.
DEMO := build/orders-service
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

# Node 20 is past jsii's end of life; its warning box would bury the output of every synth.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: install demo test test-full lint clean

$(INSTALLED): requirements.txt $(EMBEDDED_AWS)/pyproject.toml
	@$(PYTHON_BOOTSTRAP) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "$(PYTHON_BOOTSTRAP) must be Python 3.11 or newer (set PYTHON_BOOTSTRAP=...)"; exit 1; }
	test -x $(PYTHON) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt -e ./$(EMBEDDED_AWS)
	touch $@

# `npm ci` installs exactly the lock file's versions, after emptying node_modules (the stamp with it).
$(NODE_INSTALLED): package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The template's Python and Node tools, without running anything (the other targets install them as needed).
install: $(INSTALLED) $(NODE_INSTALLED)

# Render the default service into build/ and run its scripted tour on the embedded AWS (`make local`):
# synth, deploy into moto, then orders through the API, the outbox, the relay and the saga, with a compensation.
demo: $(INSTALLED)
	rm -rf $(DEMO)
	$(VENV)/bin/cookiecutter --no-input -o build .
	$(MAKE) --no-print-directory -C $(DEMO) local PYTHON=$(abspath $(PYTHON))
	@echo "The default service is in $(DEMO); see its README.md. To try its API with curl:"
	@echo "  make -C $(DEMO) serve PYTHON=$(abspath $(PYTHON))"

# Two workers for two cores; each rendered combination's checks stay together on one (xdist_group).
test: $(INSTALLED) $(NODE_INSTALLED)
	$(PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Every supported combination's own `make test`, not only the representative ones `make test` runs.
test-full: $(INSTALLED) $(NODE_INSTALLED)
	$(PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup tests/test_generated_suite.py --all-combinations $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(PYTHON) -m ruff check hooks tests local_extensions.py $(EMBEDDED_AWS)
	$(PYTHON) -m ruff format --check hooks tests local_extensions.py $(EMBEDDED_AWS)
	$(PYTHON) -m mypy

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
