# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where `make test-scaled` runs the suite (what `.ci/services start` provides).
TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/mentorship_test
TEST_BROADCAST_URL ?= redis://127.0.0.1:6379/0

.PHONY: install run test test-scaled services-stop lint format schema clean

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

## Run the test suite (SQLite file per test, in-process pub/sub).
test: install
	env -u TEST_DATABASE_URL -u TEST_BROADCAST_URL $(BIN)/python -m pytest

## Run the test suite against PostgreSQL and Redis on 127.0.0.1 (installed and started if
## needed: root or sudo; they stay up, `make services-stop` stops what this started).
test-scaled: install
	.ci/services start >/dev/null
	TEST_DATABASE_URL='$(TEST_DATABASE_URL)' TEST_BROADCAST_URL='$(TEST_BROADCAST_URL)' \
		$(BIN)/python -m pytest

services-stop:
	.ci/services stop

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
