# Two entry points for a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install -c constraints.txt

.PHONY: demo test test-ray install install-dev lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Library + CLI with the local embedding model, plots and the BFCL environments.
install: $(BIN)/python
	$(PIP) -q -e ".[embed,report]"
	# bfcl-eval hard-pins old numpy and ~90 vendor SDKs: only its environment classes are used.
	$(BIN)/pip install -q --no-deps bfcl-eval==2026.3.23 mpmath==1.3.0

# Everything the tests need, including the headless Chromium the report tests drive.
install-dev: install
	$(PIP) -q -e ".[embed,report,faiss,hf,ray,dev]"
	./scripts/install-chromium.sh

# The main job on built-in defaults: evaluate a synthetic set against real data and write a report.
demo: install
	$(BIN)/synae quickstart --out out/quickstart

test: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# Only the Ray executor's tests, on a local 2-node cluster (`make test` runs them too).
test-ray: install-dev
	$(BIN)/python -m pytest -q -m ray

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
