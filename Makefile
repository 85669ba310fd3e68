# planlog — two commands on a fresh machine: `make run` and `make test`.
# Each target creates the virtualenv and installs what it needs first: `make run` only the
# runtime dependencies (pip install -e .), `make test` the test tooling as well (.[dev]).
# Each has its own stamp, so `make run` never pulls in playwright, schemathesis or mypy.

PYTHON ?= python3
PORT   ?= 8000
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench setup clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "planlog needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUN_STAMP)

# The dev extra includes the runtime dependencies, so it satisfies `make run` too.
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(TEST_STAMP) $(RUN_STAMP)

setup: $(TEST_STAMP)

## The main job on the embedded default (SQLite ./planlog.db): load the demo plan if the
## store is empty, show its board, then serve the web board, API and reminders with a
## printed sign-in link (`make run PORT=8080` for another port).
run: $(RUN_STAMP)
	$(BIN)/planlog demo --if-empty
	$(BIN)/planlog serve --port $(PORT)

## The whole suite: lint, types, unit and integration tests (SQLite and PostgreSQL).
test: $(TEST_STAMP)
	-./scripts/ensure-chromium.sh
	-./scripts/ensure-pdf-libs.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

## Benchmarks (not timed tests): writes bench/results.json.
bench: $(TEST_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
