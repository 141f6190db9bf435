# Two commands do everything:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARCHIVE ?= demo-archive

.PHONY: run test setup lint bench

$(BIN)/.installed: pyproject.toml scripts/system-deps.sh
	./scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
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
test: setup lint
	WITH_BROWSER=1 ./scripts/system-deps.sh
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check archive viewer workers glbtools heritage_app tests benchmarks
	$(BIN)/mypy archive viewer workers glbtools
	$(BIN)/lint-imports  # the borders between archive, viewer, workers and the app (pyproject.toml)

bench: setup
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done
