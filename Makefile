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

# ---- Emulator ------------------------------------------------------------------------
# `make emulate`: runner container up (Compose), sample installed, every gateway function
# on http://localhost:$(EMULATOR_PORT). Second run reuses the images, bundle and volume.
.PHONY: emulate emulate-down emulate-clean emulate-sample
EMULATOR_PORT ?= 3000
SAMPLE_BUNDLE ?= build/bundles/sample.tar.zst
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
