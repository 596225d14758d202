# The two commands the README opens with, plus the tools developers use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[plots,optimize,web]' scikit-learn
	touch $@

demo: $(VENV)/.installed-demo
	cd examples && ../$(BIN)/python demo.py

test: $(VENV)/.installed-dev
	$(BIN)/pytest -n 2 -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports

# Peers live in their own environment so that their pins never touch the test environment.
bench:
	test -x .bench-venv/bin/python || $(PYTHON) -m venv .bench-venv
	.bench-venv/bin/pip install -q -e '.[dev]' mlflow aim optuna
	.bench-venv/bin/python -m bench

clean:
	rm -rf $(VENV) .bench-venv bench/out examples/.hyperlab
