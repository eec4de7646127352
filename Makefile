# Designer BFF — the two commands: `make demo` (install + offline sample collection) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo install install-test test lint typecheck serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install: $(BIN)/python
	$(PIP) install --quiet -e .

# torch goes first and alone, pinned: unpinned, pip would pull a multi-GB CUDA build (see DESIGN.md §8).
install-test: $(BIN)/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[test,ml]"

## First command: install everything and design a sample collection offline (SQLite, local files, tech-flat).
demo: install
	$(BIN)/designer-bff demo --out ./out/demo

## Second command: install test tools and run the whole suite (lint, types, tests).
test: install-test lint typecheck
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck:
	$(BIN)/mypy

serve: install
	$(BIN)/designer-bff serve

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
