#!/usr/bin/env bash
# The Swift suites under one sanitizer: `scripts/test-sanitizers.sh thread|address [swift test args…]`
# (args such as `--filter ChatStoreTests` go to `swift test`).
#
# Builds everything (tests and the executables the tests start) instrumented, in its own scratch
# path (.build-tsan / .build-asan) so the normal .build stays as it is, then runs the suites with
# FITCHAT_BIN_DIR pointing at that build: the executables the tests start (the fitchat CLI,
# fitchat-bench, socketio-conformance-server) run instrumented too.
#
# Why reports go to files: the tests start children with stderr thrown away and often end them with
# SIGKILL, so neither a child's stderr nor its exit code can be trusted to carry a report. Every
# instrumented process (the test runner and every child) writes its reports to
# build/sanitizers/<tsan|asan>/<tsan|asan>.<pid> instead (log_path), and the run fails if any such
# file exists afterwards, whatever the tests said. Suppressions (scripts/tsan.supp, scripts/lsan.supp) each carry a reason.
#
# SANITIZER_KEEP_GOING=1 keeps going after a report (to collect every one in a run); by default the
# process that finds the first one stops (halt_on_error=1), which also fails the test that started it.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizer=${1:?usage: $0 thread|address [swift test args...]}
shift
case "$sanitizer" in
    thread) short=tsan ;;
    address) short=asan ;;
    *) echo "unknown sanitizer: $sanitizer (thread or address)" >&2; exit 2 ;;
esac

SWIFT=${SWIFT:-swift}
SWIFTC=${SWIFTC:-${SWIFT}c}
scratch=.build-$short
flags=(--sanitize="$sanitizer" --scratch-path "$scratch")
reports=$PWD/build/sanitizers/$short
rm -rf "$reports"
mkdir -p "$reports"

halt=1
[[ ${SANITIZER_KEEP_GOING:-0} == 1 ]] && halt=0

common="log_path=$reports/$short:halt_on_error=$halt:abort_on_error=0"
case "$sanitizer" in
    thread)
        # second_deadlock_stack: a lock-order report shows both stacks.
        export TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp"
        ;;
    address)
        # detect_stack_use_after_return: catches a pointer to a dead frame (withUnsafe… escapes),
        # at some cost in speed. LeakSanitizer (detect_leaks) runs in the executables the tests
        # start (see leak_checked_bin_dir below), not in the test runner.
        export ASAN_OPTIONS="$common:detect_leaks=0:detect_stack_use_after_return=1:strict_string_checks=1"
        export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
        ;;
esac

seconds() { date +%s; }

# Prove the report path first: a deliberate bug, built with the same sanitizer and run with the
# same options, must leave a report file, or a clean run below would prove nothing.
canary_dir=$PWD/build/sanitizers/canary-$short
rm -rf "$canary_dir"
mkdir -p "$canary_dir"
"$SWIFTC" -sanitize="$sanitizer" -g scripts/sanitizer-canary.swift -o "$canary_dir/canary" 2>/dev/null
canary_options=${common//$reports\/$short/$canary_dir\/$short}
case "$sanitizer" in
    thread) TSAN_OPTIONS=${TSAN_OPTIONS//$common/$canary_options} "$canary_dir/canary" thread >/dev/null || true ;;
    address) ASAN_OPTIONS=${ASAN_OPTIONS//$common/$canary_options} "$canary_dir/canary" address >/dev/null || true ;;
esac
if ! compgen -G "$canary_dir/$short.*" >/dev/null; then
    echo "sanitizers: the $sanitizer canary's deliberate bug left no report in $canary_dir: reports are not being caught" >&2
    exit 1
fi

# LeakSanitizer: on in the executables the tests start (fitchat, fitchat-bench, the conformance
# server), checked at a normal exit (a child ended with SIGKILL is not). Off in the test runner:
# there it reports the object graphs of the in-process Engine.IO / Socket.IO servers the tests make
# and drop (~4.8 MB in 670 allocations at exit, rooted at LoopHeartbeats; still there when every
# session was closed first, so most likely a reference cycle among the server objects). The daemon
# makes one server and keeps it for life, so this is the tests' shape, not a leak of the daemon's.
# Each executable is reached through a wrapper that turns LeakSanitizer on; exec keeps the pid the
# tests signal.
leak_checked() {  # leak_checked EXECUTABLE WRAPPER
    printf '#!/bin/sh\nASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=1" exec %q "$@"\n' "$1" >"$2"
    chmod +x "$2"
}
if [[ $sanitizer == address ]]; then
    # The canary's leak, run through such a wrapper, must be reported too.
    rm -f "$canary_dir"/asan.*
    leak_checked "$canary_dir/canary" "$canary_dir/leak-checked-canary"
    ASAN_OPTIONS=${ASAN_OPTIONS//$common/$canary_options} "$canary_dir/leak-checked-canary" leak >/dev/null || true
    if ! grep -qs "LeakSanitizer: detected memory leaks" "$canary_dir"/asan.*; then
        echo "sanitizers: the canary's deliberate leak was not reported through the leak-checking wrapper" >&2
        exit 1
    fi
fi
echo "sanitizers: $sanitizer canary caught (reports land in files)"

start=$(seconds)
"$SWIFT" build --build-tests "${flags[@]}"
build_time=$(($(seconds) - start))
echo "sanitizers: $sanitizer build ${build_time}s"

bin_dir=$("$SWIFT" build "${flags[@]}" --show-bin-path)
# The executables the tests start must be instrumented too, or their bugs go unseen.
for executable in fitchat fitchat-bench socketio-conformance-server; do
    if ! grep -qa "__${short}_init" "$bin_dir/$executable"; then
        echo "sanitizers: $bin_dir/$executable is not built with -sanitize=$sanitizer" >&2
        exit 1
    fi
done

if [[ $sanitizer == address ]]; then
    leak_checked_bin_dir=$PWD/build/sanitizers/asan-bin
    rm -rf "$leak_checked_bin_dir"
    mkdir -p "$leak_checked_bin_dir"
    for executable in fitchat fitchat-bench socketio-conformance-server; do
        leak_checked "$bin_dir/$executable" "$leak_checked_bin_dir/$executable"
    done
    bin_dir=$leak_checked_bin_dir
fi

# One test at a time (--no-parallel): a race needs the threads of one test (its event loops, the
# store's writer, the executables it starts), not two tests side by side. In parallel on two cores
# the instrumented CPU-bound property tests held the cooperative thread pool for tens of seconds,
# and tests with wall-clock deadlines (the watchdog's 200 ms probe; idle connections that must
# still be open when a test looks, before the 10 s head deadline) failed for want of a thread, not
# for a bug. One at a time every test passes; TSan is no slower (82 s against 95 s in parallel),
# ASan is (143 s against 71 s, both under other builds' load), a price paid for one stable rule.
started=$(seconds)
status=0
FITCHAT_BIN_DIR="$bin_dir" "$SWIFT" test "${flags[@]}" --skip-build --no-parallel "$@" || status=$?
echo "sanitizers: $sanitizer tests $(($(seconds) - started))s (exit $status)"

shopt -s nullglob
found=("$reports"/*)
if ((${#found[@]})); then
    for file in "${found[@]}"; do
        echo "=== $file"
        cat "$file"
    done
    echo "sanitizers: $sanitizer: ${#found[@]} process(es) wrote a report (above; kept in $reports)" >&2
    exit 1
fi
if ((status != 0)); then
    echo "sanitizers: $sanitizer: the tests failed (exit $status)" >&2
    exit "$status"
fi
echo "sanitizers: $sanitizer: clean"
