"""`fitchat-bench soak` (issue 17) for one minute: it starts its own daemon, holds a resident
population that types, sends, reads history and reconnects, plus a churn stream, and prints one
line per interval (RSS, fds, connections, sends, acks, latency, errors) and a summary with the RSS
slope; it exits 0 only when every ack came back. And against a running daemon (--url/--pid) where
the rooms do not exist, every join is refused: the soak must say so and exit non-zero."""
import os
import re
import secrets
import subprocess

from fitchat_e2e import BIN_DIR, Daemon, free_port

BENCH = os.path.join(BIN_DIR, "fitchat-bench")

LINE = re.compile(
    r"^\s*(?P<index>\d+) (?P<clock>\d\d:\d\d)  rss\s+(?P<rss>[\d.]+) MiB \(anon\s+(?P<anon>[\d.]+)\)  "
    r"fds\s+(?P<fds>\d+)  conns\s+(?P<conns>\d+) \(\+(?P<connects>\d+) -(?P<disconnects>\d+)\)  "
    r"sends\s+(?P<sends>\d+)  acks\s+(?P<acks>\d+)  ack p50\s+(?P<p50>[\d.]+) ms  p99\s+(?P<p99>[\d.]+) ms  "
    r"max\s+(?P<max>[\d.]+) ms  deliveries\s+(?P<deliveries>\d+)  other acks\s+(?P<other>\d+)  "
    r"errors (?P<errors>\d+)  load [\d.]+$")


def soak(*args, timeout=150):
    return subprocess.run([BENCH, "soak", *args], capture_output=True, text=True, timeout=timeout)


def test_a_one_minute_soak_prints_a_line_every_ten_seconds_and_the_slope():
    users = 40
    result = soak("--minutes", "1", "--interval-seconds", "10", "--users", str(users), "--rooms", "4",
                  "--send-seconds", "2", "--typing-seconds", "0.3", "--reconnect-minutes", "0.2",
                  "--churn-per-second", "3", "--polling-fraction", "0.2", "--fitchat", os.path.join(BIN_DIR, "fitchat"))
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, output
    lines = [LINE.match(line) for line in result.stdout.splitlines() if LINE.match(line)]
    assert [int(m["index"]) for m in lines] == [1, 2, 3, 4, 5, 6], output
    assert [m["clock"] for m in lines] == ["00:10", "00:20", "00:30", "00:40", "00:50", "01:00"], output
    for m in lines:
        assert float(m["rss"]) > 1 and float(m["anon"]) <= float(m["rss"]), m.group(0)
        # Every resident holds a connection (two on polling) besides the listening socket and LMDB.
        assert int(m["fds"]) > users, m.group(0)
        assert int(m["errors"]) == 0, m.group(0)
    steady = lines[1:]  # the first interval holds the ramp-up
    for m in steady:
        assert int(m["conns"]) >= users - 10, m.group(0)  # a few residents may be reconnecting
        # ~20 messages/s from the residents, 3/s from the churn: sends and acks in every interval.
        assert int(m["sends"]) > 50 and int(m["acks"]) > 50, m.group(0)
        # Sends still in flight when the interval closed are acked in the next one.
        assert abs(int(m["sends"]) - int(m["acks"])) <= max(20, int(m["sends"]) // 10), m.group(0)
        assert int(m["deliveries"]) >= int(m["acks"]), m.group(0)
        assert int(m["other"]) > int(m["acks"]), m.group(0)  # typing, history, joins
        assert float(m["p50"]) <= float(m["p99"]) <= float(m["max"]), m.group(0)
        # Churn alone disconnects ~30 clients an interval; residents reconnect every ~12 s.
        assert int(m["connects"]) > 20 and int(m["disconnects"]) > 20, m.group(0)
    assert sum(int(m["sends"]) for m in lines) > 500, output
    assert re.search(r"^RSS slope: [+-][\d.]+ MiB/h \(anon [+-][\d.]+ MiB/h\), least squares over 5 of 6 intervals: "
                     r"the first 10 s left out as warm-up", result.stdout, re.M), output
    assert re.search(r"^fds: idle \d+, first interval \d+, last \d+, after the clients left \d+$", result.stdout, re.M)
    sends, acks = map(int, re.search(r"^sends (\d+), acks (\d+);", result.stdout, re.M).groups())
    assert sends == acks and sends > 500, output
    assert re.search(r"^errors: 0$", result.stdout, re.M), output
    assert "daemon stopped with SIGTERM: exit status 0" in result.stdout, output
    assert result.stdout.rstrip().endswith("OK"), output


def test_refused_joins_fail_the_soak(data_dir):
    secret = secrets.token_hex(32)
    daemon = Daemon(data_dir, free_port(), {"FITCHAT_TOKEN_SECRET": secret}).start()
    try:
        result = soak("--url", daemon.url, "--secret", secret, "--pid", str(daemon.proc.pid), "--minutes", "0.1",
                      "--interval-seconds", "6", "--users", "5", "--churn-per-second", "0",
                      "--room-prefix", "no-such-room", timeout=90)
    finally:
        daemon.stop()
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 1, output
    assert re.search(r"^errors: \d+ \(\d+ ack refused", result.stdout, re.M), output
    assert "FAIL:" in result.stdout, output
