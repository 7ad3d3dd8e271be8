# slawatch: `make demo` runs the whole stack locally, `make test` runs the whole suite.
# Everything below installs what it needs; nothing has to be set up by hand.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_SECONDS ?=
export DEMO_SECONDS

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## Create the virtual environment with every dependency

REPORT_LOCALE := services/core/reports/render/locale
REPORT_MO := $(patsubst %.po,%.mo,$(wildcard $(REPORT_LOCALE)/*/LC_MESSAGES/*.po))

$(REPORT_LOCALE)/%.mo: $(REPORT_LOCALE)/%.po $(STAMP)
	$(BIN)/pybabel compile --statistics -D reports -i $< -o $@

.PHONY: catalogs
catalogs: $(REPORT_MO) ## Compile the report's message catalogues (.po -> .mo, not committed)

# Always run: the script only checks (fast) when everything is there, and installs otherwise.
.PHONY: report-tools
report-tools: ## Install CJK fonts, Pango, poppler and Chromium for reports (Debian)
	scripts/ensure-report-tools.sh

.PHONY: infra-up
infra-up: ## Start the local Kafka broker and PostgreSQL (reused when running)
	scripts/infra/kafka.sh start
	scripts/infra/postgres.sh start

.PHONY: infra-down
infra-down: ## Stop the local Kafka broker and PostgreSQL
	scripts/infra/kafka.sh stop
	scripts/infra/postgres.sh stop

.PHONY: migrate
migrate: $(STAMP) ## Apply database migrations to DATABASE_URL
	$(BIN)/python -m services.core.storage.migrate

.PHONY: demo
demo: $(STAMP) catalogs report-tools ## Run the whole stack with simulated traffic (DEMO_SECONDS=N to stop after N s)
	scripts/demo.sh

.PHONY: lint
lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check services tests bench scripts deploy
	$(BIN)/ruff format --check services tests bench scripts deploy
	$(BIN)/mypy
	$(BIN)/mypy --explicit-package-bases deploy

.PHONY: test-unit
test-unit: $(STAMP) catalogs ## Unit and component tests (no servers needed)
	$(BIN)/pytest tests/unit tests/component -q

.PHONY: test
test: $(STAMP) catalogs report-tools ## Lint, then every test against a real Kafka broker and PostgreSQL
	$(MAKE) --no-print-directory lint
	HYPOTHESIS_PROFILE=ci scripts/with-infra.sh $(BIN)/pytest tests -q -m "not quarantine"

.PHONY: test-quarantine
test-quarantine: $(STAMP) catalogs ## The tests left out of `make test` until their cause is found
	HYPOTHESIS_PROFILE=ci scripts/with-infra.sh $(BIN)/pytest tests -q -m quarantine

LOADED_RUNS ?= 3
.PHONY: test-loaded
test-loaded: $(STAMP) ## `make test` LOADED_RUNS times in a row with one core kept busy (CI is often loaded)
	for i in $$(seq $(LOADED_RUNS)); do \
		echo "loaded run $$i of $(LOADED_RUNS)"; scripts/with-cpu-load.sh $(MAKE) --no-print-directory test || exit 1; \
	done

FAILOVER_RUNS ?= 5
.PHONY: test-failover
test-failover: $(STAMP) ## The SIGKILL takeover test FAILOVER_RUNS times in a row (timing varies)
	scripts/with-infra.sh sh -c 'for i in $$(seq $(FAILOVER_RUNS)); do \
		echo "failover run $$i of $(FAILOVER_RUNS)"; $(BIN)/pytest tests -q -m failover || exit 1; \
	done'

.PHONY: bench
bench: $(STAMP) catalogs report-tools ## Throughput and latency benchmark (writes bench/results/latest.json)
	scripts/with-infra.sh $(BIN)/python -m bench.run

SOAK_SECONDS ?= 240
.PHONY: soak
soak: $(STAMP) ## Worker memory under sustained simulated traffic, SOAK_SECONDS long (bench/results/soak.json)
	SOAK_SECONDS=$(SOAK_SECONDS) scripts/with-infra.sh $(BIN)/python -m bench.soak

.PHONY: observability
observability: $(STAMP) ## Regenerate the SLO alert rules and the Grafana dashboards
	$(BIN)/python deploy/prometheus/generate.py
	$(BIN)/python -m deploy.grafana.build

.PHONY: test-rules
test-rules: $(STAMP) ## promtool tests of every alert and recording rule (no servers needed)
	$(BIN)/pytest -q tests/integration/test_prometheus_rules.py tests/integration/test_dashboards_queries.py

.PHONY: clean
clean: ## Remove the virtual environment and local run data
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache
