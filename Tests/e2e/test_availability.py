"""Availability and ordering against the real daemon: the length rule counted in bytes too, the
ack before the sender's own broadcast (frame level, both transports), the per-address cap under
simultaneous CONNECTs, and the connection cap at a low descriptor limit."""
import json
import socket
import subprocess
import threading
import time
import urllib.request

import pytest
import socketio
import websocket

from chat_client import ChatClient, connect_when_admitted
from fitchat_e2e import AS_SERVICE_USER, FITCHAT, Daemon, free_port

COMBINING = "a" + "\u0301" * 450_000  # one character, 900 KB of UTF-8


class RawJSON:
    """python-socketio's JSON without \\u escapes, so 900 KB of text stay under maxPayload."""
    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(*args, **kwargs):
        return json.dumps(*args, ensure_ascii=False, **{k: v for k, v in kwargs.items() if k != "ensure_ascii"})


@pytest.mark.parametrize("transports", [None, ["websocket"]], ids=["default", "websocket"])
def test_one_character_of_900_kb_is_refused_with_message_too_long(daemon, transports):
    previous = socketio.packet.Packet.json
    client = ChatClient(daemon.url, token=daemon.token("ann"), transports=transports)
    try:
        socketio.packet.Packet.json = RawJSON
        client.connect()
        assert client.call("join_room", {"room": "general"})["ok"]
        ack = client.call("send_message", {"room": "general", "message": COMBINING}, timeout=20)
        assert ack["ok"] is False and ack["error"]["code"] == "message_too_long", ack
        assert "8 KiB" in ack["error"]["message"]
        # The room stays joinable and the connection alive.
        assert client.call("send_message", {"room": "general", "message": "still here"})["ok"]
        assert client.call("join_room", {"room": "general"})["ok"]
    finally:
        socketio.packet.Packet.json = previous
        client.close()


def test_display_names_are_bounded_in_bytes(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_OPEN_REGISTRATION": "yes"}).start()
    try:
        body = json.dumps({"username": "mallory", "password": "correct horse battery", "display_name": COMBINING[:300_001]},
                          ensure_ascii=False).encode()  # 600 KB, one character
        request = urllib.request.Request(d.url + "/register", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "Origin": d.url})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
        assert "display names are at most 64 characters" in refused.value.read().decode()
        result = d.cli("user", "add", "zed", "--display-name", "z" * 65, expect=1)
        assert "display names are at most 64 characters" in result.stderr
    finally:
        d.stop()


# -- ack before the sender's own new_message, frame by frame --------------------------------------

def ws_session(daemon, token):
    ws = websocket.create_connection(f"ws://127.0.0.1:{daemon.port}/socket.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0")
    ws.send("40" + json.dumps({"token": token}))
    return ws


def ws_frames_until(ws, done):
    frames = []
    while not done(frames):
        frame = ws.recv()
        if frame == "2":
            ws.send("3")
            continue
        frames.append(frame)
    return frames


