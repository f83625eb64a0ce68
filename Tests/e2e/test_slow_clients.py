"""Slow and idle clients against the real daemon (issue 17): a connection that sends nothing and a
request head trickled a byte at a time are closed at the head deadline (`header_timeout`, 2 s
here); 2,000 such connections (with `header_timeout` 6 s, so that all are open at once), kept up by
reopening each one the daemon closes, do not stop a
python-socketio client from chatting; 10,000 connect/disconnect cycles leave the daemon's RSS and
open descriptors where they were (the figures are printed; run with -s to see them).

The 2,000 connections all come from 127.0.0.1 and need no change to the per-address caps:
`max_connections_per_ip` and `max_pending_connections_per_ip` count Engine.IO sessions, and a
connection still sending its head never becomes one. The only cap they meet is `max_connections`
(derived from the descriptor limit: 20,000 here, so about 18,000)."""
import json
import os
import resource
import selectors
import socket
import statistics
import time

import websocket

from chat_client import ChatClient
from fitchat_e2e import Daemon, free_port

HEADER_TIMEOUT = 2.0
SLACK = 1.5  # a loaded 2-core machine runs the daemon's timer late
HELD = 2000
# For the 2,000: long enough that all are open in the daemon at once before the first deadline.
HELD_HEADER_TIMEOUT = 6.0
CYCLES = 10_000


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start_daemon(data_dir, header_timeout=HEADER_TIMEOUT):
    return Daemon(data_dir, free_port(), extra_env={
        "FITCHAT_HEADER_TIMEOUT": str(header_timeout), "FITCHAT_MESSAGE_RATE": "0"}).start()


def closed_within(sock, timeout):
    """Seconds until the server closed `sock` (None if it did not within `timeout`), and what it sent."""
    start = time.monotonic()
    sock.settimeout(timeout)
    received = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return time.monotonic() - start, received
            received += chunk
    except socket.timeout:
        return None, received
    except ConnectionResetError:
        return time.monotonic() - start, received


def daemon_figures(d):
    """(RSS in KiB, open descriptors) of the daemon: setpriv execs fitchat, so its pid is Popen's."""
    pid = d.proc.pid
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def test_a_silent_connection_and_a_trickled_head_are_closed_at_the_deadline(data_dir):
    d = start_daemon(data_dir)
    try:
        silent = socket.create_connection(("127.0.0.1", d.port))
        elapsed, sent = closed_within(silent, HEADER_TIMEOUT + SLACK + 5)
        print(f"\nsilent connection closed after {elapsed:.2f} s (header_timeout {HEADER_TIMEOUT} s)")
        assert elapsed is not None and HEADER_TIMEOUT - 0.2 <= elapsed <= HEADER_TIMEOUT + SLACK, elapsed
        assert sent == b""

        # A byte every 0.5 s: an idle read timeout would be reset by each one for ever.
        slow = socket.create_connection(("127.0.0.1", d.port))
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
        start = time.monotonic()
        slow.settimeout(0.5)  # a byte, then up to 0.5 s for an answer: 2 bytes a second
        answer, answered_at = b"", None
        for byte in head:
            try:
                slow.send(bytes([byte]))
                chunk = slow.recv(4096)
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            answered_at = answered_at or time.monotonic() - start
            answer += chunk
            break
        closed_after, rest = closed_within(slow, 10)
        answer += rest
        status_line = answer.split(b"\r\n")[0]
        print(f"head trickled at 2 bytes/s: answered {status_line!r} after {answered_at:.2f} s, then closed")
        assert closed_after is not None
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert HEADER_TIMEOUT - 0.2 <= answered_at <= HEADER_TIMEOUT + SLACK, answered_at

        # A keep-alive connection idle between requests is not cut by the head deadline.
        kept = socket.create_connection(("127.0.0.1", d.port))
        for _ in range(2):
            kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            kept.settimeout(10)
            assert kept.recv(4096).startswith(b"HTTP/1.1 200 ")
            time.sleep(HEADER_TIMEOUT + 0.5)
        kept.close()
    finally:
        d.stop()


class Horde:
    """`count` connections that never finish a head: half send nothing, half trickle a byte every
    0.5 s. Each one the daemon closes is opened again, as a slowloris attacker does."""

    def __init__(self, port, count):
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.sockets = {}
        self.reopened = 0
        for index in range(count):
            self.open(index, wait=True)

    def open(self, index, wait=False):
        """Opens connection `index`: at first each connect waits for the daemon to take it (the
        listen backlog is 256: a burst of 2,000 SYNs would mostly be dropped and retried a second
        later); a reopen does not wait."""
        if wait:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            s.setblocking(False)
        else:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
        self.sockets[index] = s
        self.selector.register(s, selectors.EVENT_READ, index)

    def tend(self, seconds):
        """Trickles and reopens for `seconds`."""
        until = time.monotonic() + seconds
        next_trickle = 0
        while time.monotonic() < until:
            for key, _ in self.selector.select(timeout=0.05):
                index = key.data
                try:
                    data = key.fileobj.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.selector.unregister(key.fileobj)
                    key.fileobj.close()
                    self.reopened += 1
                    self.open(index)
            if time.monotonic() >= next_trickle:
                next_trickle = time.monotonic() + 0.5
                for index, s in self.sockets.items():
                    if index % 2:
                        try:
                            s.send(b"G")
                        except OSError:
                            pass

    def close(self):
        for s in self.sockets.values():
            s.close()
        self.selector.close()


