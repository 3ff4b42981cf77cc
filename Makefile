# partition-s3-replicate: build, test and package the Lambda, and check the Terraform module.
# `make help` lists the targets.

.PHONY: all help clean build lint test test-unit test-integration test-faults validate dist demo bench bench-backfill bench-server \
        lint-report test-report ci

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
NPM_CI := npm ci --no-audit --no-fund --loglevel=error
TEST_ENV := scripts/test-env/run.sh
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

all: lint test validate dist

help: ## List the targets
	@grep -hE '^[a-z.-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

# ---------------------------------------------------------------- setup (stamp files)
node_modules/.package-lock.json: package-lock.json
	$(NPM_CI)

.lint-setup: node_modules/.package-lock.json ## Install what lint needs
	touch $@

.test-setup: node_modules/.package-lock.json ## Install what the tests need (servers install their packages on start)
	touch $@

.validate-setup: node_modules/.package-lock.json ## Install what the Terraform checks need
	touch $@

# ---------------------------------------------------------------- targets
clean: ## Remove every build output
	rm -rf build dist reports coverage .test-env .lint-setup .test-setup .validate-setup

build: node_modules/.package-lock.json ## Bundle every Lambda handler into build/
	npm run --silent build

lint: .lint-setup ## eslint, tsc --noEmit, terraform fmt -check
	npx eslint .
	npx tsc --noEmit
	@if command -v terraform >/dev/null; then env -u TF_CLI_CONFIG_FILE CHECKPOINT_DISABLE=1 terraform fmt -check -recursive terraform; \
	else echo "lint: terraform not on PATH, terraform fmt skipped"; fi

lint-report: .lint-setup ## eslint as JUnit XML in reports/lint.xml
	mkdir -p reports
	status=0; npx eslint . --format junit --output-file reports/lint.xml || status=$$?; \
	node scripts/check-junit.mjs reports/lint.xml; exit $$status

test: .test-setup ## The whole suite: unit, integration and a short fault run (fixed seeds) against local servers
	$(TEST_ENV) npx jest

test-unit: .test-setup ## Unit tests only (no servers)
	npx jest --selectProjects unit

test-integration: .test-setup ## Integration tests against the local servers
	$(TEST_ENV) npx jest --selectProjects integration

# FAULT_EXPERIMENTS (proxy,crash,rgw-kill,rotation,table-loss), FAULT_SEEDS (1,2,3), FAULT_OPS (200)
test-faults: .test-setup ## Every fault experiment, several seeds, then the table (minutes)
	$(TEST_ENV) node tests/faults/run.mjs

test-report: .test-setup ## The whole suite with JUnit XML in reports/tests.xml
	mkdir -p reports
	$(TEST_ENV) npx jest --ci
	node scripts/check-junit.mjs reports/tests.xml

validate: .validate-setup ## Terraform: fmt, validate (module and examples), terraform test
	bash scripts/terraform/validate.sh

dist: build ## Deterministic zip dist/partition-s3-replicate-<hash>.zip
	node scripts/dist.mjs

demo: build ## Replicate a mix of objects between two local "partitions" and print a verdict
	$(TEST_ENV) node scripts/demo.mjs

bench: build ## Throughput, CPU, requests per record, memory and cold start against rclone, on local servers
	command -v rclone >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends rclone; }
	$(TEST_ENV) node bench/bench.mjs

bench-backfill: ## backfill and verify against rclone copy and rclone check (and the SDK's own GET + PUT floor)
	command -v rclone >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends rclone; }
	$(TEST_ENV) node bench/backfill.mjs

bench-server: ## the S3 server's CPU per small-object create, with and without the two listings
	$(TEST_ENV) node bench/server-cost.mjs

ci: lint test validate dist
