# kefu: `make run` starts the app, `make test` runs every check. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
VENV_PY   := $(VENV)/bin/python
STAMP     := $(VENV)/.kefu-installed
KEFU      := $(VENV)/bin/kefu
export PYTHONUNBUFFERED := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# mypy's cache outside the checkout (it checks each entry against the file): a new clone
# type-checks in seconds, not a minute
export MYPY_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kefu/mypy

# Python 3.10: on PATH, else a pyenv install of it. Empty when none works.
PYTHON310 := $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	  [ -x "$$(command -v $$p 2>/dev/null)" ] && "$$p" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo $$p; break; }; done)

.PHONY: help run run-replicas test test-fast test-tz shell bench setup lint format train db clean check-python browser-deps spark-deps nginx-deps lock

help: ## List every target with what it does
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

check-python:
	@if [ -z "$(PYTHON310)" ] && [ ! -x "$(VENV_PY)" ]; then \
	  echo "kefu needs Python 3.10 (Rasa 3.6 supports 3.8-3.10): install python3.10 with venv (e.g. 'apt-get install python3.10-venv' or 'pyenv install 3.10') and run make again."; \
	  exit 1; fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory check-python
	@if [ ! -x "$(VENV_PY)" ]; then echo "Creating $(VENV) with $(PYTHON310)"; \
	  "$(PYTHON310)" -m venv $(VENV).partial && mv $(VENV).partial $(VENV) || { rm -rf $(VENV).partial; exit 1; }; fi
	@echo "Installing kefu and its dependencies into $(VENV) (first time: a few minutes)"
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip<25" "setuptools<70" wheel
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	$(VENV_PY) -m pip check
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv with Python 3.10 and install kefu (skipped when up to date)

lock: setup ## Write constraints.txt: the exact versions in .venv that kefu needs
	$(VENV_PY) -m pip freeze --exclude-editable --disable-pip-version-check | $(VENV_PY) tools/lock.py > constraints.txt.partial
	mv constraints.txt.partial constraints.txt

db: setup ## Build the demo shop database when it is missing
	@$(KEFU) db demo --if-missing

run: db ## Set up, build what is missing, start every server and print the URL
	@$(KEFU) run

N ?= 2
run-replicas: db nginx-deps ## N Rasa replicas behind nginx (N=2; needs KEFU_TRACKER_URL=postgresql://..., KEFU_REDIS_URL)
	@$(KEFU) run --replicas $(N)

test: setup browser-deps spark-deps nginx-deps schemathesis-venv ## Static checks (ruff, import-linter, mypy), then every test, all tiers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest --durations=30

# Tiers are pytest markers set in tests/conftest.py from the fixtures a test uses.
test-fast: setup ## Day-to-day tests (under a minute): no servers, databases, browser, training
	$(VENV)/bin/pytest -q -m "not integration and not browser and not slow"

test-tz: setup browser-deps spark-deps nginx-deps schemathesis-venv ## Every test on a host clock 8 hours from UTC (TZ=Asia/Shanghai): mixed time zones show up
	TZ=Asia/Shanghai $(VENV)/bin/pytest

lint: setup ## Static checks: ruff (lint, format), import-linter (layers), mypy (types)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: setup ## Reformat the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

shell: db ## Talk to the bot in the terminal (rasa shell, anonymous visitor)
	@$(KEFU) shell

bench: db spark-deps nginx-deps ## Run the benchmarks and print their JSON figures
	@# peers measured side by side, installed only for the benchmarks (1.1.4: 1.1.5 lifts numpy)
	@$(VENV_PY) -c "import surprise" 2>/dev/null || $(VENV_PY) -m pip install --quiet --no-deps "scikit-surprise==1.1.4"
	@$(VENV_PY) -m benchmarks

clean: ## Remove runtime state (var/) and the virtualenv
	rm -rf var $(VENV) $(VENV).partial

