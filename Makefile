# Two commands do all set-up on a fresh machine with Python 3.10+ and make: `make demo` and `make test`.
# Installs follow this machine's pip configuration (indexes, find-links, proxy), with uv or pip.
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
# itself, editable, with its console script in .venv/bin. No poetry needed. uv (in the lock) does
# the installing, with pip's configuration; pip does where the lock has no uv for this Python.
$(VENV)/.installed: $(REQUIREMENTS) pyproject.toml scripts/install_locked.py
	@echo "==> [1/3] virtual environment $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] dependencies from $(REQUIREMENTS) (poetry.lock, hashes checked)"
	$(RUN) scripts/install_locked.py deps
	@# Installed without resolving (--no-deps): `pip check` proves the lock complete.
	$(RUN) -m pip check
	@echo "==> [3/3] source-stock-ticker-api itself (editable)"
	$(RUN) scripts/install_locked.py project
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

MYPY := $(VENV)/bin/mypy source_stock_ticker_api unit_tests integration_tests polygon_sandbox \
	benchmarks scripts main.py conftest.py
MYPY_REPORT := $(VENV)/mypy-report.txt

typecheck: install
	$(MYPY)

# mypy (one CPU, about a minute on a fresh clone) runs beside pytest, which leaves a CPU idle
# while its workers start and while its last long tests run; mypy's report follows pytest's, and
# either one failing fails the target.
test: install lint
	@echo "==> mypy in the background (its report follows pytest's); pytest on every CPU"
	@$(MYPY) > $(MYPY_REPORT) 2>&1 & mypy=$$!; \
	$(RUN) -m pytest; tests=$$?; \
	wait $$mypy; types=$$?; \
	echo "==> mypy"; cat $(MYPY_REPORT); \
	test $$tests -eq 0 && test $$types -eq 0

demo: install
	$(RUN) scripts/demo.py

bench: install
	$(RUN) benchmarks/bench.py

clean:
	rm -rf $(TOOLS) $(VENV) .pytest_cache .mypy_cache .ruff_cache
