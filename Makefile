# Two commands on a fresh machine: `make run` (the demo world on embedded SQLite)
# and `make test` (lint, types, the whole suite). Both create .venv when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mindshare-installed

.PHONY: run test lint bench clean chromium

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 11), "Mindshare needs Python 3.11 or newer"'
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

# The demo world is a short simulation through the real engine (agents, feeds, payouts,
# trades; `mindshare simulate`), then the API and dashboard serve it with a read key.
run: $(STAMP)
	$(BIN)/mindshare init
	$(BIN)/mindshare simulate --world demo --days 14 --people 500 --creators 50 --policy fair --seed 0 --out .mindshare/demo-simulation
	$(BIN)/mindshare serve --read-key-for demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

# The dashboard's browser tests drive Debian's Chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: lint chromium
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_models.py
	$(BIN)/python benchmarks/bench_fairness.py
	$(BIN)/python benchmarks/bench_auction.py
	$(BIN)/python benchmarks/bench_allocation.py
	$(BIN)/python benchmarks/bench_ope.py
	$(BIN)/python benchmarks/bench_ledger.py
	$(BIN)/python benchmarks/bench_pricing.py
	$(BIN)/python benchmarks/bench_service.py
	$(BIN)/python benchmarks/bench_simulation.py
	$(BIN)/python benchmarks/sim_policies.py

clean:
	rm -rf $(VENV) mindshare.db mindshare.db-wal mindshare.db-shm .pytest_cache .mypy_cache .ruff_cache
