# Two commands set up a fresh Debian machine: `make demo` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
export OMP_THREAD_LIMIT = 1

.PHONY: setup demo test lint typecheck unit bench clean

setup:
	bash scripts/setup.sh

demo: setup
	$(BIN)/misec demo

lint: setup
	$(BIN)/ruff check src tests benchmarks rulesets
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q

test: lint typecheck unit

bench: setup
	EXTRAS=dev,dask,bench bash scripts/setup.sh
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
