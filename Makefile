# Set-up lives here so that a newcomer types one command: `make demo` or `make test`.
# Needs: Python 3.11+, Java 17+, Maven 3.6.3+ (for the embedded Neo4j), network access to PyPI
# and Maven Central on the first run.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)

.PHONY: venv launcher chromium demo test lint typecheck bench clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"Python 3.11+ needed, found {sys.version}"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

# Builds the Java launcher of the embedded Neo4j (Maven downloads Neo4j 5.26 on the first run).
launcher: venv
	$(VENV)/bin/medkg db build

demo: launcher
	$(VENV)/bin/medkg demo

# The Neo4j Browser and report tests drive Debian's headless Chromium and its WebDriver, and their
# screenshots need a CJK font; installed with apt-get when missing (as root, or through sudo).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
	    || [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
	  echo "installing Debian's chromium, chromium-driver and a CJK font for the Browser and report tests"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-wqy-zenhei \
	    || { echo "error: could not install chromium and chromium-driver with apt-get" >&2; exit 1; }; \
	fi
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  || { echo "error: chromium or chromedriver is still missing from PATH" >&2; exit 1; }

# With the research data present (MEDKG_DATA_DIR, or ../shared/data as CI has it), the tests that read it
# must run: MEDKG_REQUIRE_DATA=1 turns their skips into failures. The folder comes from core.paths (the one
# place that rule is written), asked once the venv exists, i.e. when the recipe runs.
DATA_DIR = $(shell $(VENV)/bin/python -c "from core.paths import default_data_dir; print(default_data_dir())")
test: launcher lint chromium
	@if [ -d "$(DATA_DIR)" ]; then echo "research data at $(DATA_DIR): data tests must run"; \
	  else echo "no research data at $(DATA_DIR): data tests will skip"; fi
	$(if $(wildcard $(DATA_DIR)),MEDKG_REQUIRE_DATA=1 MEDKG_DATA_DIR=$(DATA_DIR)) $(VENV)/bin/python -m pytest

# Ruff over the whole tree (every package, the tests, the benchmarks), after mypy: `make test` fails on
# either. mypy's packages and strictness are set in pyproject.toml ([tool.mypy]).
lint: venv typecheck
	$(VENV)/bin/ruff check .

typecheck: venv
	$(VENV)/bin/mypy

bench: launcher
	$(VENV)/bin/python benchmarks/bench_kg_load.py
	$(VENV)/bin/python benchmarks/bench_linker.py

clean:
	rm -rf $(VENV) build *.egg-info
