# Thin targets; the work is in `python -m digest` and the tests. Everything a fresh machine needs is
# installed from here: Python packages into .venv, Debian packages with apt-get when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOW ?=

.PHONY: install lint test unit demo site serve golden eval bench screenshots browser-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: install
	$(VENV)/bin/ruff check digest tests
	$(VENV)/bin/ruff format --check digest tests
	$(VENV)/bin/mypy --strict digest

test: install browser-deps lint
	$(PY) -m pytest -q

# Headless Chromium from Debian (Playwright drives it through executable_path; it never downloads
# a browser of its own) and axe-core from npm, injected into pages by the browser tests.
browser-deps:
	command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }
	test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --loglevel=error

unit: install
	$(PY) -m pytest -q tests/unit

demo: install
	$(PY) -m digest demo --out site $(if $(NOW),--now $(NOW))

site: install
	$(PY) -m digest build --config digest.toml --out site $(if $(NOW),--now $(NOW))

serve: install
	$(PY) -m digest serve --dir site --port 8000

golden: install
	$(PY) -m tests.golden.regenerate

eval: install
	$(PY) tests/eval/run_eval.py

bench: install
	$(PY) -m tests.bench.run

screenshots: install browser-deps
	$(PY) -m tests.screenshots

clean:
	rm -rf site .digest .pytest_cache .mypy_cache .ruff_cache build *.egg-info
