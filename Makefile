# One task runner. `make run` serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
# Test files run on PYTEST_WORKERS processes (pytest-xdist), each file whole on one worker, so
# module-scoped servers and tests that build on each other stay together; 0 runs in-process.
PYTEST_WORKERS ?= 2

.PHONY: install run test lint arch bench clean

$(BIN)/steward: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/steward

install: $(BIN)/steward

run: install  ## the server with the demo product, the Stripe sandbox and an embedded SQLite database
	$(BIN)/steward serve --demo

test: install  ## the whole suite, on SQLite and PostgreSQL
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy

arch: install  ## no import circle; nothing but entry points imports the composition root
	$(BIN)/pytest -q -p no:cacheprovider tests/unit/test_architecture.py

bench: install  ## every benchmark; figures go to docs/benchmarks.md by hand
	$(BIN)/python -m bench.ingest

clean:
	rm -rf $(VENV) steward.sqlite*
