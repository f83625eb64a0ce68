"""python-socketio (the PyPI client nobody here wrote) against fitchat's Socket.IO server, in both
of the client's modes: polling then upgrade, and WebSocket only."""
import queue

import pytest
import socketio

MODES = {"polling-then-upgrade": None, "websocket-only": ["websocket"], "polling-only": ["polling"]}


class Recorder:
    """Collects events into queues so a test waits with a timeout and never hangs."""

    def __init__(self, client, namespace="/"):
        self.queues = {}
        for event in ("auth", "message-back"):
            q = self.queues[event] = queue.Queue()
            client.on(event, (lambda q: lambda *args: q.put(args))(q), namespace=namespace)

    def next(self, event, timeout=5):
        return self.queues[event].get(timeout=timeout)


def connect(url, transports, auth=None, namespaces=None):
    client = socketio.Client(reconnection=False)
    recorder = Recorder(client)
    client.connect(url, auth=auth, transports=transports, namespaces=namespaces, wait_timeout=5)
    return client, recorder


@pytest.fixture(params=list(MODES), ids=list(MODES))
def transports(request):
    return MODES[request.param]


def test_connect_with_auth_ends_on_the_expected_transport(server_url, transports):
    client, events = connect(server_url, transports, auth={"token": "abc", "n": 1})
    try:
        assert events.next("auth") == ({"token": "abc", "n": 1},)
        # The default mode starts on polling and must have upgraded.
        assert client.transport() == ("polling" if transports == ["polling"] else "websocket")
        assert client.get_sid() is not None
    finally:
        client.disconnect()


def test_connect_without_auth_gets_an_empty_object(server_url, transports):
    client, events = connect(server_url, transports)
    try:
        assert events.next("auth") == ({},)
    finally:
        client.disconnect()


def test_emit_and_receive(server_url, transports):
    client, events = connect(server_url, transports)
    try:
        client.emit("message", ("text", 42, {"nested": [1, True, None]}, ["a", "é"]))
        assert events.next("message-back") == ("text", 42, {"nested": [1, True, None]}, ["a", "é"])
    finally:
        client.disconnect()


def test_emit_with_ack(server_url, transports):
    client, _ = connect(server_url, transports)
    try:
        assert client.call("message-with-ack", ("x", 1, {"y": 2}), timeout=5) == ("x", 1, {"y": 2})
    finally:
        client.disconnect()


def test_binary_both_ways(server_url, transports):
    client, events = connect(server_url, transports)
    try:
        blob = bytes(range(256)) * 4
        client.emit("message", (blob, {"inner": b"\x00\xff"}))
        assert events.next("message-back") == (blob, {"inner": b"\x00\xff"})
        assert client.call("message-with-ack", (b"\x01\x02\x03", "tail"), timeout=5) == (b"\x01\x02\x03", "tail")
    finally:
        client.disconnect()


def test_custom_namespace(server_url, transports):
    client = socketio.Client(reconnection=False)
    got = queue.Queue()
    client.on("auth", lambda *args: got.put(args), namespace="/custom")
    client.connect(server_url, transports=transports, namespaces=["/custom"], auth={"k": "v"}, wait_timeout=5)
    try:
        assert got.get(timeout=5) == ({"k": "v"},)
        assert client.call("message-with-ack", ("in custom",), namespace="/custom", timeout=5) == "in custom"  # one argument comes back bare
    finally:
        client.disconnect()


def test_unknown_namespace_is_refused(server_url, transports):
    client = socketio.Client(reconnection=False)
    errors = []
    client.on("connect_error", lambda data: errors.append(data), namespace="/nope")
    with pytest.raises(socketio.exceptions.ConnectionError) as refused:
        client.connect(server_url, transports=transports, namespaces=["/nope"], wait_timeout=5)
    # The server's CONNECT_ERROR, exactly, and the client's own verdict on it.
    assert errors == [{"message": "Invalid namespace"}]
    assert str(refused.value) == "One or more namespaces failed to connect: /nope"
    client.disconnect()


def test_disconnect_then_reconnect_gets_a_fresh_session(server_url, transports):
    client, events = connect(server_url, transports, auth={"round": 1})
    assert events.next("auth") == ({"round": 1},)
    first_sid = client.get_sid()
    client.disconnect()
    assert not client.connected
    client.connect(server_url, auth={"round": 2}, transports=transports, wait_timeout=5)
    try:
        assert events.next("auth") == ({"round": 2},)
        assert client.get_sid() != first_sid
        assert client.call("message-with-ack", ("again",), timeout=5) == "again"
    finally:
        client.disconnect()
