#!/usr/bin/env bash
# `make fuzz`: builds fitchat-fuzz once with libFuzzer + AddressSanitizer (in .build-fuzz), then runs
# every target (or FUZZ_TARGETS) for FUZZ_SECONDS on a copy of its committed seeds, so runs never
# grow Tests/Fuzz/corpus. Logs and crash/leak/timeout reproducers go to build/fuzz/. Exit status 1
# when any target failed; each failure prints the reproducer and the replay command.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
RSS_LIMIT_MB=${FUZZ_RSS_MB:-2048}
TARGETS=${FUZZ_TARGETS:-engineio-packet polling-payload socketio-packet json http-head hostapp-token records}
OUT=build/fuzz
# Release with -g: several times the executions per second of a debug build, and readable traces.
# lld (the toolchain's): gold stops with "internal error in format_file_lineno" on this link.
FLAGS=(--product fitchat-fuzz --scratch-path .build-fuzz -c release
       -Xswiftc -g -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld)

dictionary() {
    case "$1" in
        engineio-packet | polling-payload) echo Tests/Fuzz/dict/engineio.dict ;;
        socketio-packet) echo Tests/Fuzz/dict/socketio.dict ;;
        json) echo Tests/Fuzz/dict/json.dict ;;
        http-head) echo Tests/Fuzz/dict/http.dict ;;
        hostapp-token) echo Tests/Fuzz/dict/token.dict ;;
    esac
}

mkdir -p "$OUT"
echo "fuzz: building fitchat-fuzz (libFuzzer + ASan, release -g) in .build-fuzz"
build_start=$(date +%s)
"$SWIFT" build "${FLAGS[@]}" || { echo "fuzz: the fuzzer build failed"; exit 1; }
echo "fuzz: build took $(( $(date +%s) - build_start )) s"
BIN="$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)/fitchat-fuzz"

failed=()
for target in $TARGETS; do
    work="$OUT/corpus/$target"
    artifacts="$OUT/artifacts/$target/"
    rm -rf "$work" && mkdir -p "$work" "$artifacts"
    cp Tests/Fuzz/corpus/"$target"/* "$work"/
    args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_LIMIT_MB" -timeout=10 -max_len=8192
          -print_final_stats=1 -artifact_prefix="$artifacts")
    dict=$(dictionary "$target")
    [ -n "$dict" ] && args+=(-dict="$dict")
    echo "fuzz: $target for ${SECONDS_PER_TARGET} s (log $OUT/$target.log)"
    # SWIFT_BACKTRACE off: after a Swift trap its backtracer reads memory ASan then reports as
    # a second, misleading error; libFuzzer's own stack trace is enough.
    SWIFT_BACKTRACE=enable=no FITCHAT_FUZZ_TARGET="$target" "$BIN" "${args[@]}" "$work" > "$OUT/$target.log" 2>&1
    status=$?
    grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' \
        "$OUT/$target.log" | sed "s/^/  /"
    if [ $status -ne 0 ]; then
        failed+=("$target")
        echo "fuzz: $target FAILED (exit $status):"
        grep -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|Fatal error|fuzz invariant' "$OUT/$target.log" | head -5 | sed "s/^/  /"
        for reproducer in "$artifacts"*; do
            [ -e "$reproducer" ] || continue
            echo "  reproducer: $reproducer"
            echo "  replay:     FITCHAT_FUZZ_TARGET=$target $BIN $reproducer"
            echo "              (or, normal build: swift run fitchat-fuzz replay $target $reproducer)"
        done
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: every target ran ${SECONDS_PER_TARGET} s without a crash, leak or timeout"
