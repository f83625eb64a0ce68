"""Issue 15 under attack, through the real python-socketio client: the exactly-once promise of
`join_room {since}` and `resume` while the room is flooded, and the refusals an outsider meets.

Each test names the defect it pinned (see the commit that fixed it)."""
import collections
import json
import os
import threading
import time

import pytest
import websocket

from chat_client import ChatClient
from fitchat_e2e import DB_CHECK_OK, Daemon, failed, free_port, ok


@pytest.fixture
def flood_daemon(data_dir):
    """A daemon whose message bucket never refuses: the flood must be the store's pace, not the limiter's."""
    config = os.path.join(data_dir, "flood.conf")
    with open(config, "w") as f:
        f.write("message_burst = 100000\nmessage_rate = 100000\n")
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_CONFIG": config}).start()
    yield d
    d.stop()


def connect(d, user, transports=("websocket",)):
    return ChatClient(d.url, token=d.token(user), transports=list(transports)).connect()


def test_a_rejoin_during_a_flood_gets_every_message_exactly_once(flood_daemon):
    """Defect: a message stored in the same write batch as the joiner's join (or just before its
    answer was read) was in the answer AND, its sender's broadcast going out only after the
    release, delivered live again: `new_message` twice. Senders pipeline their messages so the
    store commits them in large batches; victims reconnect and come back with `resume` or
    `join_room {since}` from the last id they saw, over and over."""
    d = flood_daemon
    senders = [connect(d, f"sender{i}") for i in range(10)]
    for s in senders:
        ok(s.call("join_room", {"room": "general"}))
    acked, lock, stop = set(), threading.Lock(), threading.Event()

    def flood(sender):
        window = threading.Semaphore(40)

        def acknowledged(answer):
            with lock:
                acked.add(answer["message"]["id"])
            window.release()

        for i in range(5000):
            if stop.is_set() or not window.acquire(timeout=30):
                return
            sender.sio.emit("send_message", {"room": "general", "message": f"set {i}"}, callback=acknowledged)

    problems = []

    def victim(n):
        token = d.token(f"victim{n}")
        first = ChatClient(d.url, token=token, transports=["websocket"]).connect()
        last = ok(first.call("join_room", {"room": "general"}))["messages"][-1]["id"]
        first.close()
        for round in range(20):
            client = ChatClient(d.url, token=token, transports=["websocket"]).connect()
            if (round + n) % 2:
                answer = ok(client.call("join_room", {"room": "general", "since": last}, timeout=60))
            else:
                answer = ok(client.call("resume", {"rooms": {"general": last}}, timeout=60))["rooms"]["general"]
                ok(answer)
            assert answer["recovered"] is True
            time.sleep(0.2)
            client.close()
            time.sleep(0.05)
            ids = [m["id"] for m in answer["messages"]]
            ids += [m["id"] for m in client.received("new_message") if m["room"] == "general"]
            twice = sorted(i for i, count in collections.Counter(ids).items() if count > 1)
            if twice:
                problems.append(f"victim{n} round {round}: twice {twice[:10]}")
            if ids:
                with lock:
                    missing = {i for i in acked if last < i <= max(ids)} - set(ids)
                if missing:
                    problems.append(f"victim{n} round {round}: missing {sorted(missing)[:10]}")
                last = max(ids)

    floods = [threading.Thread(target=flood, args=(s,)) for s in senders]
    victims = [threading.Thread(target=victim, args=(n,)) for n in range(4)]
    for t in floods + victims:
        t.start()
    for t in victims:
        t.join()
    stop.set()
    for t in floods:
        t.join()
    assert problems == []
    assert len(acked) > 500, "the flood did not run"
    # Every acknowledged message is stored once, in order.
    checker = connect(d, "checker")
    ok(checker.call("join_room", {"room": "general"}))
    for s in senders + [checker]:
        s.close()
    d.stop()
    assert d.cli("db", "check").stdout == DB_CHECK_OK


