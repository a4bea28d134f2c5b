# Propreo — every target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= $(shell $(PYTHON) -c "import os;print(os.path.join(os.environ.get('XDG_DATA_HOME', os.path.expanduser('~/.local/share')),'Propreo','demo.db'))")
PYTEST_ARGS ?=
# One pytest-xdist worker per core of the machine (2 on a 2-core machine).
PYTEST_WORKERS ?= auto

.PHONY: system-deps run test test-pg lint format bundle screenshots guide clean migration schema bench

system-deps:
	@bash installer/linux/debian-deps.sh

$(STAMP): pyproject.toml | system-deps
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo also starts the reference e-invoicing platform (http://127.0.0.1:8800, identifiant
# propreo-demo, secret demo-secret: see the guide, chapter 13), stopped when the window closes.
run: system-deps $(STAMP)
	$(BIN)/propreo --db "$(DEMO_DB)" init --demo
	$(BIN)/propreo --db "$(DEMO_DB)" pa demo --url http://127.0.0.1:8800
	$(BIN)/propreo pa serve --port 8800 & PA=$$!; \
	$(BIN)/propreo --db "$(DEMO_DB)" gui; status=$$?; kill $$PA; exit $$status

test: system-deps $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The whole suite again on a private PostgreSQL cluster (installer/linux/pg-test-cluster.sh).
ifndef PG_TEST_DIR
PG_TEST_DIR := $(shell mktemp -u -d "$${TMPDIR:-/tmp}/propreo-pg.XXXXXX")
endif
test-pg: system-deps $(STAMP)
	bash installer/linux/pg-test-cluster.sh start "$(PG_TEST_DIR)" > "$(PG_TEST_DIR).env"
	. "$(PG_TEST_DIR).env"; status=0; \
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) || status=$$?; \
	bash installer/linux/pg-test-cluster.sh stop "$(PG_TEST_DIR)"; rm -rf "$(PG_TEST_DIR)" "$(PG_TEST_DIR).env"; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: $(STAMP)
	$(BIN)/python -m app.devtools --initial
	$(BIN)/ruff check --fix --quiet models/migrations || true
	$(BIN)/ruff format models/migrations >/dev/null

migration: $(STAMP)
	$(BIN)/python -m app.devtools "$(MSG)"

bundle: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bundle]'
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller installer/propreo.spec

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m ui.screenshots

guide: $(STAMP)
	$(BIN)/python -m app.help.guide_pdf

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_documents.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/bench_list.py
	$(BIN)/python benchmarks/bench_start.py
	$(BIN)/python benchmarks/bench_memory.py

clean:
	rm -rf build dist .pytest_cache .ruff_cache
