# The two commands of the README, and a few more for developers.
# Only Python 3.11+ is needed: everything else is installed into .venv/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A laptop needs no secret of its own; production sets SECRET_KEY (50 characters or
# more: settings refuse a shorter one with DEBUG off) and leaves DEBUG off.
RUN_ENV := DEBUG=$${DEBUG:-true}
# The tests keep their files (the no-server broker's queue among them) apart from
# `make run`'s, so that a demo never receives the tasks a test run left behind.
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-never-used-in-production-0123456789} \
	OPS_VAR_DIR=$${OPS_VAR_DIR:-$(CURDIR)/var/test}

.PHONY: run test install lint format migrate demo bench bench-large clean lighthouse

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, load the demo, start web + worker + scheduler (Ctrl-C stops all)
run: $(STAMP)
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) $(BIN)/python manage.py rundev

# axe-core checks accessibility in the browser tests; installed from the npm registry
# when npm is there (the tests that need it are skipped, with the reason, otherwise).
AXE := var/npm/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.14.1

$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix var/npm axe-core@$(AXE_VERSION); \
	else echo "npm not found: accessibility checks will be skipped"; fi

## make test: the whole suite; with DATABASE_URL and REDIS_URL set, on PostgreSQL and Redis
test: $(STAMP) $(AXE)
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles

## make bench: 1,000 / 10,000 / 100,000 operations in a fresh PostgreSQL database (dropped
## after), pages, jobs and throughput measured; results in var/bench/ (about 7 minutes).
## BENCH_SIZES picks others: operations:teams, comma-separated.
BENCH_SIZES ?= 1000:20,10000:60,100000:200
BENCH_TIMEOUT ?= 840
bench: $(STAMP)
	command -v wrk >/dev/null 2>&1 || apt-get install -y wrk || echo "wrk is missing: no load test"
	env DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/opsbench} \
	    REDIS_URL= EMAIL_URL=locmem:// SECRET_KEY=bench-only-secret-key-never-used-in-production-0123456789 DEBUG=false \
	    ALLOWED_HOSTS=127.0.0.1,localhost,testserver SECURE_COOKIES=false LOG_LEVEL=WARNING \
	    OPS_VAR_DIR=$(CURDIR)/var/bench/var STATIC_ROOT=$(CURDIR)/var/bench/static \
	    timeout --kill-after=30 $(BENCH_TIMEOUT) $(BIN)/python manage.py bench --sizes $(BENCH_SIZES) $(BENCH_ARGS)

## make bench-large: the same at 1,000 / 100,000 / 1,000,000 operations over 20 / 200 / 2,000
## teams (the seed of a million takes minutes of its own: allow about an hour)
bench-large:
	$(MAKE) bench BENCH_SIZES=1000:20,100000:200,1000000:2000 BENCH_TIMEOUT=3600

## make lighthouse: Lighthouse (phone profile) on the dashboard, list, detail, form, move page
## and team plan, as the demo manager with DEBUG off; prints the scores (a few minutes;
## LIGHTHOUSE_ARGS="--lang ja" or "--only dashboard")
LIGHTHOUSE := var/npm/node_modules/.bin/lighthouse

$(LIGHTHOUSE):
	npm install --silent --no-audit --no-fund --prefix var/npm lighthouse

lighthouse: $(STAMP) $(LIGHTHOUSE)
	$(BIN)/python -m opsmaturity.tooling.lighthouse $(LIGHTHOUSE_ARGS)
