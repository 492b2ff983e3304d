# The two commands (README): `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench fuzz clean install

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## make run: set up, migrate the SQLite default under ./var/, create dev keys and demo data,
## serve issuer + wallet + verifier on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/elicense run

## make test: set up and run every test (lint and types included). PostgreSQL and Chromium
## tests need what .ci/run starts; without it they are skipped locally (never in CI).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## make bench: every benchmark; results are recorded in docs/benchmarks.md. PostgreSQL figures
## need ELICENSE_TEST_POSTGRES_URL (scripts/start-postgres prints one); verify_http needs wrk.
bench: $(STAMP)
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/qr.py
	$(BIN)/python bench/issue.py
	$(BIN)/python bench/verify_http.py

## make fuzz: the atheris targets for FUZZ_SECONDS each (CI runs them briefly in make test)
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	PYTHON=$(BIN)/python fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
