# aftersales: `make run` serves the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-callbook soak faults scale lint messages clean backup restore screenshots

# Debian's packages first: pip builds python-ldap against the OpenLDAP headers they bring.
$(STAMP): pyproject.toml
	./scripts/system-packages.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	./scripts/system-packages.sh
	./scripts/run.sh

# Two test processes on two cores: the tests wait on PostgreSQL, Chromium and Celery workers about half the
# time, so the second process fills it (TEST_PROCESSES=0 runs them in this one).
TEST_PROCESSES ?= 2
test: $(STAMP)
	./scripts/system-packages.sh --tests
	mkdir -p var
	SECRET_KEY=test-only $(PY) manage.py compilemessages -v 0 --ignore=.venv
	SECRET_KEY=test-only $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	SECRET_KEY=test-only $(PY) -m pytest tests -n $(TEST_PROCESSES) $(PYTEST_ARGS)

LOAD_STAMP := $(VENV)/.installed-load
$(LOAD_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[dev,load]"
	touch $(LOAD_STAMP)

bench: $(LOAD_STAMP)
	./scripts/system-packages.sh
	./scripts/services.sh
	SECRET_KEY=bench-only $(PY) manage.py bench $(BENCH_ARGS)

# The call book import (tickets.callbook): a generated book of CALLBOOK_ROWS rows checked, imported and
# undone on DATABASE_URL; prints rows/s and peak memory.
CALLBOOK_ROWS ?= 100000
CALLBOOK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/aftersales_callbook
bench-callbook: $(STAMP)
	./scripts/services.sh
	createdb -h 127.0.0.1 -U postgres aftersales_callbook 2>/dev/null || true
	DATABASE_URL=$(CALLBOOK_DATABASE_URL) SECRET_KEY=bench-only $(PY) manage.py migrate -v0
	DATABASE_URL=$(CALLBOOK_DATABASE_URL) CELERY_TASK_ALWAYS_EAGER=true SECRET_KEY=bench-only \
	  $(PY) manage.py bench_callbook --rows $(CALLBOOK_ROWS)

# 50 users for 10 minutes through gunicorn + worker + beat on PostgreSQL and Redis, then consistency checks.
soak: $(LOAD_STAMP)
	./scripts/services.sh
	SECRET_KEY=soak-only $(PY) -m loadtest.soak $(SOAK_ARGS)

# Redis stopped, the worker killed mid-sweep, PostgreSQL restarted, each under load (private instances).
faults: $(LOAD_STAMP)
	SECRET_KEY=faults-only $(PY) -m loadtest.faults $(FAULTS_ARGS)

# Two gunicorn instances behind a round-robin proxy, two Celery workers, two beats, PostgreSQL with a streaming
# replica (127.0.0.1:5434), Redis and a local S3 server; the soak's load while one web instance, one worker
# and the leading beat are killed; then the checks (docs/scaling.md). SCALE_ARGS="--users 20 --minutes 4".
scale: $(LOAD_STAMP)
	./scripts/services.sh
	SECRET_KEY=scale-only $(PY) -m loadtest.scale $(SCALE_ARGS)

# Database (pg_dump, or SQLite's backup) and uploaded files into var/backups/<timestamp>/.
backup: $(STAMP)
	$(PY) manage.py backup

# make restore BACKUP=var/backups/<timestamp>  (asks before replacing anything)
restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/<timestamp>"; exit 2; }
	$(PY) manage.py restore "$(BACKUP)"

# docs/images/: each role's home page, the ticket page, the dispatch board and the monthly PDF's pages,
# from the demo data in a throwaway database (manage.py screenshots).
screenshots: $(STAMP)
	./scripts/system-packages.sh --screenshots
	SECRET_KEY=screenshots-only $(PY) manage.py screenshots $(SCREENSHOTS_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: $(STAMP)
	SECRET_KEY=x $(PY) manage.py makemessages -l en --ignore=.venv --ignore=static --ignore=staticfiles --ignore=var --ignore=tests --no-obsolete
	SECRET_KEY=x $(PY) manage.py makemessages -l en -d djangojs --ignore=.venv --ignore=static/vendor --ignore=staticfiles --ignore=var --ignore=tests --no-obsolete

clean:
	rm -rf var staticfiles
