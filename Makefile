# catalog-sync — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STUBS := catalogsync/v1/__init__.py
PROTOS := $(wildcard proto/catalogsync/v1/*.proto)
PYTEST_ARGS ?=

.PHONY: help setup proto proto-check lint test test-unit test-integration test-e2e run up down status bench bench-scheduler bench-match bench-upload bench-console clean
.PHONY: bench-sync bench-download

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/python -m uv pip install --quiet --python $(BIN)/python -e '.[dev,local]'
	@touch $@

$(STUBS): $(STAMP) $(PROTOS) catalogsync/codegen.py
	$(BIN)/python -m catalogsync.codegen
	@touch $@

setup: $(STAMP) $(STUBS) ## create .venv with the project installed and the gRPC stubs generated

proto: $(STAMP) ## regenerate the gRPC stubs from proto/
	$(BIN)/python -m catalogsync.codegen

proto-check: setup ## fail when the generated stubs are stale
	$(BIN)/python -m catalogsync.codegen --check

lint: setup ## ruff, and mypy --strict on services/, catalogsync/, gateway/, cli/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: setup ## the whole suite (uses CATALOGSYNC_TEST_DATABASE_URL when set, else an embedded PostgreSQL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: setup ## unit tests only
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-integration: setup ## integration tests only (real PostgreSQL, S3 server, sandbox, in-process gRPC)
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: setup ## end-to-end tests (the stack as separate processes, a real browser)
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

run: setup ## run the main job (collect → sync → download → upload) on the embedded default
	$(BIN)/catalogsync demo

up: setup ## start the stack in the background on the default ports
	$(BIN)/catalogsync stack up

down: setup ## stop the stack started by `make up` / `make run`
	$(BIN)/catalogsync stack down

status: setup ## show the stack's processes and addresses
	$(BIN)/catalogsync stack status

bench: bench-scheduler bench-match bench-upload bench-console bench-sync bench-download ## every benchmark

bench-scheduler: setup ## scheduler throughput and pause latency
	$(BIN)/python -m bench.scheduler

bench-match: setup ## resolve + download a hard sandbox catalog: wrong songs, misses, quality regret
	$(BIN)/python -m bench.match

bench-upload: setup ## 200 × 8 MiB through the uploader vs minio fput_object, embedded S3
	$(BIN)/python -m bench.upload

bench-console: setup ## /api/dashboard, /api/playlists, /api/jobs/{id} p50/p95: 1M links, a download running, 50 SSE clients
	$(BIN)/python -m bench.console

bench-sync: setup ## 2,000 sandbox playlists through collector → scheduler → PostgreSQL vs httpx + COPY
	$(BIN)/python -m bench.sync

bench-download: setup ## 550 songs × ~5 MB through resolve → download → register vs httpx, 10 streams
	$(BIN)/python -m bench.download

clean: ## remove the virtual env, generated stubs and caches (keeps .data/)
	rm -rf $(VENV) catalogsync/v1 .pytest_cache .ruff_cache
