# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format schema clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## Serve the product with demo data on http://127.0.0.1:8000/graphql (SQLite, in-process pub/sub).
run: install
	$(BIN)/python -m api seed-demo --if-empty
	$(BIN)/python -m api serve

## Run the test suite.
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Regenerate schema.graphql from the code.
schema: install
	$(BIN)/python -m api export-schema --output schema.graphql

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