def test_a_member_removed_while_joining_stays_removed(flood_daemon):
    """Defect: `join_room` (and `resume`) checked the private room's membership, then wrote the
    join; an admin's `room remove-member` committed in between was undone by that write, which
    made the removed member a participant again (with a `join` message). A flood keeps the
    writer's queue long, which widens the gap; the members being removed keep joining."""
    d = flood_daemon
    d.cli("room", "add", "coaches", "--description", "Coaches only", "--private")
    senders = [connect(d, f"sender{i}") for i in range(8)]
    for s in senders:
        ok(s.call("join_room", {"room": "general"}))
    stop = threading.Event()

    def flood(sender):
        window = threading.Semaphore(40)
        while not stop.is_set() and window.acquire(timeout=10):
            sender.sio.emit("send_message", {"room": "general", "message": "x" * 200},
                            callback=lambda answer: window.release())

    floods = [threading.Thread(target=flood, args=(s,)) for s in senders]
    for t in floods:
        t.start()
    regained = []
    try:
        for round in range(6):
            names = [f"member{round}x{k}" for k in range(4)]
            clients = []
            for name in names:
                d.token(name)
                d.cli("room", "add-member", "coaches", name)
                client = connect(d, name)
                ok(client.call("join_room", {"room": "coaches"}))
                clients.append(client)

            def keep_joining(client):
                for _ in range(18):
                    client.emit("join_room", {"room": "coaches"})
                    time.sleep(0.01)

            joiners = [threading.Thread(target=keep_joining, args=(c,)) for c in clients]
            for t in joiners:
                t.start()
            time.sleep(0.05)
            for name in names:
                d.cli("room", "remove-member", "coaches", name)
            for t in joiners:
                t.join()
            time.sleep(1)
            members = d.cli("room", "members", "coaches").stdout.split()
            regained += [name for name in names if name in members]
            for client in clients:
                failed(client.call("get_history", {"room": "coaches"}), "room_not_found")
                client.close()
    finally:
        stop.set()
        for t in floods:
            t.join()
    assert regained == []
    for s in senders:
        s.close()
    d.stop()
    assert d.cli("db", "check").stdout == DB_CHECK_OK


def test_live_new_messages_reach_a_reader_in_id_order(flood_daemon):
    """Defect: recovery resumes `since` the last id a client saw, which assumes it saw the room's
    messages in id order. It did not: each sender's task broadcast its own message after the
    commit, and two of them raced, so a reader got 35 before 31 (81 of 3,000 under this flood). A
    client whose connection dropped between the two resumed from 35 and never got 31 — the
    SIGKILL test in test_recovery.py failed that way now and then ("reader never got [117]"),
    on main's binary too. Now each room's `new_message`s go out in id order. The reader reads raw
    WebSocket frames: python-engineio hands each message to its handler on a thread of its own,
    so a python-socketio client's own record of the order is not the wire's."""
    d = flood_daemon
    senders = [connect(d, f"sender{i}") for i in range(10)]
    for s in senders:
        ok(s.call("join_room", {"room": "general"}))
    token = d.token("reader")
    reader = websocket.create_connection(f"ws://127.0.0.1:{d.port}/socket.io/?EIO=4&transport=websocket", timeout=30)
    assert reader.recv().startswith("0")
    reader.send("40" + json.dumps({"token": token}))
    while not reader.recv().startswith("40"):  # events before the CONNECT is accepted are dropped
        pass
    reader.send('421["join_room",{"room":"general"}]')
    acked, lock = [], threading.Lock()

    def flood(sender):
        window = threading.Semaphore(40)

        def acknowledged(answer):
            with lock:
                acked.append(answer["message"]["id"])
            window.release()

        for i in range(300):
            assert window.acquire(timeout=30)
            sender.sio.emit("send_message", {"room": "general", "message": f"set {i}"}, callback=acknowledged)
        for _ in range(40):
            assert window.acquire(timeout=30)

    ids, joined, done = [], False, threading.Event()
    while not joined:
        joined = reader.recv().startswith("431")

    def read():  # all along, as a client does: a reader that stops reading is closed as too slow
        while not done.is_set():
            frame = reader.recv()
            if frame == "2":
                reader.send("3")
            elif frame.startswith('42["new_message",'):
                ids.append(json.loads(frame[2:])[1]["id"])

    floods = [threading.Thread(target=flood, args=(s,)) for s in senders]
    reading = threading.Thread(target=read)
    for t in floods + [reading]:
        t.start()
    for t in floods:
        t.join()
    last = max(acked)
    deadline = time.monotonic() + 30
    while last not in ids and time.monotonic() < deadline:
        time.sleep(0.1)
    done.set()
    reader.send('42["get_rooms"]')  # one more frame, so the reader's recv returns
    reading.join(10)
    reader.close()
    assert len(ids) >= 3000
    overtaken = [(a, b) for a, b in zip(ids, ids[1:]) if b < a]
    assert overtaken == []
