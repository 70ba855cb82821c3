# Two commands do all set-up on a fresh machine with Python 3.10+ and make: `make demo` and `make test`.
PYTHON ?= python3
POETRY_VERSION := 2.5.1
TOOLS := .tools
POETRY := $(TOOLS)/bin/poetry
VENV := .venv
RUN := $(VENV)/bin/python
export POETRY_VIRTUALENVS_IN_PROJECT := true
export POETRY_NO_INTERACTION := 1

.PHONY: install demo test lint typecheck unit e2e bench clean

$(POETRY):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "poetry==$(POETRY_VERSION)"

$(VENV)/.installed: $(POETRY) pyproject.toml poetry.lock
	$(POETRY) env use $(PYTHON) >/dev/null
	$(POETRY) install --quiet
	@# Bytecode now, so no run pays to compile the CDK (about 1 s of every start).
	$(RUN) -m compileall -q -j 0 $(VENV)/lib >/dev/null || true
	touch $@

install: $(VENV)/.installed

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy source_stock_ticker_api unit_tests integration_tests polygon_sandbox benchmarks \
		scripts main.py

test: install lint typecheck
	$(RUN) -m pytest

demo: install
	$(RUN) scripts/demo.py

bench: install
	$(RUN) benchmarks/bench.py

clean:
	rm -rf $(TOOLS) $(VENV) .pytest_cache .mypy_cache .ruff_cache
