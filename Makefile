# Two commands matter: `make run` (serve locally) and `make test` (what CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
SRC := handler local infra
# Lambda extensions: executables without a .py suffix (ruff finds them via extend-include).
EXTENSIONS := $(wildcard infra/layers/*/extensions/*)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.PHONY: run run-aws worker new-resource test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[server]'
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python -m local

# The deployed topology on this machine (docs/emulator.md): needs the dev install (moto).
run-aws: $(DEV_STAMP)
	$(BIN)/python -m local aws $(AWS_ARGS)

worker: $(RUN_STAMP)
	$(BIN)/python -m local worker

# Your own stored resource, wired and tested: make new-resource NAME=orders
new-resource: $(DEV_STAMP)
	@test -n "$(NAME)" || (echo "usage: make new-resource NAME=orders" && exit 2)
	$(BIN)/python -m local new resource $(NAME)

lint: $(DEV_STAMP)
	$(BIN)/ruff check $(SRC) tests
	$(BIN)/ruff format --check $(SRC) tests
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

typecheck: $(DEV_STAMP)
	$(BIN)/mypy $(SRC) $(EXTENSIONS)

pytest: $(DEV_STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

# The load figures use wrk (tests/bench/bench_load.py), installed from Debian when missing.
bench: $(DEV_STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null) \
		|| echo "wrk could not be installed: the load figures will be skipped"
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache cdk.out

# --- infra (issue 6): the CDK CLI pinned in package.json; the app is `python -m infra` ---
# One stage per command: `make deploy STAGE=prod`. The same -c stage reaches every command.
.PHONY: synth bootstrap deploy destroy
STAGE ?= dev
CDK := PATH="$(CURDIR)/$(BIN):$$PATH" CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk --no-notices
STAGE_ARGS := -c stage=$(STAGE) $(CDK_ARGS)
# The preflight follows -c reserved_concurrency=false (no quota needed then).
PREFLIGHT := $(BIN)/python -m infra.preflight --stage $(STAGE) $(if $(findstring reserved_concurrency=false,$(CDK_ARGS)),--no-reserve,)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

synth: $(DEV_STAMP) node_modules/.package-lock.json
	$(CDK) synth --quiet $(STAGE_ARGS)

# Once per account and region (the credentials' defaults), before the first deploy.
bootstrap: $(DEV_STAMP) node_modules/.package-lock.json
	$(PREFLIGHT) bootstrap
	$(CDK) bootstrap $(STAGE_ARGS)

# Region, credentials, bootstrap, the Web Adapter layer and the concurrency quota first:
# each failure is one line with its fix (infra/preflight.py).
deploy: $(DEV_STAMP) node_modules/.package-lock.json
	$(PREFLIGHT) deploy
	$(CDK) deploy $(STAGE_ARGS)

destroy: $(DEV_STAMP) node_modules/.package-lock.json
	$(CDK) destroy $(STAGE_ARGS)

# The Lambda platform lock (infra/requirements-lambda.txt, CPython 3.14 on manylinux2014
# aarch64, with hashes): after changing dependencies in pyproject.toml. Existing pins are
# kept; `make lock LOCK_ARGS=--upgrade` moves every package to its newest release.
.PHONY: lock
lock: $(DEV_STAMP)
	$(BIN)/python -m infra.lock $(LOCK_ARGS)
