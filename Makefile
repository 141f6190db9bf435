# Two commands do everything:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARCHIVE ?= demo-archive

.PHONY: run test setup lint bench test-portable test-postgres bundle

$(BIN)/.installed: pyproject.toml scripts/system-deps.sh
	./scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,publish]'
	touch $@

## Node tools (glTF validator, gltfpack) pinned by tools/node/package-lock.json.
setup: $(BIN)/.installed
	./scripts/node-deps.sh

## Set up, create the demo archive on first run, open the app on it.
run: setup
	test -f $(ARCHIVE)/catalogue.sqlite || $(BIN)/heritage demo $(ARCHIVE)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(BIN)/heritage-app --archive $(ARCHIVE); \
	else echo "No display found: showing the archive on the command line (or run: xvfb-run make run)"; \
	     $(BIN)/heritage --archive $(ARCHIVE) summary; fi

## Set up, lint, type-check and run the whole test suite.
test: setup lint test-portable test-postgres bundle
	WITH_BROWSER=1 ./scripts/system-deps.sh
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check archive viewer workers glbtools platform_support heritage_app tests benchmarks packaging
	$(BIN)/mypy archive viewer workers glbtools platform_support
	$(BIN)/lint-imports  # the borders between archive, viewer, workers and the app (pyproject.toml)

bench: setup
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

## The archive and viewer suites again as on Windows: workers started with `spawn`, and
## `fcntl`/`resource` refused to the project's modules (tests/portable/sitecustomize.py).
## Left out: tests that read forkserver internals, and the greedy-reader tests, which under
## the watchdog (no RLIMIT_AS) would really allocate gigabytes (tests/test_portable_pass.py
## proves the watchdog with a small limit).
PORTABLE_SKIP := not forkserver and not bytearray and not numpy and not greedy and not corpus
test-portable: setup
	HERITAGE_START_METHOD=spawn HERITAGE_BLOCK_POSIX=1 PYTHONPATH=tests/portable QT_QPA_PLATFORM=offscreen \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_portable_pass.py tests/test_platform.py \
	  tests/archive tests/viewer --ignore=tests/archive/test_export_isolation.py \
	  --ignore=tests/archive/test_fuzz.py -k "$(PORTABLE_SKIP)"

## The archive suite again on team archives: every Archive.create makes one on a fresh database
## of a throwaway PostgreSQL server (tests/archive/pg.py); tests that poke SQLite's own internals
## are marked sqlite_only. `-m` replaces pyproject's addopts marker, so `not slow` is repeated.
test-postgres: setup
	HERITAGE_TEST_CATALOGUE=postgres QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider \
	  tests/archive -m "not slow and not sqlite_only"

## One-folder desktop bundle (dist: build/bundle/dist/heritage-archive/, executables
## `heritage` and `heritage-app`), then its smoke test from a clean environment.
## About 2.5 minutes; `make test` builds and smoke-tests it too (see packaging/README.md).
bundle: setup
	$(BIN)/python -m pip install -q -e '.[bundle]'
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath build/bundle/dist \
	  --workpath build/bundle/work packaging/heritage.spec
	packaging/smoke_test.sh build/bundle/dist/heritage-archive
