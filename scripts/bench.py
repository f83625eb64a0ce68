#!/usr/bin/env python3
"""`make bench`: fitchat and the original design (the seed peer: Flask-SocketIO + eventlet +
SQLite) under the same load generator, in one run, side by side.

Both servers run on this machine, unprivileged (as `nobody` when started as root), with the same
token secret and the same rooms; `fitchat-bench` (release) drives both. The load generator
shares the machine's cores with the server under test: the figures are for comparison in one run,
not absolute. The table goes to standard output and, as JSON, to build/bench/.
"""
import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOMS = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unprivileged():
    """The prefix that runs a server as it runs in production: without root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"]


def give_away(path):
    if os.geteuid() == 0:
        shutil.chown(path, "nobody", "nogroup")


def wait_healthy(url, proc, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bench: {what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"bench: {what} did not answer {url}/healthz within {timeout} s")


def worker_pid(pid):
    """gunicorn's worker (the process that serves) or the process itself."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
        return children[0] if children else pid
    except OSError:
        return pid


class Server:
    def __init__(self, name, url, proc, workdir):
        self.name, self.url, self.proc, self.workdir = name, url, proc, workdir

    @property
    def pid(self):
        return worker_pid(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_fitchat(bin_dir, secret, nofile):
    workdir = tempfile.mkdtemp(prefix="fitchat-bench-")
    give_away(workdir)
    fitchat = os.path.join(bin_dir, "fitchat")
    env = dict(os.environ, FITCHAT_CONFIG=os.devnull)
    env.pop("FITCHAT_DATA_DIR", None)
    run = lambda *args: subprocess.run([fitchat, *args, "--data-dir", workdir], env=env, check=True,
                                       capture_output=True, text=True)
    run("db", "migrate")
    for n in range(1, ROOMS + 1):
        run("room", "add", f"bench-{n}", "--description", f"Benchmark room {n}")
    port = free_port()
    env.update(FITCHAT_TOKEN_SECRET=secret, FITCHAT_MESSAGE_RATE="0", FITCHAT_MAX_CONNECTIONS_PER_IP="1000000",
               FITCHAT_MAX_PENDING_CONNECTIONS_PER_IP="1000000",
               FITCHAT_LOG_LEVEL="warning", FITCHAT_LOG_TARGET="stderr")
    log = open(os.path.join(workdir, "daemon.log"), "ab")
    proc = subprocess.Popen(["prlimit", f"--nofile={nofile}:{nofile}", "--", *unprivileged(), fitchat, "serve",
                             "--listen", f"127.0.0.1:{port}", "--data-dir", workdir],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server("fitchat", f"http://127.0.0.1:{port}", proc, workdir)
    wait_healthy(server.url, proc, "fitchat")
    return server


def start_peer(peer_dir, venv, secret, nofile):
    if not os.path.exists(os.path.join(venv, ".installed")):
        # Debian's python: the peer runs unprivileged, and an interpreter under /root would not be readable.
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        subprocess.run([python, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "--disable-pip-version-check", "-r",
                        os.path.join(peer_dir, "requirements.txt")], check=True)
        open(os.path.join(venv, ".installed"), "w").close()
    workdir = tempfile.mkdtemp(prefix="seed-peer-bench-")
    give_away(workdir)
    database = os.path.join(workdir, "peer.db")
    port = free_port()
    env = dict(os.environ, PATH=os.path.join(venv, "bin") + os.pathsep + os.environ["PATH"])
    log = open(os.path.join(workdir, "peer.log"), "ab")
    proc = subprocess.Popen(["prlimit", f"--nofile={nofile}:{nofile}", "--", *unprivileged(),
                             "sh", os.path.join(peer_dir, "run.sh"), str(port), database, secret],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    server = Server("seed peer", f"http://127.0.0.1:{port}", proc, workdir)
    wait_healthy(server.url, proc, "the seed peer")
    # The same rooms as fitchat's (the peer makes its four defaults at start).
    with sqlite3.connect(database) as db:
        for n in range(1, ROOMS + 1):
            db.execute("INSERT OR IGNORE INTO chat_room (name, description, is_active) VALUES (?, ?, 1)",
                       (f"bench-{n}", f"Benchmark room {n}"))
    return server


def bench(bin_dir, *args):
    """Runs fitchat-bench; returns its last line as JSON (and echoes what it printed)."""
    # cold-start always ends with its JSON line; the others print it with --json.
    command = [os.path.join(bin_dir, "fitchat-bench"), *map(str, args)] + ([] if args[0] == "cold-start" else ["--json"])
    shown = ["…" if i > 0 and args[i - 1] == "--secret" else str(a) for i, a in enumerate(args)]
    print("  $ fitchat-bench " + " ".join(shown), flush=True)
    result = subprocess.run(command, capture_output=True, text=True)
    for line in result.stdout.splitlines()[:-1] + result.stderr.splitlines():
        print("    " + line)
    if result.returncode != 0:
        print(f"    (exit {result.returncode})")
        return None
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


# The peer as shipped runs one gunicorn eventlet worker, whose default is 1,000 connections: more
# would wait in the listen backlog until the load generator gave up on each (two minutes apiece).
PEER_MAX_CONNECTIONS = 1000


def idle_connections(server, options):
    if server.name == "seed peer":
        return min(options.idle_connections, PEER_MAX_CONNECTIONS)
    return options.idle_connections


def median_of(runs, top=True):
    """Field by field, the median of several runs of one scenario (nested objects too); None
    when no run produced a result."""
    runs = [r for r in runs if r]
    if not runs:
        return None
    merged = {}
    for key, value in runs[0].items():
        values = [r.get(key) for r in runs]
        if isinstance(value, dict):
            merged[key] = median_of(values, top=False)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            numbers = sorted(v for v in values if isinstance(v, (int, float)))
            merged[key] = numbers[len(numbers) // 2] if len(numbers) % 2 else sum(numbers[len(numbers) // 2 - 1:len(numbers) // 2 + 1]) / 2
        else:
            merged[key] = value
    if top:
        merged["runs"] = len(runs)
    return merged


def repeated(times, bin_dir, *args):
    """A load scenario run `times` times (fresh user names each time); the medians."""
    prefix = args[args.index("--user-prefix") + 1]
    runs = []
    for n in range(times):
        named = list(args)
        named[args.index("--user-prefix") + 1] = f"{prefix}{n}"
        runs.append(bench(bin_dir, *named))
    return median_of(runs)


def ratio(a, b, higher_is_better=True):
    if a is None or b is None or a == 0 or b == 0:
        return "—"
    return f"{(a / b if higher_is_better else b / a):.1f}×"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", required=True, help="release build of fitchat and fitchat-bench")
    parser.add_argument("--peer-dir", default=os.path.join(ROOT, "..", "shared", "peers", "seed-flask"))
    parser.add_argument("--venv", default=os.path.join(ROOT, "build", "peer-venv"))
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each load scenario; the table shows medians (the machine is shared)")
    parser.add_argument("--idle-connections", type=int, default=10000)
    parser.add_argument("--without-peer", action="store_true", help="measure fitchat alone")
    options = parser.parse_args()

    peer_dir = os.path.abspath(options.peer_dir)
    if not options.without_peer and not os.path.exists(os.path.join(peer_dir, "run.sh")):
        sys.exit(f"bench: the seed peer is not at {peer_dir} (give --peer-dir, or --without-peer)")
    secret = secrets.token_hex(32)
    # As many files as the connections need, within what this machine lets a process have.
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = min(hard if hard != resource.RLIM_INFINITY else 1 << 20, max(65536, options.idle_connections * 2 + 1024))
    if nofile < options.idle_connections + 256:
        sys.exit(f"bench: {options.idle_connections} idle connections need more than this machine's {nofile} open files")
    servers = [start_fitchat(options.bin_dir, secret, nofile)]
    if not options.without_peer:
        servers.append(start_peer(peer_dir, options.venv, secret, nofile))
    results = {s.name: {} for s in servers}
    seconds = options.seconds
    try:
        for server in servers:
            print(f"\n== {server.name} at {server.url} (pid {server.pid})", flush=True)
            r = results[server.name]
            # Memory first, on a server that has served nothing yet: freed buffers of earlier
            # scenarios would hide what a connection costs.
            r["idle"] = bench(options.bin_dir, "idle", "--url", server.url, "--secret", secret,
                              "--connections", idle_connections(server, options), "--join", "bench", "--rooms", ROOMS,
                              "--hold", 5, "--server-pid", server.pid, "--user-prefix", "idle")
            r["room_of_100"] = repeated(options.repeat, options.bin_dir, "chat", "--url", server.url, "--secret", secret,
                                     "--clients", 100, "--senders", 10, "--seconds", seconds, "--room", "general",
                                     "--server-pid", server.pid, "--user-prefix", "r100")
            saturation = repeated(options.repeat, options.bin_dir, "chat", "--url", server.url, "--secret", secret, "--clients", 1000,
                               "--senders", 100, "--rooms", ROOMS, "--room", "bench", "--seconds", seconds,
                               "--server-pid", server.pid, "--user-prefix", "sat")
            r["rooms_saturation"] = saturation
            # Every client sends: what the whole stack acknowledges durably, few deliveries each.
            r["all_senders"] = repeated(options.repeat, options.bin_dir, "chat", "--url", server.url, "--secret", secret, "--clients", 100,
                                     "--senders", 100, "--rooms", ROOMS, "--room", "bench", "--seconds", seconds,
                                     "--server-pid", server.pid, "--user-prefix", "all")
        # Half of fitchat's saturation rate, for both servers.
        fitchat_saturation = (results["fitchat"].get("rooms_saturation") or {}).get("acked_per_s") or 1000
        half = max(10.0, round(fitchat_saturation / 2))
        for server in servers:
            print(f"\n== {server.name}: open loop at {half:.0f} msg/s over {ROOMS} rooms", flush=True)
            results[server.name]["rooms_half_rate"] = repeated(
                options.repeat, options.bin_dir, "chat", "--url", server.url, "--secret", secret, "--clients", 1000, "--senders", 100,
                "--rooms", ROOMS, "--room", "bench", "--seconds", seconds, "--rate", half,
                "--server-pid", server.pid, "--user-prefix", "half")
    finally:
        for server in servers:
            server.stop()

    print("\n== fitchat alone: store and cold start", flush=True)
    store_dir = tempfile.mkdtemp(prefix="fitchat-store-bench-")
    store = bench(options.bin_dir, "store", "--data-dir", store_dir, "--messages", 1000000, "--rooms", 20)
    shutil.rmtree(store_dir, ignore_errors=True)
    # Unread and mention counts in a big store: the reader in 20 rooms with 10,000 unread among
    # 1,000,000 messages; get_rooms round trips through the daemon (it builds and removes its store),
    # --repeat times, medians. A run whose counts are wrong exits 1 and counts as no result.
    runs = [bench(options.bin_dir, "rooms-list", "--fitchat", os.path.join(options.bin_dir, "fitchat"), "--messages",
                  1000000, "--rooms", 20, "--unread", 10000, "--samples", 1000) for _ in range(options.repeat)]
    failed = sum(1 for r in runs if r is None)
    rooms_list = median_of(runs) if not failed else {"failed_runs": failed, "runs": len(runs)}
    # Full-text search (issue 16): 1,000,000 messages over 20 rooms with a realistic vocabulary,
    # the store's search call per query kind and round trips through the daemon.
    search = bench(options.bin_dir, "search", "--fitchat", os.path.join(options.bin_dir, "fitchat"), "--messages",
                   1000000, "--rooms", 20)
    cold = None
    if os.path.exists("/usr/bin/systemd-socket-activate"):
        cold = bench(options.bin_dir, "cold-start", "--fitchat", os.path.join(options.bin_dir, "fitchat"), "--runs", 10)

    table = summarize(results, store, cold, half, rooms_list, search)
    os.makedirs(options.out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    document = {"when": stamp, "machine": machine(), "results": results, "store": store, "rooms_list": rooms_list,
                "search": search, "cold_start": cold,
                "half_rate": half, "table": table}
    for name in (f"bench-{stamp}.json", "latest.json"):
        with open(os.path.join(options.out, name), "w") as f:
            json.dump(document, f, indent=2)
    print(f"\nwritten to {os.path.join(options.out, 'latest.json')}")


def machine():
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    except OSError:
        model = "?"
    return {"cpus": os.cpu_count(), "cpu": model, "kernel": platform.release()}


def summarize(results, store, cold, half, rooms_list=None, search=None):
    f = results.get("fitchat", {})
    p = results.get("seed peer", {})

    def get(r, scenario, *keys):
        value = r.get(scenario) or {}
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    rows = [
        ("room of 100, 10 senders: deliveries/s", get(f, "room_of_100", "deliveries_per_s"), get(p, "room_of_100", "deliveries_per_s"), True),
        ("room of 100: p99 latency ms", get(f, "room_of_100", "latency_ms", "p99"), get(p, "room_of_100", "latency_ms", "p99"), False),
        ("room of 100: server CPU µs/delivery", get(f, "room_of_100", "server_cpu_us_per_delivery"), get(p, "room_of_100", "server_cpu_us_per_delivery"), False),
        ("room of 100: delivered fraction", get(f, "room_of_100", "delivered_fraction"), get(p, "room_of_100", "delivered_fraction"), True),
        ("1,000 clients / 20 rooms: acked msg/s (saturation)", get(f, "rooms_saturation", "acked_per_s"), get(p, "rooms_saturation", "acked_per_s"), True),
        ("100 clients / 20 rooms, all sending: acked durable msg/s", get(f, "all_senders", "acked_per_s"), get(p, "all_senders", "acked_per_s"), True),
        ("all sending: server CPU µs/message", per_message(f), per_message(p), False),
        (f"open loop {half:.0f} msg/s: p99 latency ms", get(f, "rooms_half_rate", "latency_ms", "p99"), get(p, "rooms_half_rate", "latency_ms", "p99"), False),
        (f"open loop {half:.0f} msg/s: delivered fraction", get(f, "rooms_half_rate", "delivered_fraction"), get(p, "rooms_half_rate", "delivered_fraction"), True),
        ("idle connections, joined: KB each", kb(get(f, "idle", "bytes_per_connection")), kb(get(p, "idle", "bytes_per_connection")), False),
        ("idle connections held", get(f, "idle", "connections"), get(p, "idle", "connections"), True),
    ]
    table = []
    print("\n| scenario | fitchat | seed peer | fitchat ahead by |")
    print("|---|---:|---:|---:|")
    for label, a, b, higher in rows:
        print(f"| {label} | {fmt(a)} | {fmt(b)} | {ratio(a, b, higher)} |")
        table.append({"scenario": label, "fitchat": a, "peer": b, "ratio": ratio(a, b, higher)})
    if store:
        print(f"| store: durable appends/s (64 appenders) | {fmt(store.get('durable_appends_per_s'))} | — | — |")
        print(f"| store: latest-50 history p99 ms | {fmt((store.get('history_latest50_ms') or {}).get('p99'))} | — | — |")
    if rooms_list and not rooms_list.get("failed_runs"):
        latency = rooms_list.get("rooms_list_ms") or {}
        print(f"| rooms list, 1M messages, 20 rooms, 10k unread: p50 / p99 ms | {fmt(latency.get('p50'))} / "
              f"{fmt(latency.get('p99'))} | — | — |")
        print(f"| rooms list: server CPU µs per get_rooms | {fmt(rooms_list.get('server_cpu_us_per_request'))} | — | — |")
        size = rooms_list.get("store_bytes")
        print(f"| rooms list: its 1M-message store built in s (MB) | {fmt(rooms_list.get('build_s'))} "
              f"({fmt(None if size is None else size / 1e6)}) | — | — |")
    elif rooms_list:
        print(f"| rooms list, 1M messages, 20 rooms, 10k unread | failed in {rooms_list['failed_runs']} of "
              f"{rooms_list['runs']} runs (see above) | — | — |")
    if search:
        for kind in ("one_word_common", "one_word_rare", "two_words", "prefix", "round_trip"):
            latency = search.get(kind) or {}
            print(f"| search, 1M messages, {kind.replace('_', ' ')}: p50 / p99 ms | {fmt(latency.get('p50_ms'))} / "
                  f"{fmt(latency.get('p99_ms'))} | — | — |")
        print(f"| search index, 1M messages: MB | {fmt((search.get('index_bytes') or 0) / 1e6)} | — | — |")
    if cold:
        print(f"| cold start through the socket, median ms | {fmt((cold.get('cold_start_ms') or {}).get('median'))} | — | — |")
    return table


def per_message(r):
    """Server CPU per acknowledged message when every client sends (µs/delivery × deliveries per message)."""
    value = r.get("all_senders") or {}
    cpu, acked, delivered = value.get("server_cpu_us_per_delivery"), value.get("acked_per_s"), value.get("deliveries_per_s")
    if cpu is None or not acked or not delivered:
        return None
    return cpu * delivered / acked


def kb(value):
    return None if value is None else value / 1024


def fmt(value):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{value:,}"


if __name__ == "__main__":
    main()
