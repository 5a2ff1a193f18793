# The one entry point. Every target finds or installs uv (with pip) and never downloads a Python.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
# uv must not pick a Python of its own: use the interpreter this machine calls python3.
PYTHON ?= python3
PYTHON_BIN := $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null)
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON_BIN) -m uv")
VENV := .venv
VPY := $(VENV)/bin/python
SOURCES := $(wildcard packages/*/src/starlette)

.PHONY: help uv install run test test-testclient-httpx test-ecosystem-oldest test-unit test-isolation chromium lint typecheck build test-matrix clean bench bench-server wrk docs docs-serve fuzz load

help:
	@echo "make run           serve the demo application on http://127.0.0.1:8000"
	@echo "make install       create .venv with every distribution (editable) and the tools"
	@echo "make test          the whole suite with per-distribution coverage, then the isolation proof"
	@echo "make test-testclient-httpx  tests/testclient with httpx 0.28 instead of httpx2 (in make test)"
	@echo "make test-ecosystem-oldest  tests/ecosystem with FastAPI 0.116 (in make test)"
	@echo "make lint          ruff check, ruff format --check, actionlint"
	@echo "make typecheck     mypy --strict over every distribution and the tests"
	@echo "make build         wheels and sdists of every distribution into dist/"
	@echo "make test-matrix   the test suite on every CPython 3.10-3.13 found on this machine"
	@echo "make bench         in-process benchmarks against upstream Starlette 1.10.0, Falcon, BlackSheep"
	@echo "make bench-server  uvicorn and granian under wrk, ours against upstream (loopback only)"
	@echo "make docs          build the documentation site (mkdocs --strict, in make test); docs-serve serves it"
	@echo "make fuzz          run each fuzz target for a fixed number of executions"
	@echo "make load          load and fault runs of the demo under uvicorn (see benchmarks/LOAD.md)"

uv:
	@$(UV) --version >/dev/null 2>&1 || { echo "uv not found: installing it with pip"; $(PYTHON_BIN) -m pip install --quiet uv; }

install: uv
	$(UV) sync --all-packages --locked --python "$(PYTHON_BIN)"

run: install
	$(VPY) examples/serve.py

test: install chromium test-unit test-isolation test-testclient-httpx test-ecosystem-oldest docs

# The browser tests drive Debian's Chromium; browsers are never downloaded at run time.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test-unit:
	$(VPY) -m pytest tests --ignore=tests/isolation --cov --cov-report= --cov-report=json:coverage.json
	$(VPY) scripts/coverage_by_distribution.py coverage.json

test-isolation:
	$(VPY) -m pytest tests/isolation -v

# tests/testclient once more with httpx 0.28 and without httpx2: TestClient's fallback. The
# environment holds the locked test group minus httpx2 (and its httpcore2), so the versions are
# the lock's; the fallback's deprecation warning is expected on import, not an error here.
HTTPX_VENV := .venv-httpx
test-testclient-httpx: uv
	$(UV) venv --quiet --allow-existing --python "$(PYTHON_BIN)" $(HTTPX_VENV)
	$(UV) export --frozen --all-packages --no-default-groups --group test --no-hashes \
	  --no-emit-package httpx2 --no-emit-package httpcore2 --quiet -o $(HTTPX_VENV)/requirements.txt
	$(UV) pip sync --quiet --python $(HTTPX_VENV)/bin/python $(HTTPX_VENV)/requirements.txt
	$(HTTPX_VENV)/bin/python -c 'import importlib.util as u; assert not u.find_spec("httpx2")'
	$(HTTPX_VENV)/bin/python -m pytest tests/testclient -q -p no:randomly \
	  -W 'ignore:Using `httpx` with `starlette.testclient` is deprecated:UserWarning'

# tests/ecosystem once more with the oldest FastAPI the docs support (the workspace has the
# newest). The environment holds the locked test and ecosystem groups without FastAPI, then
# FastAPI 0.116 with --no-deps: its dependencies are locked already and upstream `starlette`
# must stay out.
OLDEST_VENV := .venv-fastapi-oldest
test-ecosystem-oldest: uv
	$(UV) venv --quiet --allow-existing --python "$(PYTHON_BIN)" $(OLDEST_VENV)
	$(UV) export --frozen --all-packages --no-default-groups --group test --group ecosystem \
	  --no-hashes --no-emit-package fastapi --quiet -o $(OLDEST_VENV)/requirements.txt
	$(UV) pip sync --quiet --python $(OLDEST_VENV)/bin/python $(OLDEST_VENV)/requirements.txt
	$(UV) pip install --quiet --python $(OLDEST_VENV)/bin/python --no-deps "fastapi==0.116.*"
	$(OLDEST_VENV)/bin/python -c 'import fastapi; assert fastapi.__version__.startswith("0.116.")'
	$(OLDEST_VENV)/bin/python -m pytest tests/ecosystem -q -p no:randomly

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/actionlint .github/workflows/*.yml

typecheck: install
	MYPYPATH=examples:benchmarks $(VENV)/bin/mypy $(SOURCES) tests examples benchmarks

build: install
	rm -rf dist
	$(UV) build --all-packages --out-dir dist
	$(VENV)/bin/twine check --strict dist/*

# Each CPython found under pyenv (or on PATH as python3.X) gets its own environment .venv-3.X.
test-matrix: uv
	@ran=""; absent=""; failed=""; \
	for v in 3.10 3.11 3.12 3.13; do \
	  py=$$(scripts/find_python.sh $$v); \
	  if [ -z "$$py" ]; then absent="$$absent $$v"; continue; fi; \
	  echo "=== Python $$v: $$py"; \
	  if UV_PROJECT_ENVIRONMENT=.venv-$$v $(UV) sync --all-packages --locked --python "$$py" --quiet \
	     && .venv-$$v/bin/python -m pytest tests --ignore=tests/isolation -q -p no:randomly; then \
	    ran="$$ran $$v"; else failed="$$failed $$v"; fi; \
	done; \
	echo "test-matrix: passed on:$${ran:- none}; failed on:$${failed:- none}; absent:$${absent:- none}"; \
	[ -z "$$failed" ]

clean:
	rm -rf dist site coverage.json .coverage htmlcov .venv-3.* .venv-httpx .venv-fastapi-oldest tests/isolation/_work*

# Not part of `make test`: timings are measured here, never asserted in tests.
bench: install
	$(VPY) benchmarks/run.py

# wrk comes from Debian, like chromium; nothing is downloaded at run time.
wrk:
	@command -v wrk >/dev/null 2>&1 || { echo "installing Debian's wrk for the server benchmark"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

bench-server: install wrk
	$(VPY) benchmarks/server.py

docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

fuzz: install
	$(UV) run --locked --group fuzz python tests/fuzz/run.py

load: install
	$(VPY) benchmarks/load.py
