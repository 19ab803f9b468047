# aftersales: `make run` serves the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint messages clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	./scripts/system-packages.sh
	./scripts/run.sh

test: $(STAMP)
	./scripts/system-packages.sh
	mkdir -p var
	SECRET_KEY=test-only $(PY) manage.py compilemessages -v 0 --ignore=.venv
	SECRET_KEY=test-only $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	SECRET_KEY=test-only $(PY) -m pytest tests $(PYTEST_ARGS)

bench: $(STAMP)
	SECRET_KEY=bench-only $(PY) manage.py bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

messages: $(STAMP)
	SECRET_KEY=x $(PY) manage.py makemessages -l en --ignore=.venv --ignore=static --ignore=staticfiles --ignore=var --ignore=tests --no-obsolete

clean:
	rm -rf var staticfiles
