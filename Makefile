# The two commands: `make demo` (a real crawl of the bundled offline demo site) and `make test`.
# Both set everything up first: the venv with the project and its dev tools, and a separate venv
# for pywb (the replay engine the tests use as an independent reader: it pins libraries, e.g.
# redis<3, that the project cannot share).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYWB_VENV := .venv-pywb
CHROMIUM := /usr/bin/chromium
DEMO_PORT ?= 8765
DEMO_ARCHIVE ?= ./archive
PYTEST_ARGS ?=

.PHONY: demo test test-fast install bench bench-extract bench-upload bench-dedupe bench-retrieval \
	bench-crawl lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(PYWB_VENV)/.installed:
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/pip install -q --upgrade pip 'setuptools>=70,<81'
	$(PYWB_VENV)/bin/pip install -q 'pywb==2.8.0' 'redis<3'
	touch $@

# The browser test (tests/test_web_page.py): Debian's Chromium, driven by Playwright (dev extra).
# Playwright's own browser download does not work offline; the apt install runs only without it.
$(VENV)/.chromium: $(VENV)/.installed
	@test -x $(CHROMIUM) || [ "$$(id -u)" = 0 ] || { \
		echo "$(CHROMIUM) is missing: run as root: apt-get install -y chromium"; exit 1; }
	test -x $(CHROMIUM) || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	$(PY) -c "import playwright.sync_api"
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) -m crawler.demo_run --port $(DEMO_PORT) --archive $(DEMO_ARCHIVE)

test: $(VENV)/.installed $(PYWB_VENV)/.installed $(VENV)/.chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# The tier to run on every change (seconds): unit and golden-record tests, no crawl, no server.
test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "fast and not e2e" $(PYTEST_ARGS)

bench: bench-extract bench-upload bench-dedupe bench-retrieval bench-crawl

bench-extract: $(VENV)/.installed
	$(PY) bench/extraction.py

bench-upload: $(VENV)/.installed
	$(PY) bench/upload.py

bench-dedupe: $(VENV)/.installed
	$(PY) bench/dedupe.py

bench-retrieval: $(VENV)/.installed
	$(PY) bench/retrieval.py

# Crawl throughput (issue 12), on a generated site served by Debian's nginx (installed here when
# missing, as root). ARGS: e.g. "--articles 20000", "--only c --workers 2" (bench/crawl.py --help).
bench-crawl: $(VENV)/.installed
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || [ "$$(id -u)" != 0 ] || { \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx; }
	$(PY) bench/crawl.py $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) $(PYWB_VENV) .pytest_cache
