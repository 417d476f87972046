# The README's commands. Each target creates .venv and installs cwdesk into it first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,postgres]'
	touch $@

# connectwise-rest, a ConnectWise client written by others that the tests run unchanged against the sandbox.
NODE_CLIENTS := tests/third_party/node
$(NODE_CLIENTS)/node_modules/.package-lock.json: $(NODE_CLIENTS)/package-lock.json
	npm ci --prefix $(NODE_CLIENTS) --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/cwdesk console --demo

test: $(VENV)/.installed $(NODE_CLIENTS)/node_modules/.package-lock.json
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy --strict src
	$(VENV)/bin/lint-imports
	$(PY) .ci/audit_dependencies.py
	$(VENV)/bin/pytest

bench: $(VENV)/.installed
	$(PY) -m bench

.PHONY: install demo test bench
