#!/usr/bin/env bash
# `make run`'s smoke check: starts the daemon exactly as `make run` does (serve --listen
# --data-dir), but as an unprivileged user when we are root, as production runs it, and checks
# that it answers: a permission bug must never pass because the tests ran as root.
set -euo pipefail
bin="${1:?usage: smoke-run.sh PATH/TO/fitchat}"
dir="$(mktemp -d /tmp/fitchat-smoke-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
as_user=()
if [ "$(id -u)" = 0 ]; then
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
    chown nobody:nogroup "$dir"
fi
FITCHAT_CONFIG=/dev/null "${as_user[@]}" "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" >"$dir/daemon.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
fetch() { python3 -c 'import sys, urllib.request; r = urllib.request.urlopen(sys.argv[1], timeout=5); sys.stdout.write(str(r.status))' "$1"; }
for _ in $(seq 100); do
    if [ "$(fetch "http://127.0.0.1:$port/healthz" 2>/dev/null)" = 200 ]; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$dir/daemon.log"; echo "smoke: fitchat serve exited" >&2; exit 1; }
    sleep 0.1
done
for path in /healthz /setup /static/chat.js; do
    status="$(fetch "http://127.0.0.1:$port$path")" || { cat "$dir/daemon.log"; echo "smoke: $path failed" >&2; exit 1; }
    [ "$status" = 200 ] || { echo "smoke: $path answered $status" >&2; exit 1; }
done
kill -TERM "$pid"
wait "$pid"
echo "smoke: fitchat serve as $(if [ ${#as_user[@]} -gt 0 ]; then echo nobody; else id -un; fi) answered /healthz, /setup and /static/chat.js; stopped cleanly"
