# Two commands on a fresh machine: `make demo` and `make test` (README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
DATA := data
LANDING := $(DATA)/landing
WAREHOUSE := $(DATA)/warehouse
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# No phone-home calls from dbt, Great Expectations or Streamlit.
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
# The targets below work on the synthetic data under data/: demo mode allows the public demo keys there
# (pseudonymisation, access log). A real deployment sets SCRS_PSEUDONYM_KEY and SCRS_ACCESS_LOG_KEY instead.
DEMO := SCRS_DEMO_MODE=1

.PHONY: install browser demo pipeline dashboard dagster dbt-docs test test-fast lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(BIN)/python -c "import weasyprint" >/dev/null 2>&1 || { \
		echo "installing Pango for the committee pack's PDF (WeasyPrint)"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }
	touch $@

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(LANDING)/.generated: | install
	$(BIN)/scrs generate --out $(LANDING)
	touch $@

pipeline: install $(LANDING)/.generated
	$(BIN)/scrs run --demo --landing $(LANDING) --warehouse $(WAREHOUSE)

demo: pipeline
	@$(DEMO) $(BIN)/scrs users --users-file $(DATA)/users.json demo
	@$(BIN)/python -m scrs.demo_banner --landing $(LANDING) --warehouse $(WAREHOUSE) --port $(PORT)
	$(DEMO) SCRS_WAREHOUSE_DIR=$(WAREHOUSE) SCRS_USERS_FILE=$(DATA)/users.json $(BIN)/streamlit run streamlit_app/app.py --server.port $(PORT) --server.headless true

dashboard: install
	$(DEMO) SCRS_WAREHOUSE_DIR=$(WAREHOUSE) $(BIN)/streamlit run streamlit_app/app.py --server.port $(PORT) --server.headless true

dagster: install
	mkdir -p .dagster_home && cp dagster.yaml .dagster_home/dagster.yaml
	$(DEMO) DAGSTER_HOME=$(CURDIR)/.dagster_home SCRS_LANDING_DIR=$(LANDING) SCRS_WAREHOUSE_DIR=$(WAREHOUSE) \
		$(BIN)/dagster dev -m dagster_project.definitions

dbt-docs: install
	cd dbt && SCRS_DUCKDB_PATH=$(CURDIR)/$(WAREHOUSE)/warehouse.duckdb ../$(BIN)/dbt docs generate --profiles-dir . \
		&& ../$(BIN)/dbt docs serve --profiles-dir . --port 8081

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Everything: lint, then every test (pipeline runs and real-browser tests included), on two workers: whole files
# per worker, heaviest first (tests/conftest.py HEAVY_FILES_FIRST); the session pipeline and the worklist's
# and publication sequences of runs are each built once and shared by both (tests/conftest.py `built_once`): 18
# `scrs run`s.
# The budget is 8 minutes on a quiet 2-core machine: met since 29 Nov (6-6.5 min; docs/testing.md has the measurements).
test: lint browser
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder

# The edit-test loop (under a minute on a quiet machine): unit tests and every dbt unit test (one --empty
# build); no pipeline run, browser, dbt data-test build (`dbt` marker) or demo-scale data (`slow`). docs/testing.md
test-fast: install
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not pipeline and not e2e and not dbt and not slow"

bench: install
	$(DEMO) $(BIN)/python -m scrs.bench
	$(DEMO) $(BIN)/python -m scrs.bench.render

clean:
	rm -rf $(DATA) test-artifacts dbt/target dbt/logs .dagster_home
