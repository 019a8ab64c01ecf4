# Two commands on a fresh machine (Debian/Ubuntu with Python 3.11+ and git):
#   make demo   install everything, build a small twin district, serve http://127.0.0.1:8000
#   make test   install everything and run lint and the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint format bench clean

$(STAMP): requirements-bootstrap.lock requirements.lock pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing python3-venv"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements-bootstrap.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

install: $(STAMP)

demo: install
	$(BIN)/zhili demo

test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: install
	$(BIN)/zhili bench twin --scale 0.1 --json
	$(BIN)/python benchmarks/bench_geo.py
	$(BIN)/python benchmarks/bench_identifiers.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