# Browser tests (tests/web) drive Debian's Chromium with a CJK font: install both with apt
# when missing and running as root (CI); otherwise those tests skip and say why.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium and fonts-noto-cjk for the browser tests (apt-get)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } \
	      || echo "apt-get could not install chromium: the browser tests will be skipped"; \
	  else echo "chromium or fonts-noto-cjk is missing (not root): the browser tests will be skipped"; fi; \
	fi

# Replica tests and benchmarks (tests/deploy, benchmarks/replicas.py) and `make run-replicas`
# put Debian's nginx-light in front of the replicas: installed with apt when missing and
# running as root; otherwise those tests skip and say why.
nginx-deps:
	@if [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing nginx-light for the replica tests (apt-get)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; } \
	      || echo "apt-get could not install nginx-light: the replica tests will be skipped"; \
	  else echo "nginx is missing (not root): the replica tests will be skipped"; fi; \
	fi

# Spark tests and benchmarks (recsys/spark) need Java 17 and the `spark` extra (pyspark bundles
# its jars: nothing downloads at run time). Java comes from apt when missing and running as
# root; otherwise those tests skip and say why.
spark-deps: setup
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing openjdk-17-jre-headless for Spark (apt-get)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; } \
	      || echo "apt-get could not install Java 17: the Spark tests will be skipped"; \
	  else echo "Java is missing (not root): the Spark tests will be skipped"; fi; \
	fi
	@$(VENV_PY) -c "import pyspark, pyarrow" 2>/dev/null || \
	  $(VENV_PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[spark]"

# API fuzz (issue 16): schemathesis 3.21.2 in its own virtualenv (its pins clash with
# Rasa's), rebuilt when its requirements change; tests/channels/test_schemathesis.py runs it
# against the served specs and skips, saying why, when it cannot be built.
ST_VENV := .venv-schemathesis
ST_STAMP := $(ST_VENV)/.installed
.PHONY: schemathesis-venv
schemathesis-venv: $(ST_STAMP) ## Build .venv-schemathesis (schemathesis for the API fuzz tests)
$(ST_STAMP): tools/schemathesis-requirements.txt
	@$(MAKE) --no-print-directory check-python
	@rm -rf $(ST_VENV)
	@echo "Installing schemathesis into $(ST_VENV) (its own virtualenv)"
	@{ "$(PYTHON310)" -m venv $(ST_VENV) && \
	  $(ST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	    -r tools/schemathesis-requirements.txt && touch $(ST_STAMP); } \
	  || { rm -rf $(ST_VENV); echo "could not build $(ST_VENV): the schemathesis tests will be skipped"; }

# Load test (issue 15): Locust in its own virtualenv (loadtest/.venv: its gevent never enters
# .venv). Without SITE/RASA it starts its own `kefu run` on free loopback ports (state in
# var/loadtest-sqlite or var/loadtest-pg; BACKEND=postgres: PostgreSQL + Redis); with them it
# loads that deployment (configured by this environment: KEFU_TRACKER_URL, KEFU_CHANNEL_SECRET).
# Bounded: USERS customers for TIME. MODEL=path skips training the bot. Figures: var/results/.
USERS   ?= 100
TIME    ?= 10m
BACKEND ?= sqlite
LOADTEST_ARGS = --users $(USERS) --time $(TIME) $(if $(filter postgres,$(BACKEND)),--postgres) \
  $(if $(MODEL),--model $(MODEL)) $(if $(SITE),--site $(SITE)) $(if $(RASA),--rasa $(RASA))
.PHONY: loadtest soak
loadtest: setup ## Load kefu with Locust (USERS=100 TIME=10m BACKEND=sqlite|postgres; SITE= RASA= a running one), count the tracker store
	@mkdir -p var/results
	$(VENV_PY) -m loadtest.run $(LOADTEST_ARGS) --out var/results/loadtest-$(BACKEND).json

soak: setup ## 20 customers for 30 minutes, each server's memory sampled every minute
	@mkdir -p var/results
	$(VENV_PY) -m loadtest.run --users 20 --time 30m --rss-every 60 $(if $(filter postgres,$(BACKEND)),--postgres) \
	  $(if $(MODEL),--model $(MODEL)) --var var/loadtest-soak --out var/results/soak-$(BACKEND).json
