# nesy: two commands do everything on a fresh Debian/Ubuntu machine.
#   make demo   set up, a tour of the engine, then the console on the clinic bundle
#   make test   set up, then lint, type-check and the whole test suite
# make setup is idempotent and quick when nothing is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo test lint bench clean swipl chromium

setup: swipl chromium $(STAMP)

swipl:
	@command -v swipl >/dev/null 2>&1 || { \
	  echo "installing SWI-Prolog from the system packages"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq swi-prolog-nox >/dev/null; }

# the browser of the app's end-to-end tests (driven by Playwright; never a browser download)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium from the system packages"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# deepproblog (the peer of benchmarks/vs_deepproblog.py and of the tests that compare with it)
# without its dependencies: it asks for torchvision, which only its MNIST example uses and
# which would pull a CUDA build of torch; its real dependencies (problog, pysdd, pillow) are
# in the test extra.
$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[torch,app,test]"
	$(PIP) install -q --no-deps deepproblog==2.1.0
	@touch $(STAMP)

PORT ?= 8501

demo: setup
	@bash scripts/tour.sh
	@echo
	@echo "== the diagnostic console on the clinic bundle: open http://localhost:$(PORT) (Ctrl-C stops it)"
	@$(VENV)/bin/nesy app examples/clinic --server.port $(PORT) --server.headless true

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -q

bench: setup
	$(PY) benchmarks/vs_problog.py
	$(PY) benchmarks/vs_deepproblog.py
	$(PY) benchmarks/explain.py
	$(PY) benchmarks/kg.py
	$(PY) benchmarks/bundles.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
