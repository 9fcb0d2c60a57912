# One-word targets. `make demo` and `make test` are the two set-up commands (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test prereqs lint typecheck pytest format bench fuzz clean install docs screenshots

install: $(STAMP)

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/eventguard demo

serve: $(STAMP)
	$(BIN)/eventguard serve

# `make test` sets up what it needs itself: Debian's chromium and a CJK font (scripts/test-prereqs), and
# a throwaway PostgreSQL when none answers at EVENTGUARD_TEST_PG_URL (tests/pgserver.py).
test: prereqs lint typecheck pytest

prereqs:
	./scripts/test-prereqs

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

# Two workers (pytest-xdist), one per core; a test file's tests stay on one worker, so a module's
# server and browser start once. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
pytest: $(STAMP) prereqs
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# Refreshes the tracked docs/screenshots/*.png (the suite itself writes to the ignored var/screenshots).
screenshots: $(STAMP) prereqs
	EVENTGUARD_SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile $$(grep -rl --include="test_*.py" "SCREENSHOTS" tests)

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# The soak (bench/soak.py, 10 minutes) is one of them; the long fuzz run is `make fuzz`.
bench: $(STAMP)
	$(BIN)/python -m bench

# Schemathesis against the OpenAPI document with 60 cases per operation and caller (the suite runs 3).
FUZZ_EXAMPLES ?= 60
fuzz: $(STAMP)
	EVENTGUARD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/fuzz -q

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

docs: $(STAMP)
	./scripts/gen-docs
