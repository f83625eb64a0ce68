"""fitchat under systemd's own tools: socket activation through systemd-socket-activate, readiness
and watchdog over a NOTIFY_SOCKET the test reads, a hung event loop, and SIGTERM."""
import os
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.request

import pytest

from chat_client import ChatClient
from fitchat_e2e import AS_SERVICE_USER, FITCHAT, free_port

ACTIVATE = "/usr/bin/systemd-socket-activate"
WATCHDOG_USEC = 2_000_000


class NotifyListener:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET; records (time, message)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o777)  # the daemon runs unprivileged and must be able to send here
        self.sock.settimeout(0.2)
        self.messages = []
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            for line in data.split("\n"):
                if line:
                    self.messages.append((time.monotonic(), line))

    def wait_for(self, prefix, timeout=20, after=0.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, line in list(self.messages):
                if t >= after and line.startswith(prefix):
                    return t, line
            time.sleep(0.02)
        raise TimeoutError(f"no {prefix!r} within {timeout}s; got {self.messages}")

    def times(self, line, since=0.0):
        return [t for t, l in list(self.messages) if l == line and t >= since]

    def close(self):
        self.running = False
        self.sock.close()


@pytest.fixture
def activated(data_dir):
    if not os.path.exists(ACTIVATE):
        pytest.fail("systemd-socket-activate is required (Debian package systemd)")
    notify = NotifyListener(os.path.join(data_dir, "notify.sock"))
    port = free_port()
    config = os.path.join(data_dir, "empty.conf")
    open(config, "w").close()
    env = dict(os.environ, FITCHAT_CONFIG=config, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC=str(WATCHDOG_USEC),
               FITCHAT_TEST_HOOKS="1", FITCHAT_LOG_TARGET="stderr", FITCHAT_LOG_LEVEL="debug")
    env.pop("FITCHAT_DATA_DIR", None)
    log = open(os.path.join(data_dir, "daemon.log"), "ab")
    proc = subprocess.Popen(
        [ACTIVATE, "-l", f"127.0.0.1:{port}", "--fdname=http",
         "-E", "FITCHAT_CONFIG", "-E", "NOTIFY_SOCKET", "-E", "WATCHDOG_USEC", "-E", "FITCHAT_TEST_HOOKS",
         "-E", "FITCHAT_LOG_TARGET", "-E", "FITCHAT_LOG_LEVEL", *AS_SERVICE_USER, FITCHAT, "serve", "--data-dir", data_dir],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    # systemd-socket-activate listens at once and starts fitchat on the first connection, so
    # wait for the listening socket without connecting to it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not listening(port):
        time.sleep(0.05)
    state = {"proc": proc, "port": port, "notify": notify, "url": f"http://127.0.0.1:{port}", "data_dir": data_dir, "env": env}
    yield state
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    log.close()
    notify.close()


def listening(port):
    """True when something listens on 127.0.0.1:port (read from /proc/net/tcp, no connection made)."""
    with open("/proc/net/tcp") as table:
        for row in table.readlines()[1:]:
            fields = row.split()
            if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":
                return True
    return False


def accept_queue_length(port):
    """The listening socket's backlog as the kernel holds it (`ss`'s Send-Q for a listener)."""
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split()[2])


def daemon_log(state):
    with open(os.path.join(state["data_dir"], "daemon.log"), "rb") as f:
        return f.read().decode(errors="replace")[-3000:]


def cli(state, *args):
    return subprocess.run([FITCHAT, *args, "--data-dir", state["data_dir"]], env=state["env"], capture_output=True,
                          text=True, timeout=60, check=True).stdout


def test_socket_activation_readiness_watchdog_and_stop(activated):
    notify, url = activated["notify"], activated["url"]
    time.sleep(0.3)
    assert not [m for _, m in notify.messages if m.startswith("READY=1")], "ready before anyone connected?"

    # The first connection starts the daemon; it is served through the passed socket.
    started = time.monotonic()
    with urllib.request.urlopen(url + "/healthz", timeout=20) as response:
        assert response.read() == b"ok\n"
    cold_start = time.monotonic() - started
    ready_at, _ = notify.wait_for("READY=1")
    assert ready_at <= time.monotonic()
    print(f"cold start through the socket: {cold_start * 1000:.1f} ms")
    # The daemon keeps the socket's queue at listen_backlog (NIO's adoption used to cut it to 128).
    assert accept_queue_length(activated["port"]) == 1024

    # Keep-alives at about half the interval: wait for five of them (not for a guessed time).
    deadline = time.monotonic() + 20
    while len(notify.times("WATCHDOG=1", since=ready_at)) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    pings = notify.times("WATCHDOG=1", since=ready_at)
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert len(gaps) >= 3, notify.messages
    median_gap = statistics.median(gaps)
    print(f"watchdog keep-alive gaps: median {median_gap:.3f} s over {len(gaps)}")
    assert 0.6 <= median_gap <= 1.6, gaps

    # Messages acknowledged before SIGTERM are on disk after it.
    token = cli(activated, "token", "issue", "ann", "--create").strip().splitlines()[-1]
    ann = ChatClient(url, token=token, transports=["websocket"]).connect()
    assert ann.call("join_room", {"room": "general"})["ok"]
    acked = [ann.call("send_message", {"room": "general", "message": f"rep {i}"})["message"]["id"] for i in range(10)]

    # A hung event loop stops the keep-alives; they come back once it recovers. (The hook's own
    # answer may be late when it shares the blocked loop, so time from before the request.)
    before = time.monotonic()
    urllib.request.urlopen(urllib.request.Request(url + "/_test/block-event-loop?seconds=5", method="POST"), timeout=10)
    time.sleep(max(0.0, before + 4.8 - time.monotonic()))
    during = [t for t in notify.times("WATCHDOG=1") if before + 1.5 < t < before + 4.8]
    assert during == [], f"keep-alives went on while a loop was blocked: {during}\n{daemon_log(activated)}"
    notify.wait_for("WATCHDOG=1", after=before + 5, timeout=10)

    stop_sent = time.monotonic()
    activated["proc"].send_signal(signal.SIGTERM)
    notify.wait_for("STOPPING=1", after=stop_sent)
    assert activated["proc"].wait(timeout=30) == 0
    ann.close()
    exported = cli(activated, "export", "--room", "general")
    assert all(f'"id":{i},' in exported for i in acked), exported


def test_the_daemon_also_binds_by_itself_without_systemd(daemon):
    # The plain `daemon` fixture runs `fitchat serve --listen` with no passed socket.
    with urllib.request.urlopen(daemon.url + "/healthz", timeout=10) as response:
        assert response.status == 200
    assert accept_queue_length(daemon.port) == 1024
    with urllib.request.urlopen(daemon.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    assert "fitchat_sessions" in text and "fitchat_commit_duration_seconds_bucket" in text


def test_several_passed_sockets_are_all_served(data_dir):
    port_a, port_b = free_port(), free_port()
    config = os.path.join(data_dir, "empty.conf")
    open(config, "w").close()
    env = dict(os.environ, FITCHAT_CONFIG=config, FITCHAT_LOG_TARGET="stderr", FITCHAT_LISTEN_BACKLOG="333")
    env.pop("FITCHAT_DATA_DIR", None)
    with open(os.path.join(data_dir, "daemon.log"), "ab") as log:
        proc = subprocess.Popen(
            [ACTIVATE, "-l", f"127.0.0.1:{port_a}", "-l", f"127.0.0.1:{port_b}", "--fdname=http:http",
             "-E", "FITCHAT_CONFIG", "-E", "FITCHAT_LOG_TARGET", "-E", "FITCHAT_LISTEN_BACKLOG", *AS_SERVICE_USER, FITCHAT, "serve", "--data-dir", data_dir],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not (listening(port_a) and listening(port_b)):
                time.sleep(0.05)
            for port in (port_a, port_b):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=20) as response:
                    assert response.read() == b"ok\n"
            assert [accept_queue_length(port) for port in (port_a, port_b)] == [333, 333]  # listen_backlog
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