def polling_session(daemon, token):
    base = f"{daemon.url}/socket.io/?EIO=4&transport=polling"
    with urllib.request.urlopen(base, timeout=10) as r:
        sid = json.loads(r.read().decode()[1:])["sid"]
    url = f"{base}&sid={sid}"

    def post(packet):
        request = urllib.request.Request(url, data=packet.encode(), method="POST", headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.status == 200

    def poll():
        with urllib.request.urlopen(url, timeout=30) as r:
            return [p for p in r.read().decode().split("\x1e") if p]

    post("40" + json.dumps({"token": token}))
    return post, poll


def first_index(frames, prefix):
    return next(i for i, f in enumerate(frames) if f.startswith(prefix))


def test_the_ack_comes_before_the_senders_own_new_message_over_websocket(daemon):
    ws = ws_session(daemon, daemon.token("ann"))
    ws_frames_until(ws, lambda fs: any(f.startswith('42["rooms_list"') for f in fs))
    ws.send('421["join_room",{"room":"general"}]')
    ws_frames_until(ws, lambda fs: any(f.startswith("431[") for f in fs))
    for attempt in range(5):
        ws.send(f'42{2 + attempt}["send_message",{{"room":"general","message":"set {attempt}"}}]')
        frames = ws_frames_until(ws, lambda fs: any(f.startswith(f"43{2 + attempt}[") for f in fs)
                                 and any(f.startswith('42["new_message"') for f in fs))
        assert first_index(frames, f"43{2 + attempt}[") < first_index(frames, '42["new_message"'), frames
    ws.close()


def test_the_ack_comes_before_the_senders_own_new_message_over_polling(daemon):
    post, poll = polling_session(daemon, daemon.token("ann"))
    seen = []
    while not any(p.startswith('42["rooms_list"') for p in seen):
        seen += poll()
    post('421["join_room",{"room":"general"}]')
    while not any(p.startswith("431[") for p in seen):
        seen += poll()
    for attempt in range(5):
        ack = f"43{2 + attempt}["
        post(f'42{2 + attempt}["send_message",{{"room":"general","message":"set {attempt}"}}]')
        frames = []
        while not (any(f.startswith(ack) for f in frames) and any(f.startswith('42["new_message"') for f in frames)):
            frames += [p for p in poll() if p != "2"]
        assert first_index(frames, ack) < first_index(frames, '42["new_message"'), frames


# -- the per-address cap under simultaneous CONNECTs ----------------------------------------------

def test_simultaneous_connects_never_pass_the_per_address_cap(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_MAX_CONNECTIONS_PER_IP": "3"}).start()
    try:
        token = d.token("ann")
        sockets = []
        for _ in range(30):
            ws = websocket.create_connection(f"ws://127.0.0.1:{d.port}/socket.io/?EIO=4&transport=websocket", timeout=10)
            assert ws.recv().startswith("0")
            sockets.append(ws)
        start = threading.Barrier(len(sockets))
        answers = [None] * len(sockets)

        def connect(index, ws):
            start.wait()
            ws.send("40" + json.dumps({"token": token}))
            while True:
                frame = ws.recv()
                if frame.startswith("40") or frame.startswith("44"):
                    answers[index] = frame[:2]
                    return

        threads = [threading.Thread(target=connect, args=(i, ws)) for i, ws in enumerate(sockets)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert answers.count("40") == 3, answers
        assert answers.count("44") == 27, answers
        # Slots come back when connections end.
        for ws in sockets:
            ws.close()
        again = connect_when_admitted(d.url, token)
        again.close()
    finally:
        d.stop()


# -- file descriptors ------------------------------------------------------------------------------

@pytest.mark.parametrize("stall", ["silent", "slow_body"])
def test_healthz_answers_with_300_stalled_connections_at_a_256_descriptor_limit(data_dir, stall):
    # silent: connections that send nothing; slow_body: a request head and one byte of a 100 kB
    # body, then nothing (a connection still receiving its request must stay evictable).
    d = Daemon(data_dir, free_port())
    d.log = open(d.log_path, "ab")
    d.proc = subprocess.Popen(["prlimit", "--nofile=256:256", "--", *AS_SERVICE_USER, FITCHAT, "serve", "--listen",
                               f"127.0.0.1:{d.port}", "--data-dir", data_dir],
                              stdout=d.log, stderr=subprocess.STDOUT, env=d.env())
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(d.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert time.monotonic() < deadline and d.proc.poll() is None, d.read_log()
                time.sleep(0.1)
        idle = [socket.create_connection(("127.0.0.1", d.port), timeout=5) for _ in range(300)]
        if stall == "slow_body":
            head = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{d.port}\r\nContent-Type: application/json\r\n"
                    "Content-Length: 100000\r\n\r\n{").encode()
            for s in idle:
                try:
                    s.sendall(head)
                except OSError:
                    pass  # already replaced by a newer connection
        time.sleep(0.5)
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(d.url + "/healthz", timeout=5) as r:
                assert r.status == 200 and r.read() == b"ok\n"
            assert time.monotonic() - started < 2
        assert d.proc.poll() is None
        for s in idle:
            s.close()
    finally:
        d.stop()


def test_an_event_named_by_a_number_still_gets_its_ack(daemon):
    # The reference server accepts a number as an event name; an ack asked for must be answered.
    ws = ws_session(daemon, daemon.token("ann"))
    ws_frames_until(ws, lambda fs: any(f.startswith('42["rooms_list"') for f in fs))
    ws.send('427[5,{}]')
    frames = ws_frames_until(ws, lambda fs: any(f.startswith("437[") for f in fs))
    answer = json.loads(next(f for f in frames if f.startswith("437["))[3:])[0]
    assert answer["ok"] is False and answer["error"]["code"] == "invalid_request", answer
    ws.close()
