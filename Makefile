# Set-up in one command each: `make demo` runs the registry with demo data, `make test` runs the suite.
# Both need only python3 with venv; they install everything else themselves.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app registry
CHROMIUM := /usr/bin/chromium
# Installing chromium needs root; use sudo when we are not root (CI and the dev machines are).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help demo test install chromium axe

help:
	@echo "make demo   install, migrate, load the demo data and serve http://127.0.0.1:5000"
	@echo "make test   install, then lint, format check and the whole test suite"

$(PYTHON):
	python3 -m venv $(VENV)

# Re-installs only when pyproject.toml changes (the stamp lives inside the venv).
$(VENV)/.installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The browser tests drive Debian's Chromium; Playwright never downloads a browser of its own.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium </dev/null; \
	fi

# axe-core for the accessibility scan, at the version pinned in tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE)

# Lint, format check and tests all run, so one run shows every problem; any failure fails.
# The tests run in one worker per core (pytest-xdist); each worker has its own database and
# ports. Work stealing keeps both cores busy while the long property tests finish.
test: install chromium axe
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/pytest -n auto --dist worksteal || status=1; \
	exit $$status

# seed-demo is idempotent and prints the demo logins.
demo: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000
