# Balcão — every target installs what it needs first (fresh Debian 12, root).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
APT_PACKAGES := redis-server python3-venv python3-dev build-essential

.PHONY: setup system-deps demo test test-odoo-live lint lock bench clean

setup: $(STAMP)

system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v cc >/dev/null || missing="$$missing build-essential python3-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root, or: apt-get install$$missing" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): requirements.lock pyproject.toml | system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

demo: setup
	$(BIN)/balcao demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The Odoo conformance suite against a real Odoo: ODOO_TEST_URL, ODOO_TEST_DB,
# ODOO_TEST_LOGIN, ODOO_TEST_KEY (see README).
test-odoo-live: setup
	@test -n "$$ODOO_TEST_URL" || { echo "set ODOO_TEST_URL (and _DB, _LOGIN, _KEY)" >&2; exit 2; }
	$(BIN)/python -m pytest -q tests/odoo_contract

lint: setup
	$(BIN)/ruff check .

# Recompile the lock after changing dependencies in pyproject.toml (no URLs in the output).
lock: setup
	$(BIN)/pip-compile -q --extra dev --strip-extras --no-emit-index-url \
	  --no-emit-trusted-host --no-emit-find-links --no-header --annotation-style=line \
	  -o requirements.lock pyproject.toml
	# the same pins without the development tools: what the Docker image installs
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url \
	  --no-emit-trusted-host --no-emit-find-links --no-header --annotation-style=line \
	  --constraint requirements.lock -o requirements-runtime.lock pyproject.toml

bench: setup
	$(BIN)/python -m bench.odoo_roundtrip
	$(BIN)/python -m bench.mcp_overhead
	$(BIN)/python -m bench.catalog_search
	$(BIN)/python -m bench.finance_report

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
