# Two commands do all set-up on a fresh machine with Python 3.10+ and make: `make demo` and `make test`.
# Installs use pip, so they follow this machine's pip configuration (indexes, find-links, proxy).
PYTHON ?= python3
POETRY_VERSION := 2.5.1
POETRY_EXPORT_VERSION := 1.10.1
TOOLS := .tools
POETRY := $(TOOLS)/bin/poetry
VENV := .venv
RUN := $(VENV)/bin/python
REQUIREMENTS := requirements-dev.txt
export POETRY_NO_INTERACTION := 1

.PHONY: install demo test lint typecheck unit e2e bench lock clean

# Every package of poetry.lock, pinned with hashes (exported by `make lock`), then the connector
# itself, editable, with its console script in .venv/bin. No poetry needed.
$(VENV)/.installed: $(REQUIREMENTS) pyproject.toml
	@echo "==> [1/4] virtual environment $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> [2/4] dependencies from $(REQUIREMENTS) (poetry.lock, hashes checked)"
	@# The file holds the whole lock, so no resolving (--no-deps); `pip check` proves it complete.
	$(RUN) -m pip install --progress-bar off --require-hashes --no-deps -r $(REQUIREMENTS)
	$(RUN) -m pip check
	@echo "==> [3/4] source-stock-ticker-api itself (editable)"
	$(RUN) -m pip install --progress-bar off --no-deps -e .
	@echo "==> [4/4] bytecode for the virtual environment"
	@# Bytecode now, so no run pays to compile the CDK (about 1 s of every start).
	$(RUN) -m compileall -q -j 0 $(VENV)/lib >/dev/null || true
	touch $@
	@echo "==> installed: $(VENV)/bin/source-stock-ticker-api"

install: $(VENV)/.installed

# Only `make lock` needs poetry: it re-solves poetry.lock and re-exports $(REQUIREMENTS).
$(POETRY):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --progress-bar off \
		"poetry==$(POETRY_VERSION)" "poetry-plugin-export==$(POETRY_EXPORT_VERSION)"

lock: $(POETRY)
	$(TOOLS)/bin/python scripts/lock.py $(LOCK_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy source_stock_ticker_api unit_tests integration_tests polygon_sandbox benchmarks \
		scripts main.py conftest.py

test: install lint typecheck
	$(RUN) -m pytest

demo: install
	$(RUN) scripts/demo.py

bench: install
	$(RUN) benchmarks/bench.py

clean:
	rm -rf $(TOOLS) $(VENV) .pytest_cache .mypy_cache .ruff_cache