def chat_round_trips(d, count=20):
    """Connects a client, joins `general`, and times `count` sends to their ack (seconds)."""
    client = ChatClient(d.url, token=d.token("ann"), transports=["websocket"])
    started = time.monotonic()
    client.connect()
    connect_time = time.monotonic() - started
    try:
        assert client.call("join_room", {"room": "general"})["ok"]
        times = []
        for n in range(count):
            start = time.monotonic()
            ack = client.call("send_message", {"room": "general", "message": f"set {n}"}, timeout=10)
            times.append(time.monotonic() - start)
            assert ack["ok"], ack
        return connect_time, times
    finally:
        client.close()


def cycle(port, kind, token):
    """One connect/disconnect cycle of the given kind."""
    if kind == "tcp":
        socket.create_connection(("127.0.0.1", port)).close()
    elif kind == "http":
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            s.settimeout(10)
            while s.recv(4096):
                pass
    else:  # a Socket.IO connect over WebSocket, signed in, then gone
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=10)
        try:
            assert ws.recv().startswith("0")
            ws.send("40" + json.dumps({"token": token}))
            while True:
                message = ws.recv()
                if message.startswith("40"):
                    break
                assert not message.startswith("44"), message
        finally:
            ws.close()


def run_cycles(port, count, token):
    """Mostly raw TCP and HTTP; every 20th a signed-in Socket.IO connect (slower: ~5 ms each)."""
    for n in range(count):
        cycle(port, "sio" if n % 20 == 0 else "http" if n % 2 else "tcp", token)


def settled(d, fd_target, timeout=15):
    """The daemon's figures once its descriptors are back near `fd_target` (closing is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        rss, fds = daemon_figures(d)
        if fds <= fd_target or time.monotonic() > deadline:
            return rss, fds
        time.sleep(0.2)


def test_two_thousand_slow_connections_do_not_stop_a_chat_and_churn_leaks_nothing(data_dir):
    limit = raise_fd_limit(HELD + 1000)
    assert limit >= HELD + 200, f"RLIMIT_NOFILE {limit} is too low for {HELD} connections"
    d = start_daemon(data_dir, HELD_HEADER_TIMEOUT)
    try:
        baseline_connect, baseline = chat_round_trips(d)
        horde = Horde(d.port, HELD)
        try:
            opened = time.monotonic()
            horde.tend(0.2)
            rss, fds = daemon_figures(d)
            print(f"\n{HELD} slow connections held: daemon RSS {rss / 1024:.1f} MiB, {fds} descriptors")
            assert fds >= HELD * 0.9, fds  # they really are open in the daemon
            # Chat while the horde is tended in between: hold it across more than one deadline.
            connect_time, times = chat_round_trips(d)
            # Past the deadline: all are closed at once and reopened in a storm; chat through it.
            horde.tend(max(0.0, HELD_HEADER_TIMEOUT - (time.monotonic() - opened)) + 0.5)
            connect_later, later = chat_round_trips(d)
            print(f"without them: connect {baseline_connect * 1000:.1f} ms, send→ack median "
                  f"{statistics.median(baseline) * 1000:.1f} ms, max {max(baseline) * 1000:.1f} ms")
            print(f"with {HELD} held: connect {connect_time * 1000:.1f} / {connect_later * 1000:.1f} ms, send→ack "
                  f"median {statistics.median(times + later) * 1000:.1f} ms, max {max(times + later) * 1000:.1f} ms; "
                  f"{horde.reopened} closed by the deadline and reopened")
            assert horde.reopened >= HELD * 0.9, horde.reopened  # the deadline did close them
            assert connect_time < 5 and connect_later < 5
            assert statistics.median(times + later) < 0.25 and max(times + later) < 2
        finally:
            horde.close()

        token = d.token("churn")
        run_cycles(d.port, 1000, token)  # warm-up: allocator arenas, caches, the store's pages
        time.sleep(1)
        rss_before, fds_before = settled(d, 0, timeout=1)
        start = time.monotonic()
        run_cycles(d.port, CYCLES, token)
        took = time.monotonic() - start
        time.sleep(1)
        rss_after, fds_after = settled(d, fds_before)
        print(f"{CYCLES} connect/disconnect cycles in {took:.1f} s: RSS {rss_before / 1024:.1f} → "
              f"{rss_after / 1024:.1f} MiB, descriptors {fds_before} → {fds_after}")
        # Every connection's descriptor is given back; a few may be in flight (the journal, a timer).
        assert fds_after <= fds_before + 10, (fds_before, fds_after)
        # Measured (2 vCPUs): 58.3 → 58.3 MiB and 57.8 → 57.8 MiB, descriptors 21 → 21. 20 MiB
        # leaves room for allocator noise on another machine, while a leak of 2 KiB per cycle
        # (a connection's buffers or one session left behind) would trip it.
        assert rss_after - rss_before < 20 * 1024, (rss_before, rss_after)
        # And the daemon still answers.
        _, times = chat_round_trips(d, count=3)
        assert max(times) < 2
    finally:
        d.stop()
