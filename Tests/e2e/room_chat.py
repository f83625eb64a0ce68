"""Shared by the issue-15 end-to-end files (history, recovery, read state, mentions): a daemon that
can be restarted on the same store (SIGTERM or SIGKILL), pipelined sending, waiting for a condition
on a client's events, and the `transport` and `chat` fixtures (import them into a test module to use
them). A module of its own, uniquely named: never import helpers from conftest."""
import signal
import threading
import time

import pytest

from chat_client import ChatClient
from fitchat_e2e import Daemon, free_port, ok

TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"]}
# Tests that need hundreds of messages turn the per-user message bucket off (rate 0, as the README says).
UNLIMITED = {"FITCHAT_MESSAGE_RATE": "0"}


class Chat:
    """A daemon on `data_dir` that can be restarted (SIGTERM, or SIGKILL) on the same store, a new port
    each time, with the clients it connected; session tokens are issued once per user and survive
    restarts (they are stored)."""

    def __init__(self, data_dir, transport, env=None):
        self.data_dir = data_dir
        self.transport = transport
        self.env = dict(env or {})
        self.clients = []
        self.tokens = {}
        self.daemon = Daemon(data_dir, free_port(), self.env).start()

    @property
    def url(self):
        return self.daemon.url

    def cli(self, *args, **kwargs):
        return self.daemon.cli(*args, **kwargs)

    def token(self, user, create=True):
        if user not in self.tokens:
            self.tokens[user] = self.daemon.token(user, create=create)
        return self.tokens[user]

    def connect(self, user, create=True, transport=None):
        """A client of `user` over the test's transport (or `transport`: bulk loaders use WebSocket,
        which sends a thousand messages several times faster than polling)."""
        client = ChatClient(self.url, token=self.token(user, create), transports=transport or self.transport)
        client.connect(wait=False)
        client.status = client.wait_for("status")
        client.name = user
        self.clients.append(client)
        return client

    def stop(self, sig=signal.SIGTERM):
        code = self.daemon.stop(sig=sig)
        for c in self.clients:
            c.close()
        self.clients = []
        return code

    def restart(self, sig=signal.SIGTERM):
        """Stops the daemon (its clients are gone with it) and starts a fresh one on the same store."""
        self.stop(sig)
        self.daemon = Daemon(self.data_dir, free_port(), self.env).start()
        return self

    def close(self):
        self.stop()


@pytest.fixture(params=list(TRANSPORTS))
def transport(request):
    return TRANSPORTS[request.param]


@pytest.fixture
def chat(data_dir, transport):
    c = Chat(data_dir, transport, UNLIMITED)
    yield c
    c.close()


def joined(*clients, room="general"):
    """Joins each client to the room; returns the last ack."""
    ack = None
    for c in clients:
        ack = ok(c.call("join_room", {"room": room}))
    return ack


def send(client, text, room="general"):
    return ok(client.call("send_message", {"room": room, "message": text}))["message"]


def send_many(client, texts, room="general", window=100, timeout=120):
    """Sends every text from one client, up to `window` unacknowledged at once (the acks are awaited
    as they come, not one round trip per message); returns the acknowledged messages, in id order."""
    acks = [None] * len(texts)
    slots = threading.Semaphore(window)
    answered = threading.Semaphore(0)

    for index, text in enumerate(texts):
        if not slots.acquire(timeout=timeout):
            raise TimeoutError(f"send_many: no ack within {timeout}s after {index} sends")

        def on_ack(*args, index=index):
            acks[index] = args[0] if args else None
            slots.release()
            answered.release()

        client.sio.emit("send_message", {"room": room, "message": text}, callback=on_ack)
    for _ in texts:
        if not answered.acquire(timeout=timeout):
            raise TimeoutError(f"send_many: acks missing after {timeout}s")
    return sorted((ok(a)["message"] for a in acks), key=lambda m: m["id"])


def call_many(client, calls, timeout=30):
    """Emits every (event, payload) at once, without waiting in between; returns the acks in order."""
    acks = [None] * len(calls)
    answered = threading.Semaphore(0)
    for index, (event, payload) in enumerate(calls):
        def on_ack(*args, index=index):
            acks[index] = args[0] if args else None
            answered.release()

        client.sio.emit(event, payload, callback=on_ack)
    for _ in calls:
        if not answered.acquire(timeout=timeout):
            raise TimeoutError(f"call_many: acks missing after {timeout}s")
    return acks


def ids(messages):
    return [m["id"] for m in messages]


def history(client, room="general", **fields):
    return ok(client.call("get_history", {"room": room, **fields}))


def room_summary(client, room="general"):
    """The caller's `rooms_list` entry for the room, from a fresh `get_rooms`."""
    return next(r for r in ok(client.call("get_rooms"))["rooms"] if r["name"] == room)


def fence(observer, actor, room="general"):
    """Makes sure everything the server sent `observer` before now has arrived: `actor` (joined to the
    room, as `observer` is) sends a message and `observer` waits for it. Then `observer.received(...)`
    is complete up to that point, so a test can assert that some event did NOT come."""
    marker = send(actor, f"fence {time.monotonic_ns()}", room=room)
    observer.wait_for("new_message", lambda m: m["id"] == marker["id"])
    return marker


# --- get_history ---------------------------------------------------------------------------------
