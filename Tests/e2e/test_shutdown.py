"""SIGTERM drains: every Socket.IO client is told (a close packet, not a dropped connection),
idle keep-alive connections are closed, and the daemon exits once they are all gone — not after
a fixed pause and not at the drain deadline (5 s)."""
import http.client
import re
import signal
import time

from chat_client import ChatClient


def test_sigterm_closes_every_session_and_exits_as_soon_as_the_connections_are_gone(daemon):
    token = daemon.token("ann")
    websocket = ChatClient(daemon.url, token=token, transports=["websocket"]).connect()
    polling = ChatClient(daemon.url, token=token, transports=["polling"]).connect()
    told = {"websocket": [], "polling": []}
    websocket.sio.on("disconnect", lambda *reason: told["websocket"].append(reason or ("",)))
    polling.sio.on("disconnect", lambda *reason: told["polling"].append(reason or ("",)))
    # Both are settled: what the server sends after a connect has arrived, so the polling client
    # holds its next long-poll, which the close packet answers. (A polling client caught between
    # two polls finds its session gone instead, and reconnects as after any network error.)
    websocket.wait_for("rooms_list")
    polling.wait_for("rooms_list")
    # An idle HTTP/1.1 keep-alive connection that asked for nothing since.
    keep_alive = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    keep_alive.request("GET", "/healthz")
    assert keep_alive.getresponse().read() == b"ok\n"

    started = time.monotonic()
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=20) == 0
    took = time.monotonic() - started

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (told["websocket"] and told["polling"]):
        time.sleep(0.05)
    log = daemon.read_log_all()
    # python-socketio reports a server-sent close as "io server disconnect" or "transport close"
    # (the Engine.IO close packet ends the transport); a reset would be "transport error".
    for transport, reasons in told.items():
        assert reasons, f"the {transport} client was never told: {log}"
        assert all("error" not in str(r) for r in reasons), (transport, reasons)
    # The idle keep-alive connection was closed by the server, not left to the deadline.
    keep_alive.sock.settimeout(5)
    assert keep_alive.sock.recv(1) == b""
    assert "still open after" not in log, log
    assert took < 4.5, f"the drain took {took:.2f} s: it waited for the deadline instead of the connections\n{log}"
    assert re.search(r"stopped", log), log
    websocket.close()
    polling.close()
