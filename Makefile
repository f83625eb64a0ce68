# fitchat — two commands: `make run` and `make test`.
# Both install what is missing (Debian packages, a Python venv for the real clients), build once and
# reuse the build across suites.

SWIFT        ?= swift
BUILD_FLAGS  ?=
PYTHON       ?= python3
VENV         := build/venv
LISTEN       ?= 127.0.0.1:8080
DATA_DIR     ?= var

# Debian packages the build and the tests need (systemd provides systemd-socket-activate).
BUILD_DEBS   := liblmdb-dev libsystemd-dev pkg-config
TEST_DEBS    := lmdb-utils systemd python3-venv chromium chromium-driver fonts-noto-color-emoji fonts-dejavu-core

.PHONY: run test build deps test-deps venv swift-test interop-test smoke bench clean

run: deps build
	@mkdir -p $(DATA_DIR)
	"$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/fitchat" serve --listen $(LISTEN) --data-dir $(DATA_DIR)

test: deps test-deps venv
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	@$(MAKE) --no-print-directory smoke swift-test interop-test

# `make run`'s daemon, started the same way but unprivileged, must answer.
smoke:
	bash scripts/smoke-run.sh "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/fitchat"

swift-test:
	FITCHAT_BIN_DIR="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)" \
	  $(SWIFT) test $(BUILD_FLAGS) --skip-build --parallel --num-workers 2

interop-test:
	FITCHAT_BIN_DIR="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)" \
	  $(VENV)/bin/python -m pytest -q -p no:cacheprovider Tests/interop Tests/e2e

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

bench: deps
	$(SWIFT) build -c release --product fitchat-bench
	$(SWIFT) build -c release --product fitchat
	"$$($(SWIFT) build -c release --show-bin-path)/fitchat-bench" store --data-dir build/bench-store --messages 1000000 --rooms 20 --json
	"$$($(SWIFT) build -c release --show-bin-path)/fitchat-bench" cold-start --fitchat "$$($(SWIFT) build -c release --show-bin-path)/fitchat" --runs 10

deps:
	@bash scripts/ensure-debs.sh $(BUILD_DEBS)

test-deps:
	@bash scripts/ensure-debs.sh $(TEST_DEBS)

venv: $(VENV)/.installed

$(VENV)/.installed: Tests/interop/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/interop/requirements.txt
	@touch $@

clean:
	rm -rf .build build
