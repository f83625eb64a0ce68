# fitchat — two commands: `make run` and `make test`.
# Both install what is missing (Debian packages, a Python venv for the real clients), build once and
# reuse the build across suites. `make deb` builds the Debian package; `make test-system` proves it
# end to end on a booted Debian 12 (systemd-nspawn; run as root).
# `make mutate` plants the bugs of scripts/mutants.json one at a time and reports which the suites kill
# (slow, not part of `make test`; MUTATE_FLAGS=--swift-only / --only ID,… / --list).

SWIFT        ?= swift
BUILD_FLAGS  ?=
PYTHON       ?= python3
VENV         := build/venv
LISTEN       ?= 127.0.0.1:8080
DATA_DIR     ?= var

# Debian packages the build and the tests need (systemd provides systemd-socket-activate).
BUILD_DEBS   := liblmdb-dev libsystemd-dev libqrencode-dev pkg-config
TEST_DEBS    := lmdb-utils systemd iproute2 python3-venv nginx-light caddy chromium chromium-driver fonts-noto-color-emoji fonts-dejavu-core
# The package build (dpkg-shlibdeps, dpkg-gencontrol, strip) and the system test (debootstrap,
# systemd-nspawn, nsenter, lintian).
DEB_DEBS     := dpkg-dev binutils
SYSTEM_DEBS  := $(DEB_DEBS) debootstrap systemd-container util-linux lintian python3-venv

.PHONY: run test build deps test-deps venv swift-test interop-test smoke bench clean deb test-system system-deps lint format mutate fuzz test-sanitizers

run: deps build
	@mkdir -p $(DATA_DIR)
	"$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/fitchat" serve --listen $(LISTEN) --data-dir $(DATA_DIR)

test: deps test-deps venv
	@$(MAKE) --no-print-directory lint
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	@$(MAKE) --no-print-directory smoke swift-test interop-test

# `make run`'s daemon, started the same way but unprivileged, must answer.
smoke:
	bash scripts/smoke-run.sh "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/fitchat"

swift-test:
	FITCHAT_BIN_DIR="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)" \
	  $(SWIFT) test $(BUILD_FLAGS) --skip-build --parallel --num-workers 2

# The Swift suites under ThreadSanitizer, then AddressSanitizer (with LeakSanitizer), each in its own
# build (.build-tsan, .build-asan); the executables the tests start run instrumented too, and a
# report from any process fails the run (scripts/test-sanitizers.sh says how). Both always run.
test-sanitizers: deps test-deps
	@status=0; \
	SWIFT=$(SWIFT) bash scripts/test-sanitizers.sh thread || status=1; \
	SWIFT=$(SWIFT) bash scripts/test-sanitizers.sh address || status=1; \
	exit $$status

# The browser tests fail without selenium/chromium; FITCHAT_SKIP_BROWSER_TESTS=1 skips them (never under CI).
interop-test:
	FITCHAT_BIN_DIR="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)" \
	  $(VENV)/bin/python -m pytest -q -p no:cacheprovider Tests/interop Tests/e2e

# libFuzzer targets (README "Fuzzing"): one fuzzer build (.build-fuzz), then each target for
# FUZZ_SECONDS on a copy of Tests/Fuzz/corpus; reproducers in build/fuzz/artifacts/.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash scripts/fuzz.sh

mutate: deps test-deps venv
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	SWIFT=$(SWIFT) BUILD_FLAGS="$(BUILD_FLAGS)" $(PYTHON) scripts/mutate.py $(MUTATE_FLAGS)

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

# The formatter's rules are in .swift-format (line length 120). `format` rewrites the tree in
# place; `lint` fails on anything `format` would change or that a lint-only rule finds.
FORMAT_PATHS := Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict -r $(FORMAT_PATHS)
	$(PYTHON) scripts/check-imports.py

format:
	$(SWIFT) format format -i -r $(FORMAT_PATHS)

# Release build; fitchat and the seed peer (../shared/peers/seed-flask, in its own venv) under the
# same load generator, side by side; the table is printed and written to build/bench/.
bench: deps test-deps
	$(SWIFT) build -c release --product fitchat-bench
	$(SWIFT) build -c release --product fitchat
	$(PYTHON) scripts/bench.py --bin-dir "$$($(SWIFT) build -c release --show-bin-path)" $(BENCH_FLAGS)

deb: deps
	@bash scripts/ensure-debs.sh $(DEB_DEBS)
	packaging/build-deb

# Builds the package (release, reused between runs in .build-release), checks it with lintian,
# installs, upgrades and purges it in a booted Debian 12, and prints the timings.
test-system: deps system-deps venv
	$(VENV)/bin/python -m pytest -s -q -x -p no:cacheprovider Tests/system

deps:
	@bash scripts/ensure-debs.sh $(BUILD_DEBS)

system-deps:
	@bash scripts/ensure-debs.sh $(SYSTEM_DEBS)

test-deps:
	@bash scripts/ensure-debs.sh $(TEST_DEBS)

venv: $(VENV)/.installed

$(VENV)/.installed: Tests/interop/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/interop/requirements.txt
	@touch $@

clean:
	rm -rf .build .build-release .build-tsan .build-asan build
