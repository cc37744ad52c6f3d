# Two commands for a newcomer on a fresh Debian machine:
#   make demo   install flowready into .venv and analyse the bundled sample log into out/
#   make test   install the test dependencies and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: demo test test-fast lint docs bench bench-whole bench-read bench-app screenshots sample system-deps clean

# bpmn-js (test tooling only, pinned in tests/e2e/bpmnjs/package-lock.json) renders blueprint.bpmn in
# Chromium: tests/e2e/test_bpmn_js.py.
BPMNJS := tests/e2e/bpmnjs

# graphviz draws the process maps; Debian's chromium runs the browser tests (tests/e2e) under Playwright,
# whose pip package brings its own driver: never `playwright install`, which downloads a browser.
system-deps:
	@command -v dot >/dev/null 2>&1 || { echo "Installing graphviz (dot)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz >/dev/null; }
	@[ -x /usr/bin/chromium ] || { echo "Installing chromium (headless browser for tests/e2e)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@command -v npm >/dev/null 2>&1 || { echo "Installing npm (bpmn-js for tests/e2e)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq npm >/dev/null; }
	@command -v pdftoppm >/dev/null 2>&1 || { echo "Installing poppler-utils (the report's PDF tests: pdftoppm, pdftotext)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq poppler-utils >/dev/null; }
	@command -v jq >/dev/null 2>&1 || { echo "Installing jq (checks the Serverless Workflow's jq conditions)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq jq >/dev/null; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[fast]"
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(BIN)/python -m pip install -q -e ".[test,docs,spark]"
	touch $@

demo: system-deps $(VENV)/.runtime
	$(BIN)/flowready analyze sample_logs/council_permits.csv --out out
	@echo "Open the report: $(CURDIR)/out/report.html"

$(BPMNJS)/node_modules/.installed: $(BPMNJS)/package.json $(BPMNJS)/package-lock.json | system-deps
	cd $(BPMNJS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: system-deps $(VENV)/.test $(BPMNJS)/node_modules/.installed
	$(BIN)/python -m pytest

# Skips the end-to-end runs on the real logs in ../shared/logs.
test-fast: system-deps $(VENV)/.test $(BPMNJS)/node_modules/.installed
	$(BIN)/python -m pytest -m "not slow"

lint: $(VENV)/.test
	$(BIN)/ruff check .

# The documentation site into site/ (open site/index.html); any warning (broken link, missing anchor,
# unparsable docstring) fails the build.
docs: $(VENV)/.test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Road Traffic replicated x1 ... x200 (hours): flowready against DuckDB and pm4py, results into
# docs/scale.md; e.g. `make bench BENCH_ARGS="--sizes 1,10 --timeout 1800"`.
bench: system-deps $(VENV)/.test
	$(BIN)/python benchmarks/bench_scale.py $(BENCH_ARGS)

# The whole analysis of Road Traffic against pm4py's DFG + variants (a few minutes).
bench-whole: system-deps $(VENV)/.test
	$(BIN)/python benchmarks/bench_whole_analysis.py

# Reading every shared log against pm4py / pandas (several minutes).
bench-read: system-deps $(VENV)/.test
	$(BIN)/python benchmarks/bench_read.py --repeats 3

# The app in headless Chromium: analysis and page switches, Road Traffic against the bundled sample.
bench-app: system-deps $(VENV)/.test
	$(BIN)/python benchmarks/bench_app_pages.py

# One PNG per page of the app into docs/img/ (the bundled sample, analysed in headless Chromium).
screenshots: system-deps $(VENV)/.test
	$(BIN)/python docs/screenshots.py

sample: $(VENV)/.test
	$(BIN)/python sample_logs/generate.py

clean:
	rm -rf out site .cache .pytest_cache
