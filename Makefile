# The README's two commands: `make run` (install and start the local stack) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck unit bench clean system-deps-run system-deps-test

run: system-deps-run $(VENV)/.stamp-run
	$(BIN)/inframind up

test: system-deps-test $(VENV)/.stamp-dev lint typecheck
	$(BIN)/pytest

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check inframind tests bench deploy/docker
	$(BIN)/ruff format --check inframind tests bench deploy/docker

typecheck: $(VENV)/.stamp-dev
	$(BIN)/mypy

unit: $(VENV)/.stamp-dev
	$(BIN)/pytest tests/unit

bench: system-deps-test $(VENV)/.stamp-dev
	$(BIN)/python bench/exporter_vs_node_exporter.py

system-deps-run:
	scripts/system-deps.sh run

system-deps-test:
	scripts/system-deps.sh test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.stamp-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[analyzer]'
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.stamp-run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
