# Every target builds .venv from pyproject.toml when it is missing or older than pyproject.toml,
# so nothing depends on what happens to be installed on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run console test lint typecheck bench clean

$(STAMP): pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/homegroup run

console: $(STAMP)
	$(BIN)/homegroup console

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The second run builds the flow tests on the in-memory store: those that read no database file.
test: lint typecheck
	$(BIN)/pytest -q
	HOMEGROUP_TEST_STORE=memory $(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
