# One command for checks and tests, one for the demo: used alike by people and CI.
# Python 3.13, the line Azure Functions runs this app on: python3.13 on the PATH, else pyenv's.
PYTHON ?= $(firstword $(foreach candidate,python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13),\
  $(shell $(candidate) -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && echo $(candidate))))
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CONSOLE_BUILD := console/dist/index.html
PYTEST_ARGS ?=

.PHONY: setup lint typecheck check test test-fast demo run package protos connector clean

setup: $(STAMP) $(NODE_STAMP) $(CONSOLE_BUILD)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.13 is needed and was not found: install it (e.g. 'pyenv install 3.13')" \
	  "or name it with 'make PYTHON=/path/to/python3.13 ...'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	# The project itself, editable: the `tenantatlas` command line (cli/) as .venv/bin/tenantatlas.
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# The console (docs/console.md): bundled by esbuild into console/dist, which the app serves and the package ships.
$(CONSOLE_BUILD): $(NODE_STAMP) console/build.mjs $(shell find console/src -type f 2>/dev/null)
	node console/build.mjs

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck

# Everything, the slow tests too, one pytest-xdist worker per core (each with its own Azurite, graphsim and
# devhosts); the 20 slowest tests are listed at the end (CI shows them). 12.5 min measured on 2 cores.
test: setup check
	$(BIN)/python -m pytest -n auto --durations=20 $(PYTEST_ARGS)

# The tests not marked slow, one pytest-xdist worker per core, each with its own Azurite, graphsim and
# devhosts (the session fixtures). About 3 min on a 2-core machine (make test: 12.5 min). No lint.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -n auto $(PYTEST_ARGS)

demo: setup
	$(BIN)/python -m local.demo

run: setup
	$(BIN)/python -m local.run

# The zip azd deploy ships: the app less what .funcignore leaves out.
package: $(STAMP) $(CONSOLE_BUILD)
	$(BIN)/python -m local.package --out dist/tenantatlas.zip

# Regenerate the devhost's protocol messages after a change to their .proto.
protos: $(STAMP)
	cd local/devhost/rpc && $(CURDIR)/$(BIN)/python -m grpc_tools.protoc -I. --python_out=. function_rpc.proto

# The Power Automate / Logic Apps connector's Swagger 2.0 definition, from the routes (a test checks it is current).
connector: $(STAMP)
	$(BIN)/python -m local.connector

clean:
	rm -rf .state .pytest_cache .mypy_cache .ruff_cache dist
