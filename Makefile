# The two commands of the README: `make demo` (the main job on the bundled
# example) and `make test` (the whole suite). Both set everything up first.
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE := examples/todo-backend

.PHONY: setup engine demo test lint typecheck unit clean

$(BIN)/spacepack: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/spacepack

# A Docker engine and the default base image (installs and starts them as root on Debian).
# Without an engine (and not root on Debian), tests that need Docker are skipped; in CI that fails.
engine:
	@scripts/docker-up || { [ "$$CI" != "true" ] && echo "make: no Docker engine; docker tests will be skipped" >&2; }

demo: setup engine
	$(BIN)/spacepack doctor $(EXAMPLE)
	$(BIN)/spacepack check $(EXAMPLE)
	$(BIN)/spacepack build $(EXAMPLE) --env BETTER_AUTH_SECRET=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')

lint: setup
	$(BIN)/ruff check spacepack tests benchmarks
	$(BIN)/ruff format --check spacepack tests benchmarks

typecheck: setup
	$(BIN)/mypy

test: setup engine lint typecheck
	$(BIN)/pytest

# The tests that need no Docker engine (about a minute).
unit: setup
	$(BIN)/pytest -m 'not docker'

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The benchmarks behind BENCHMARKS.md (30-60 minutes; `python -m benchmarks.run --quick` for one small run).
.PHONY: bench
bench: setup engine
	$(BIN)/python -m benchmarks.run --runs 5
