# Two commands do all the set-up on a fresh machine:
#   make run    the demo clinic on SQLite at http://127.0.0.1:8000
#   make test   the whole suite, on PostgreSQL and SQLite
PYTHON := $(shell scripts/find-python)
V := .venv/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv lint format lock messages catalog-messages screenshots bench clean

.venv/.base: requirements/base.txt
	test -x $(V)/python || $(PYTHON) -m venv .venv
	$(V)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(V)/uv pip install -q --python $(V)/python --require-hashes -r requirements/base.txt
	touch $@

.venv/.test: .venv/.base requirements/test.txt
	$(V)/uv pip install -q --python $(V)/python --require-hashes -r requirements/test.txt
	touch $@

venv: .venv/.base

# The task worker (messages) runs in the background beside the server and
# stops with it; first, anything due that lost its task is sent.
run: .venv/.base
	DEBUG=1 $(V)/python manage.py migrate --no-input -v 0
	DEBUG=1 $(V)/python manage.py load_demo
	DEBUG=1 $(V)/python manage.py send_due_messages
	DEBUG=1 $(V)/python manage.py db_worker --no-reload -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(V)/python manage.py runserver $(HOST):$(PORT)

test: .venv/.test
	scripts/test

lint: .venv/.test
	$(V)/ruff check . && $(V)/ruff format --check . && $(V)/mypy

format: .venv/.test
	$(V)/ruff format . && $(V)/ruff check --fix .

lock: .venv/.base
	$(V)/uv pip compile -q pyproject.toml --generate-hashes -o requirements/base.txt
	$(V)/uv pip compile -q pyproject.toml --extra test --generate-hashes -o requirements/test.txt

# Catalog texts reach gettext through a generated module; then the usual
# makemessages / compilemessages (needs GNU gettext's msgfmt).
messages: .venv/.base
	DEBUG=1 $(V)/python manage.py catalog_messages
	DEBUG=1 $(V)/python manage.py makemessages -l hi --no-obsolete --ignore=.venv --ignore=tests
	DEBUG=1 $(V)/python manage.py compilemessages -l hi --ignore=.venv --ignore=staticfiles

bench: .venv/.test
	for b in bench/*.py; do $(V)/python $$b || exit 1; done

clean:
	rm -rf .venv var
