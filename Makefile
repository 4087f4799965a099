# The README's commands. Each target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8

.PHONY: install install-runtime e2e-deps browser pgbouncer dovecot run demo test test-sqlite test-postgres schema-check lint format schema translations bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# What serving needs, and no more (no test or lint tools): `make run`, `make demo`.
$(VENV)/.synced-runtime: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --frozen --inexact --no-dev
	touch $@

# Everything, development tools included: tests, lint, benchmarks.
$(VENV)/.synced: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --frozen --inexact
	touch $@ $(VENV)/.synced-runtime

install-runtime: $(VENV)/.synced-runtime

install: $(VENV)/.synced

# Node packages for the end-to-end checks in e2e/: the GraphQL-over-HTTP audit, Apollo
# Client, graphql-ws, GraphiQL, and the client tool chains of e2e/clients/.
e2e/node_modules/.installed: e2e/package.json e2e/package-lock.json
	npm ci --prefix e2e --no-audit --no-fund
	touch $@

e2e-deps: e2e/node_modules/.installed

# Debian's Chromium, for the GraphiQL check in a headless browser (root, or sudo).
# playwright-core drives it; Playwright's own browser downloads are never used.
/usr/bin/chromium:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

browser: /usr/bin/chromium

run: install-runtime  ## start the API on http://127.0.0.1:8000 (embedded default)
	$(BIN)/csm-graph serve

# The demo lives apart from `make run`'s data, in var/demo/, made afresh on every
# run, on the embedded default whatever .env says (no database server, no Redis,
# mail as files), with access tokens that last a working day (DEMO_TOKEN_MINUTES).
DEMO_ENV = VAR_DIR=var/demo DATABASE_URL= REDIS_URL= SMTP_HOST= ATTACHMENTS_DIR= \
	ACCESS_TOKEN_MINUTES=$${DEMO_TOKEN_MINUTES:-480}

demo: install-runtime  ## the embedded default with a demo world loaded, and a table of logins
	rm -rf var/demo
	$(DEMO_ENV) $(BIN)/csm-graph demo --consumers $${DEMO_CONSUMERS:-300}
	$(DEMO_ENV) $(BIN)/csm-graph serve

# Debian's PgBouncer, for the test that runs API processes and a worker through
# a transaction-pooling pooler (root, or sudo).
/usr/sbin/pgbouncer:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y pgbouncer

pgbouncer: /usr/sbin/pgbouncer

# Debian's dovecot, for the test that polls a real IMAP mailbox (root, or sudo).
/usr/sbin/dovecot:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd

dovecot: /usr/sbin/dovecot

test: test-sqlite test-postgres  ## the whole suite, on SQLite and on PostgreSQL with Redis

test-sqlite: install e2e-deps browser dovecot
	CSM_TEST_DB=sqlite $(BIN)/pytest --durations=20

test-postgres: install e2e-deps browser pgbouncer dovecot
	CSM_TEST_DB=postgres $(BIN)/pytest --durations=20

schema-check: e2e-deps  ## fail on a breaking change to schema.graphql since the previous commit
	e2e/schema-check.sh

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

format: install
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

schema: install  ## write schema.graphql from the code
	$(BIN)/csm-graph schema > schema.graphql

# The email templates' messages: extract them, bring every language's catalogue
# up to date, compile (docs/emails-i18n.md). Translate the new messages, run it
# again, and commit the .po and .mo files together.
LOCALE_DIR := src/csm_graph/notifications/locale
translations: install-runtime
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header \
		-o $(LOCALE_DIR)/messages.pot src/csm_graph/notifications
	$(BIN)/pybabel update --ignore-obsolete --no-fuzzy-matching \
		-i $(LOCALE_DIR)/messages.pot -d $(LOCALE_DIR) -D messages
	$(BIN)/pybabel compile --statistics -d $(LOCALE_DIR) -D messages

# load.py: the registered documents on their plans, on the generic path and against
# hand-written references (bench/reference.py), BENCH_RUNS times BENCH_SECONDS per
# operation; it prints markdown tables for docs/performance.md.
bench: install  ## benchmarks: consumer import rows/s; plans vs generic path vs hand-written references on the demo data; outbox emails/s
	$(BIN)/python bench/import_consumers.py --rows $${ROWS:-100000}
	$(BIN)/python bench/load.py --consumers $${BENCH_CONSUMERS:-2000} --concurrency $${BENCH_CONCURRENCY:-64} \
		--duration $${BENCH_SECONDS:-5} --runs $${BENCH_RUNS:-3}
	$(BIN)/python bench/outbox_emails.py --emails $${EMAILS:-2000}

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
