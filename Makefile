# Fuwu — the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := run

# Django 6.1 needs Python >= 3.12; this machine's plain python3 may be older.
PYTHON ?= $(shell for p in python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[3-9]*/bin/python $$HOME/.pyenv/versions/3.12*/bin/python 2>/dev/null | sort -rV) python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/fuwu
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-sqlite test-pg bench lint check-python venv venv-dev demo worker clean browser-deps print-deps

# What only the tests need from Debian: Chromium (driven by Playwright, never a downloaded
# browser), a CJK font so Chinese pages render in screenshots, and poppler-utils (pdftoppm and
# pdftotext: the printed documents' PNGs and text layer), openssl (a certificate for the
# webhook tests' TLS receiver), Dovecot (the IMAP server the e-mail tests fetch from) and
# HAProxy (the load balancer in front of two app servers in the scale-out test).
DEBIAN_TEST_PACKAGES := chromium fonts-wqy-microhei poppler-utils openssl dovecot-imapd haproxy
# What printing documents needs from Debian: WeasyPrint loads Pango (the Chinese font itself is
# vendored in fuwu/documents/static/documents/fonts).
DEBIAN_PRINT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Fuwu needs Python 3.12 or newer (Django 6.1). Install python3.12/python3.13 or set PYTHON=/path/to/python." >&2; exit 1; fi

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py constraints.txt fuwu/scheduling/_ejection.c
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

print-deps:
	@if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then \
		echo "Printed documents need Pango for WeasyPrint: installing $(DEBIAN_PRINT_PACKAGES) …"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(DEBIAN_PRINT_PACKAGES) >/dev/null || { \
			echo "Could not install $(DEBIAN_PRINT_PACKAGES): everything but printing works; install them (apt-get install $(DEBIAN_PRINT_PACKAGES)) to print documents." >&2; }; \
	fi

browser-deps: print-deps
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy || ! command -v pdftoppm >/dev/null 2>&1 \
		|| ! { command -v haproxy || test -x /usr/sbin/haproxy; } >/dev/null 2>&1; then \
		echo "Installing $(DEBIAN_TEST_PACKAGES) for the tests …"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(DEBIAN_TEST_PACKAGES) >/dev/null; \
	fi

## make run: set up everything and serve on http://127.0.0.1:$(PORT) (SQLite unless DATABASE_URL is set)
run: venv print-deps
	$(BIN)/fuwu setup
	@echo "Starting the background worker (restarted if it exits) and the web server on http://127.0.0.1:$(PORT) …"
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/fuwu worker --supervise & worker=$$!; \
	$(BIN)/fuwu serve --port $(PORT)

worker: venv
	$(BIN)/fuwu worker --supervise

## make test: the whole suite on SQLite and on PostgreSQL (required when CI=true)
# The two runs go side by side (their output kept apart, each printed when it ends): the
# browser tests of the SQLite run wait about half their time (on Chromium, the live server),
# and the PostgreSQL run's work fills those waits on a 2-core machine.
test: venv-dev browser-deps
	@echo "Compiling the code and the tests' rewritten asserts once, before the test processes start …"
	@$(BIN)/python -m pytest -p no:cacheprovider -q --collect-only > /dev/null
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-pg

# Bytecode is written (and read) in the test runs even where the environment says not to: each
# test process would otherwise compile the code and rewrite the tests' asserts again (10 s of
# CPU each, 60 s in all).
test test-sqlite test-pg: export PYTHONDONTWRITEBYTECODE :=

# Test processes. Side by side, the two runs keep a 2-core machine busy (98 % of its CPU in a
# whole `make test`), so more processes only add their start-up (collection, migrations, a
# browser each) and their switching: on SQLite one per core and one more, whose tests wait on
# the browser and the live server; on PostgreSQL one per core. `loadgroup` hands each process
# the next test as it frees up, in the order fuwu/testing/placement.py gives them: the long ones first, so
# no process ends the run alone on a journey.
TEST_PROCESSES ?= $(shell echo $$(( $$(nproc) + 1 )))
PG_TEST_PROCESSES ?= $(shell nproc)
PYTEST := $(BIN)/python -m pytest --dist loadgroup -p no:cacheprovider

# Tests marked `postgres_once` (every API operation fuzzed, every right of the matrix) run once:
# in the PostgreSQL run when a server answers, otherwise here. This run is niced: the
# PostgreSQL run's processes wait on their server for every query, and each wait would
# otherwise end behind this run's processes in the CPU's queue (its tests took 3–6 times as
# long beside this run as alone); this run takes the CPU they leave.
test-sqlite: venv-dev browser-deps
	@if $(BIN)/python -m fuwu.testing.pgcheck "$(PG_URL)" 2>/dev/null || [ "$$CI" = "true" ]; then \
		export FUWU_POSTGRES_RUN=1; fi; \
	nice -n 10 $(PYTEST) -n $(TEST_PROCESSES)

test-pg: venv-dev browser-deps
	@if $(BIN)/python -m fuwu.testing.pgcheck "$(PG_URL)"; then \
		DATABASE_URL="$(PG_URL)" $(PYTEST) -n $(PG_TEST_PROCESSES); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is required in CI but no server answers at $(PG_URL)." >&2; exit 1; \
	else \
		echo "SKIPPED: PostgreSQL tests — no server answers at $(PG_URL) (they are required when CI=true)."; \
	fi

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy fuwu
	$(BIN)/lint-imports

## make bench: throughput and latency through real HTTP on SQLite and PostgreSQL; JSON in bench/results/
## make bench SIZE=1m: the page timings (queue, case page, search, sweep) at a million cases;
## ARGS="…" passes any other bench option (see bench/README.md)
bench: venv-dev
	$(BIN)/python -m bench.run $(if $(SIZE),--size $(SIZE)) $(ARGS)

clean:
	rm -rf $(VENV) var
