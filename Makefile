# Headend: `make run` serves a demo provider on http://127.0.0.1:8000; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev worker worker-rq test test-only lint format bench demo migrate clean

# Compiled bytecode is kept under .venv, not beside the sources, and written even where the
# environment says not to (PYTHONDONTWRITEBYTECODE): else every process started here (each test
# worker, each manage.py and gunicorn the tests and benchmarks start) compiles our modules again,
# and pytest rewrites every test module's asserts in each worker (collecting the suite takes a
# worker 13 s instead of 5). Python checks each source's mtime and size against its compiled copy.
export PYTHONDONTWRITEBYTECODE :=
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

$(VENV)/.installed-run: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Headend needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian, apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	scripts/ensure-system-packages
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run
	$(PY) -m pip install --quiet -e ".[test,lint,bench]"
	@touch $@

run: $(VENV)/.installed-run  ## install, migrate, load the demo provider, serve web + worker
	HOST=$(HOST) PORT=$(PORT) scripts/run

dev: $(VENV)/.installed-run  ## autoreloading development server (no separate worker)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

worker: $(VENV)/.installed-run  ## the background task worker alone
	$(PY) manage.py task_worker --queue-name '*'

worker-rq: $(VENV)/.installed-run  ## a worker on Redis (HEADEND_TASK_BACKEND=django_tasks_rq.RQBackend)
	$(PY) manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler default

migrate: $(VENV)/.installed-run
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

test: $(VENV)/.installed-dev  ## everything the tests need, then every test
	scripts/ensure-chromium
	scripts/ensure-freeradius
	$(MAKE) --no-print-directory test-only

# One worker more than the CPUs: the browser, RADIUS, worker-process and live-server tests spend
# much of their time waiting, and an idle worker steals queued tests from a busy one (on 2 cores,
# 3 workers run the suite about a fifth faster than 2).
TEST_WORKERS ?= $(shell python3 -c 'import os; print(len(os.sched_getaffinity(0)) + 1)')

test-only:  ## every test, one worker per CPU and one more (pytest-xdist); scripts/pytest runs a file or a test alone
	scripts/pytest -n $(TEST_WORKERS) --dist worksteal --durations=20

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	PYTHONPATH=src $(VENV)/bin/lint-imports

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

bench: $(VENV)/.installed-dev  ## performance figures against a same-run baseline
	scripts/ensure-wrk
	$(PY) -m bench

clean:
	rm -rf $(VENV) var build src/*.egg-info
