# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
# One virtualenv per interpreter: `make test PYTHON=python3.13` builds .venv-python3.13, so
# two Python versions never share installed packages (or hide each other's failures).
ifeq ($(PYTHON),python3)
VENV ?= .venv
else
VENV ?= .venv-$(notdir $(PYTHON))
endif
BIN := $(VENV)/bin
# What is installed in it: the server alone (`make run`), then the test tools on top.
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP := $(VENV)/.installed-test
# Where `make test-scaled` runs the suite (what `.ci/services start` provides).
TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/mentorship_test
TEST_BROADCAST_URL ?= redis://127.0.0.1:6379/0

.PHONY: help install install-test web run test test-scaled services-stop lint format schema bench clean

## This list: each target and what it does.
help:
	@awk '/^## /{ if (doc == "") doc = substr($$0, 4); next } \
		/^[a-z][a-z-]*:/{ split($$0, t, ":"); if (doc != "" && !seen[t[1]]++) \
			printf "  make %-14s %s\n", t[1], doc; doc = ""; next } \
		/^$$/{ doc = "" }' $(firstword $(MAKEFILE_LIST))

## Create the virtualenv with the server (only what serving needs), and build web/.
install: $(SERVE_STAMP) web

## Add the test tools (pytest, hypothesis, ruff...); test, lint, format and bench do it first.
install-test: install $(TEST_STAMP)

$(SERVE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(SERVE_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

NPM := $(shell command -v npm 2>/dev/null)
NPM_CI := npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
WEB_SOURCES := $(wildcard web/src/*.ts web/src/*.tsx web/src/*.css web/src/gql/*.ts) \
	web/index.html web/vite.config.ts web/tsconfig.json

## GraphiQL's files and the example app, from the npm registry (skipped without npm).
## (web/graphiql, and web/ built into web/dist, checked against the lockfiles' integrity
## hashes. Without npm, GraphiQL loads its files from a CDN, the server logs a warning, and
## /app/ says how to build.)
ifeq ($(NPM),)
web:
	@echo "npm not found: GraphiQL will load its files from a CDN, and the example app (web/) is not built."
else
web: web/graphiql/node_modules/.package-lock.json web/dist/index.html
endif

web/graphiql/node_modules/.package-lock.json: web/graphiql/package-lock.json
	cd web/graphiql && $(NPM_CI)
	touch $@

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && $(NPM_CI)
	touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run --silent build

## Serve the product with demo data on http://127.0.0.1:8000/graphql (SQLite, in-process pub/sub).
run: install
	$(BIN)/python -m api seed-demo --if-empty
	$(BIN)/python -m api serve

## Run the test suite (SQLite file per test, in-process pub/sub).
test: install-test
	env -u TEST_DATABASE_URL -u TEST_BROADCAST_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

## Run the test suite against PostgreSQL and Redis on 127.0.0.1.
## (They are installed and started if needed, as root or with sudo, and stay up: `make
## services-stop` stops what this started.)
test-scaled: install-test
	.ci/services start >/dev/null
	TEST_DATABASE_URL='$(TEST_DATABASE_URL)' TEST_BROADCAST_URL='$(TEST_BROADCAST_URL)' \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

## Stop the PostgreSQL and Redis that `make test-scaled` started.
services-stop:
	.ci/services stop

## Check the code with ruff (lint and format), and web/'s generated types, as CI does.
## (With npm: web/src/gql must be what GraphQL Code Generator makes of schema.graphql and the
## app's operations, and the app must type-check.)
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
ifeq ($(NPM),)
	@echo "npm not found: web/'s generated types and type-check are not checked."
else
	@cd web && out=$$(npm run --silent codegen:check 2>&1) || { echo "$$out"; \
		echo "web/src/gql is out of date: run 'cd web && npm run codegen', then commit it"; exit 1; }
	cd web && npm run --silent typecheck
endif

## Format the code and apply ruff's safe fixes.
format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Run the benchmarks and write bench/results/latest.md (about ten minutes).
## (Seed, serve, load from separate processes, print the table. Installs wrk (Debian) when
## missing and root, else a Python load generator is used; PostgreSQL (for the check-in row)
## comes from .ci/services when it can. Flags: make bench BENCH_ARGS='--duration-s 5
## --live-pairs 1000' (python -m bench --help).)
bench: install-test
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& { apt-get update -qq && apt-get install -y -qq wrk; } >/dev/null 2>&1; } \
		|| echo "bench: wrk not installed, the Python load generator is used"
	@.ci/services start >/dev/null 2>&1 || echo "bench: no PostgreSQL, its check-in row is skipped"
	$(BIN)/python -m bench $(BENCH_ARGS)

## Regenerate schema.graphql from the code.
schema: install
	$(BIN)/python -m api export-schema --output schema.graphql

## Remove the virtualenvs, caches and built files.
clean:
	rm -rf .venv .venv-* *.egg-info .pytest_cache .ruff_cache build
	rm -rf web/node_modules web/dist web/graphiql/node_modules test-artifacts
