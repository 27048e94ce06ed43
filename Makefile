.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install run test lint bench soak schema clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the product with its test extras

run: install ## Migrate, seed the demo, then serve the web app, a worker and the QBO sandbox
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py create_demo_superuser
# exec: a TERM to make reaches the script (not a shell around it), which stops what it started.
	PY=$(PY) exec ./scripts/devserver.sh

test: install ## Run the test suite (SQLite unless DATABASE_URL says otherwise)
	$(PY) -m pytest

lint: install ## ruff, Django's checks and the migrations check
	$(VENV)/bin/ruff check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

bench: install ## Run the benchmarks and print their figures
	$(PY) benchmarks/sandbox_bench.py
	$(PY) benchmarks/push_bench.py
	$(PY) benchmarks/admin_bench.py
	$(PY) benchmarks/items_bench.py
	$(PY) benchmarks/backfill_bench.py
	$(PY) benchmarks/webhooks_bench.py

soak: install ## 10,000 outbox jobs, two workers, 10% random QBO faults: totals, exit 1 on a loss
	$(PY) benchmarks/soak.py $(SOAK_ARGS)

XSD ?= ../shared/intuit-schema
schema: install ## Regenerate the sandbox's schema contract from Intuit's XSD (XSD=folder)
	$(PY) scripts/qbo_schema_contract.py $(XSD)

clean: ## Remove the virtualenv, the local database and caches
	rm -rf $(VENV) db.sqlite3 var .pytest_cache .ruff_cache
