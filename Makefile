# 学在 Xuezai — the two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH, else a private copy installed from PyPI into .tools/ (needs only Python 3.11).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen --all-packages

.PHONY: help install run test test-long test-fast lint format openapi openapi-check migrate bench clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: uv.lock pyproject.toml $(wildcard services/*/pyproject.toml) | $(UV)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

install: .venv/.synced ## Create the environment from uv.lock

run: install ## Start the whole platform (embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL)
	$(RUN) xuezai run

test: install ## Run the test suite (embedded servers, or TEST_DATABASE_URL/TEST_REDIS_URL)
	$(RUN) pytest

test-long: install ## The family-journey state machine for long (STATEFUL_EXAMPLES, STATEFUL_STEPS)
	XUEZAI_STATEFUL_EXAMPLES=$${STATEFUL_EXAMPLES:-400} XUEZAI_STATEFUL_STEPS=$${STATEFUL_STEPS:-50} \
	XUEZAI_STATEFUL_RANDOM=1 XUEZAI_STATEFUL_TIMEOUT=$${STATEFUL_TIMEOUT:-7200} \
	$(RUN) pytest tests/enrolment/test_stateful.py -s

lint: install ## ruff format --check, ruff check, mypy --strict on services/
	$(RUN) ruff format --check .
	$(RUN) ruff check .
	$(RUN) mypy services

format: install ## Format and autofix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

openapi: install ## Regenerate openapi/*.json
	$(RUN) xuezai openapi

migrate: install ## Apply migrations to DATABASE_URL
	$(RUN) xuezai migrate

bench: install ## Run the benchmarks (not tests); see bench/README.md
	$(RUN) python bench/run_all.py

clean: ## Remove the environment and local data
	rm -rf .venv .tools .data
